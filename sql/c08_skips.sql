-- An output row in responses of the consortium_logs.db era (logged after the
-- file's first run) that no run qualifies for, and that the prompt-based
-- phases skip too: its skip reason says first why no run was linked.
-- :first_created_dt: the file's first run, as this backfill or an earlier one
-- read it (a re-run reads only the runs logged since).
UPDATE runs
SET skip_reason = no_run.reason || ' (nor is its run in logs.db: ' || runs.skip_reason || ')'
FROM c08_no_run AS no_run
JOIN c08_outputs AS outputs ON outputs.output_id = no_run.output_id
WHERE runs.output_id = no_run.output_id
  AND runs.skip_reason IS NOT NULL
  AND outputs.dt >= :first_created_dt - 1.0 / 1440;
