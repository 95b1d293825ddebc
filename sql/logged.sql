-- Rows holding values this tool did not write (foreign.sql fills it).
CREATE TEMP TABLE foreign_values (
    rid INTEGER PRIMARY KEY,
    id TEXT,
    consortium_id,
    is_arbiter_response,
    kind TEXT
);

-- The responses table as every other phase reads it: rowid is the log order,
-- dt the start of the call as a Julian day. consortium_id is NULL for every
-- row of a database the migration has not reached yet (a --dry-run). A row
-- holding a foreign value reads as grouped already (never touched), or, with
-- --replace-foreign, as not grouped yet.
-- conversation_id is llm's own link between the turns of a conversation.
-- Python fills in the braces: optional columns, and the snapshot's last row.
-- The phases hand prompt and response to Python functions CAST AS BLOB: a
-- row holding invalid UTF-8 as TEXT cannot be handed over as text at all.
CREATE TEMP VIEW logged AS
SELECT
    rowid AS rid,
    id,
    model,
    prompt,
    response,
    datetime_utc,
    julianday(datetime_utc) AS dt,
    {duration_ms} AS duration_ms,
    {consortium_id} AS consortium_id,
    {conversation_id} AS conversation_id
FROM main.responses
-- The snapshot's bound is a filter (+rowid), never the bound of a search: a
-- phase that reads rowids (low, high] must search that range, not every rowid
-- up to the snapshot's last one (SQLite takes one upper bound of the two).
WHERE +rowid <= {max_rid};
