-- Rows logged under a consortium's name, of one rowid range (analysis.prepare
-- runs it right after sql/foreign.sql over the same range, whose pages are
-- still in SQLite's cache). Only the model is read: the first page of each row.
INSERT INTO named_rows (rid)
SELECT rowid
FROM main.responses
WHERE rowid > :low AND rowid <= :high
  AND model IN (SELECT name FROM consortium_names);
