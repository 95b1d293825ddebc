-- Rows older than an id time logged before them (late_stamps, sql/order.sql)
-- by more than the window: consecutive such rows make one block. Their times
-- are turned into milliseconds here, for these rows only.
CREATE TEMP TABLE out_of_order_blocks AS
WITH older AS (
    SELECT rid, {stamp_ms} AS ms, {latest_ms} AS latest
    FROM late_stamps
),
late AS (
    SELECT rid, ms, latest, rid - row_number() OVER (ORDER BY rid) AS block
    FROM older
    WHERE ms < latest - :window_days * 86400000
)
SELECT
    min(rid) AS first_rid,
    max(rid) AS last_rid,
    count(*) AS rows,
    strftime('%Y-%m-%dT%H:%M:%S', min(ms) / 1000.0, 'unixepoch') AS oldest,
    strftime('%Y-%m-%dT%H:%M:%S', max(ms) / 1000.0, 'unixepoch') AS newest,
    strftime('%Y-%m-%dT%H:%M:%S', max(latest) / 1000.0, 'unixepoch') AS logged_after
FROM late
GROUP BY block
ORDER BY first_rid;
