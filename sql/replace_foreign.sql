-- --replace-foreign, inside the backfill's transaction, after the backup:
-- every row holding a value this tool did not write reads as never grouped,
-- consortium_id NULL and the flag at the column's default. The change log
-- records each old value (undo puts it back); the update that follows groups
-- those rows that belong to a run.
UPDATE main.responses
SET consortium_id = NULL,
    is_arbiter_response = {flag_default}
WHERE :replace_foreign AND rowid IN (SELECT rid FROM foreign_values);
