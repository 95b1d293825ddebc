-- Rows logged out of time order: an import that appended older rows, a
-- rebuild. A row is out of order when its id (a ULID: its first 10
-- characters are a millisecond time, lowercase Crockford base32, whose
-- digits sort as their text does) is older, by more than the window, than
-- some row logged before it. Consecutive such rows make one block.
--
-- Only the rows this pass reads as new are stamped (Python fills in which):
-- in a full pass every row up to the snapshot's last one (only the id is
-- read, so SQLite scans the id index, not the table), in a re-run the
-- rowids after :start. The rows before those count through :latest_stamp,
-- the latest id time the last backfill recorded (NULL in a full pass).
-- Times are compared as text, and turned into milliseconds only for the
-- rows older than one logged before them.
CREATE TEMP TABLE id_stamps AS
SELECT rowid AS rid, lower(substr(id, 1, 10)) AS stamp
FROM main.responses
WHERE {new_rows} AND length(id) = 26;

CREATE TEMP TABLE out_of_order_blocks AS
WITH running AS (
    SELECT rid, stamp, coalesce(
        max(max(stamp) OVER (ORDER BY rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), :latest_stamp),
        max(stamp) OVER (ORDER BY rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
        :latest_stamp
    ) AS latest
    FROM id_stamps
),
older AS (
    SELECT rid, {stamp_ms} AS ms, {latest_ms} AS latest
    FROM running
    WHERE stamp < latest
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
