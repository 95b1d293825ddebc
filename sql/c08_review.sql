-- What a person should look at in the consortium_logs.db era.

-- Output rows no evidence links to exactly one run. Rows of responses with no
-- qualifying run at all are left to the prompt-based phases (they may be runs
-- of llm-consortium <= 0.7, logged in logs.db); they are not here.
INSERT OR IGNORE INTO c08_review (response_id, kind, reason, evidence)
SELECT
    outputs.output_id,
    'unlinked_output',
    CASE
        WHEN candidates.n > 1 THEN
            'ambiguous: ' || candidates.n || ' runs in consortium_logs.db qualify (same consortium, prompt, '
            || 'time and text); never guessed'
        WHEN candidates.n = 1 THEN
            'ambiguous: its only qualifying run is also the only one of another output row'
        ELSE no_run.reason
    END,
    json_object(
        'output_table', outputs.output_table,
        'model', outputs.model,
        'datetime_utc', outputs.datetime_utc,
        'prompt_start', substr(outputs.prompt, 1, 120),
        'named_run_id', outputs.named_run_id,
        'candidate_run_ids', json(coalesce(candidates.ids, '[]'))
    )
FROM c08_outputs AS outputs
LEFT JOIN (
    SELECT output_id, count(*) AS n, json_group_array(run_id) AS ids FROM c08_candidates GROUP BY output_id
) AS candidates ON candidates.output_id = outputs.output_id
LEFT JOIN c08_no_run AS no_run ON no_run.output_id = outputs.output_id
WHERE outputs.output_id NOT IN (SELECT output_id FROM c08_links)
  AND (outputs.output_table = 'turns' OR candidates.n > 0);

-- Runs that never finished: llm-consortium marks a run `running` when it
-- starts and only a finished run otherwise; one still `running` with no
-- output row failed (or ran with --no-log under a build that never marks
-- its runs finished).
INSERT OR IGNORE INTO c08_review (response_id, kind, reason, evidence)
SELECT
    runs.id,
    'failed_run',
    'run still `running` in consortium_logs.db and no output row links to it: it failed '
    || '(or a --no-log run of a build that never marks runs finished)',
    json_object(
        'config_name', runs.config_name,
        'created_at', runs.created_at,
        'iteration_count', runs.iteration_count,
        'prompt_start', substr(runs.user_prompt, 1, 120)
    )
FROM c08_runs AS runs
WHERE runs.status = 'running'
  AND runs.id NOT IN (SELECT run_id FROM c08_links)
  AND runs.id NOT IN (SELECT run_id FROM c08_candidates)
  AND runs.id NOT IN (SELECT run_id FROM c08_done_runs);

-- Calls consortium_members names whose row llm-consortium failed to log
-- ("database is locked" at log time): their run is recorded without them.
INSERT OR IGNORE INTO c08_review (response_id, kind, reason, evidence)
SELECT
    members.response_id,
    'missing_member',
    'named by consortium_members, but consortium_logs.db holds no row with this id',
    json_object(
        'run_id', members.run_id,
        'role', members.role,
        'iteration', members.iteration,
        'member_index', members.member_index
    )
FROM c08_members AS members
WHERE members.logged = 0
  AND members.run_id NOT IN (SELECT run_id FROM c08_done_runs);

INSERT INTO review (response_id, kind, reason, evidence)
SELECT response_id, kind, reason, evidence FROM c08_review;
