-- Rows logged out of time order: an import that appended older rows, a
-- rebuild. A row is out of order when its id (a ULID: its first 10
-- characters are a millisecond time, lowercase Crockford base32) is older,
-- by more than the window, than some row logged before it. Consecutive such
-- rows make one block.
--
-- Only the rows this pass reads as new are stamped: {new_rows} is every row
-- up to the snapshot's last one in a full pass (only the id is read, so
-- SQLite scans the id index, not the table), or the rowids after :start in a
-- re-run. The rows before those count through :latest_id_ms, the latest id
-- time the last backfill recorded (NULL in a full pass).
CREATE TEMP TABLE id_times AS
SELECT rowid AS rid, {id_ms} AS ms
FROM main.responses
WHERE {new_rows} AND length(id) = 26;

CREATE TEMP TABLE out_of_order_blocks AS
WITH running AS (
    SELECT rid, ms, coalesce(
        max(max(ms) OVER (ORDER BY rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), :latest_id_ms),
        max(ms) OVER (ORDER BY rid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
        :latest_id_ms
    ) AS latest
    FROM id_times
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
