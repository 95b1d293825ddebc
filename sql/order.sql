-- Rows logged out of time order: an import that appended older rows, a
-- rebuild. A row is out of order when its id (a ULID: its first 10
-- characters are a millisecond time, lowercase Crockford base32, whose
-- digits sort as their text does) is older, by more than the window, than
-- some row logged before it.
--
-- id_stamps: the id time of each row this pass reads as new, filled a
-- bounded read at a time (analysis.stamp_new_rows): in a full pass every row
-- up to the snapshot's last one, page by page of the id index
-- (sql/order_ids.sql: only the id is read, so SQLite reads the index, not
-- the table); in a re-run the rowids after :start, range by range
-- (sql/order_rows.sql). analysis.rows_out_of_order then goes through them in
-- log order, keeping the latest id time so far (in a re-run, from the one
-- the last backfill recorded), and keeps each row older than it in
-- late_stamps.
CREATE TEMP TABLE id_stamps (rid INTEGER, stamp TEXT);

-- One page of the id index, read by sql/order_ids.sql.
CREATE TEMP TABLE id_page (rid INTEGER, id);

CREATE TEMP TABLE late_stamps (rid INTEGER PRIMARY KEY, stamp TEXT, latest TEXT);
