-- Rows by llm conversation, for the automatic-context chains (sql/chain.sql).
CREATE TEMP TABLE IF NOT EXISTS conversation_rows AS
SELECT conversation_id, rid FROM logged WHERE conversation_id IS NOT NULL;

CREATE INDEX IF NOT EXISTS temp.conversation_rows_by_id ON conversation_rows (conversation_id, rid);

-- The earlier arbiters each automatic-context run takes from its conversation.
CREATE TEMP TABLE IF NOT EXISTS chain_links (
    rid INTEGER PRIMARY KEY,
    run_rid INTEGER NOT NULL,
    iteration INTEGER NOT NULL
);
