-- What verify reads runs through: every row with a consortium_id, read from
-- responses in rowid ranges (:low, :high], each a short read, whatever the
-- size of the file. responses has no index on consortium_id of ours: one
-- would be built by a single read of the whole table in a write transaction
-- (15 s at 1M rows), keeping llm from logging for as long. The unary +
-- keeps SQLite on the rowids where a user's own index on consortium_id exists.
CREATE TEMP TABLE IF NOT EXISTS grouped_rows (
    rid INTEGER PRIMARY KEY,
    id TEXT,
    consortium_id TEXT,
    is_arbiter_response INTEGER
);

CREATE INDEX IF NOT EXISTS temp.grouped_rows_by_run ON grouped_rows (consortium_id, is_arbiter_response);
