-- The run each recorded change of one backfill belongs to, for `undo` to put
-- back whole runs at a time. Read in ranges of change ids, (:low, :high], so
-- that no read of a large change log holds the file for long.
--   run_id: a row of responses by the run it joined (or, cleared by
--   --replace-foreign, the one it left); a run history row by its run; a
--   member by its run. NULL: a change of no run (where the backfill stopped).
--   parent_run_id: an inner run's outer run, restored with it.
--   output_id: a run's output row, to find the run of a review row (accept
--   deletes the review row of the run it groups).
--   review_of: the output row a review row is about.
SELECT
    id,
    CASE
        WHEN table_name = 'responses'
            THEN coalesce(json_extract(new, '$.consortium_id'), json_extract(old, '$.consortium_id'))
        WHEN table_name = :runs THEN json_extract(coalesce(new, old), '$.id')
        WHEN table_name = :members THEN json_extract(coalesce(new, old), '$.run_id')
    END AS run_id,
    CASE WHEN table_name = :runs THEN json_extract(coalesce(new, old), '$.parent_run_id') END AS parent_run_id,
    CASE WHEN table_name = :runs THEN json_extract(coalesce(new, old), '$.output_response_id') END AS output_id,
    CASE
        WHEN table_name = 'consortium_backfill_review' THEN json_extract(coalesce(new, old), '$.response_id')
    END AS review_of
FROM consortium_backfill_changes
WHERE backfill_id = :backfill_id AND id > :low AND id <= :high
ORDER BY id;
