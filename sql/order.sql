-- Rows logged out of time order: an import that appended older rows, a
-- rebuild. A row is out of order when its id (a ULID: its first 10
-- characters are a millisecond time, lowercase Crockford base32, whose
-- digits sort as their text does) is older, by more than the window, than
-- some row logged before it.
--
-- The id time of each row this pass reads as new (Python fills in which): in
-- a full pass every row up to the snapshot's last one (only the id is read,
-- so SQLite scans the id index, not the table), in a re-run the rowids after
-- :start. analysis.rows_out_of_order then goes through them in log order,
-- keeping the latest id time so far (in a re-run, from the one the last
-- backfill recorded), and keeps each row older than it in late_stamps.
CREATE TEMP TABLE id_stamps AS
SELECT rowid AS rid, lower(substr(id, 1, 10)) AS stamp
FROM main.responses
WHERE {new_rows} AND length(id) = 26;

CREATE TEMP TABLE late_stamps (rid INTEGER PRIMARY KEY, stamp TEXT, latest TEXT);
