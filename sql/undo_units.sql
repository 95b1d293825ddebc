-- The run each recorded change of one backfill belongs to, for `undo` to put
-- back whole runs at a time. Read in ranges of change ids, (:low, :high], so
-- that no read of a large change log holds the file for long. run_id: a row
-- of responses by the run it joined (or, cleared by --replace-foreign, the
-- one it left); a run history row by its run; a member by its run; NULL for
-- a change of no run (a review row, where the backfill stopped).
SELECT
    id,
    CASE
        WHEN table_name = 'responses'
            THEN coalesce(json_extract(new, '$.consortium_id'), json_extract(old, '$.consortium_id'))
        WHEN table_name = :runs THEN json_extract(coalesce(new, old), '$.id')
        WHEN table_name = :members THEN json_extract(coalesce(new, old), '$.run_id')
    END AS run_id
FROM consortium_backfill_changes
WHERE backfill_id = :backfill_id AND id > :low AND id <= :high
ORDER BY id;
