-- Rows logged out of time order: an import that appended older rows, a
-- rebuild. A row is out of order when its id (a ULID: its first 10
-- characters are a millisecond time, lowercase Crockford base32) is older,
-- by more than the window, than some row logged before it. Only the id is
-- read, so SQLite scans the id index, not the table. Consecutive such rows
-- make one block.
CREATE TEMP TABLE out_of_order_blocks AS
WITH stamped AS (
    SELECT rowid AS rid, {id_ms} AS ms
    FROM main.responses
    WHERE rowid <= :max_rid AND length(id) = 26
),
running AS (
    SELECT rid, ms, max(ms) OVER (ORDER BY rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest
    FROM stamped
),
late AS (
    SELECT rid, ms, latest, rid - row_number() OVER (ORDER BY rid) AS block
    FROM running
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
