-- Runs and their rows in the shape of llm-consortium 0.8's consortium_runs and
-- consortium_members. Only rows this backfill grouped are added, those of the
-- runs this transaction writes (run_rid in (:low, :high], sql/chunks.sql).
-- Times are in one format, UTC with milliseconds: 2025-01-31T12:00:00.123+00:00.
INSERT OR IGNORE INTO [{members}] (run_id, response_id, role, iteration, member_index, quoted_by, source, logged_in)
SELECT
    assigned.consortium_id,
    row.id,
    assigned.role,
    assigned.iteration,
    assigned.member_index,
    quoter.id,
    assigned.source,
    'logs.db'
FROM assigned
JOIN logged AS row ON row.rid = assigned.rid
LEFT JOIN logged AS quoter ON quoter.rid = assigned.quoted_by_rid
WHERE assigned.run_rid > :low AND assigned.run_rid <= :high;

-- The arbiter rows of an outer run that are inner runs' outputs (nested.sql).
INSERT OR IGNORE INTO [{members}] (run_id, response_id, role, iteration, member_index, quoted_by, source)
SELECT runs.consortium_id, row.id, nested_arbiters.role, nested_arbiters.iteration, NULL,
       CASE WHEN nested_arbiters.role = 'intermediate_arbiter' THEN final.id END,
       'output of a consortium used as arbiter'
FROM nested_arbiters
JOIN runs ON runs.run_rid = nested_arbiters.run_rid
JOIN logged AS row ON row.rid = nested_arbiters.rid
JOIN logged AS final ON final.rid = runs.arbiter_rid
WHERE nested_arbiters.run_rid > :low AND nested_arbiters.run_rid <= :high;

INSERT OR IGNORE INTO [{runs}] (
    id, created_at, ended_at, config_name, iteration_count, member_count,
    user_prompt, arbiter_model, output_response_id, final_arbiter_response_id,
    source, output_table, parent_run_id
)
SELECT
    runs.consortium_id,
    (SELECT strftime('%Y-%m-%dT%H:%M:%f+00:00', min(logged.dt)) FROM assignments
     JOIN logged ON logged.rid = assignments.rid WHERE assignments.run_rid = runs.run_rid),
    strftime('%Y-%m-%dT%H:%M:%f+00:00', arbiter.datetime_utc,
             printf('%+.3f seconds', coalesce(arbiter.duration_ms, 0) / 1000.0)),
    output.model,
    json_extract(runs.parsed, '$.iterations'),
    (SELECT count(*) FROM assignments WHERE assignments.run_rid = runs.run_rid AND role = 'member'),
    substr(coalesce(output.prompt, original_prompt(CAST(arbiter.prompt AS BLOB))), 1, 200),
    arbiter.model,
    runs.output_id,
    runs.arbiter_id,
    'logs.db prompts',
    CASE WHEN runs.output_id IS NOT NULL THEN 'responses' END,
    (SELECT parent_run_id FROM parent_runs WHERE parent_runs.run_id = runs.consortium_id)
FROM runs
JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
LEFT JOIN logged AS output ON output.rid = runs.output_rid
WHERE runs.skip_reason IS NULL
  AND runs.run_rid > :low AND runs.run_rid <= :high;
