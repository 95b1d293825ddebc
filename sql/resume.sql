-- The database now, next to what the last backfill recorded in
-- consortium_backfill_state: cheap fingerprints through rowid seeks and the
-- smallest index, never a scan of the table. Rows deleted, renumbered by a
-- VACUUM or ungrouped behind the tool's back show here.
SELECT
    (SELECT coalesce(max(rowid), 0) FROM responses) AS max_rowid,
    (SELECT id FROM responses WHERE rowid = state.last_rowid) AS id_at_last,
    (SELECT count(*) FROM responses) - (SELECT count(*) FROM responses WHERE rowid > state.last_rowid)
        AS rows_through_last,
    (SELECT count(*) FROM responses WHERE consortium_id IS NOT NULL) AS grouped_rows
FROM consortium_backfill_state AS state
WHERE state.id = 1;
