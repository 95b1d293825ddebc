-- Review rows about the consortium_logs.db runs this backfill read again
-- (left unlinked by an earlier one: in flight then, or failed) that its own
-- findings, in the temp table review, no longer hold: a run linked or
-- finished since, a failed run's evidence that grew, an output row weighed
-- again with runs read since. Counted before the write
-- (write.new_review_rows), deleted with it (new_review.sql); rows about runs
-- an earlier backfill linked, or did not read again, stand as they are.
SELECT old.rowid
FROM consortium_backfill_review AS old
WHERE (
    old.kind IN ('failed_run', 'missing_member')
    AND coalesce(json_extract(old.evidence, '$.run_id'), old.response_id) IN (
        SELECT id FROM c08_runs WHERE id NOT IN (SELECT run_id FROM c08_done_runs)
    )
    OR old.kind = 'unlinked_output' AND old.response_id IN (SELECT output_id FROM c08_outputs)
)
  AND NOT EXISTS (
      SELECT 1 FROM review
      WHERE review.response_id = old.response_id AND review.kind = old.kind
        AND review.reason IS old.reason AND review.evidence IS old.evidence
  )
