-- What llm-consortium 0.8+'s consortium_logs.db says about its runs, read once
-- from the file attached read-only as `clogs`. Python fills in the braces:
-- columns or tables older builds may lack, and the ids of the calls the file
-- logged (its own `responses` on llm <= 0.31, llm's `turns` on llm >= 0.32).
INSERT INTO c08_runs (
    id, created_at, created_dt, config_name, iteration_count, user_prompt, status,
    last_synthesis, final_arbiter_id, arbiter_model
)
SELECT
    runs.id,
    runs.created_at,
    julianday(runs.created_at),
    runs.config_name,
    runs.iteration_count,
    runs.user_prompt,
    {status},
    last.synthesis,
    last.response_id,
    json_extract(configs.config, '$.arbiter')
FROM clogs.consortium_runs AS runs
LEFT JOIN clogs.arbiter_decisions AS last
    ON last.run_id = runs.id
   AND last.iteration = (SELECT max(iteration) FROM clogs.arbiter_decisions WHERE run_id = runs.id)
LEFT JOIN {configs} AS configs ON configs.name = runs.config_name
WHERE runs.id IS NOT NULL;

-- Each call of a run: members by model, 'arbiter' for the arbiter. The last
-- arbiter call of a run is its final arbiter, earlier ones intermediate.
INSERT OR IGNORE INTO c08_members (run_id, response_id, role, iteration, member_index, logged)
SELECT
    members.run_id,
    members.response_id,
    CASE
        WHEN members.role != 'arbiter' THEN 'member'
        WHEN members.iteration = (
            SELECT max(iteration) FROM clogs.consortium_members AS other
            WHERE other.run_id = members.run_id AND other.role = 'arbiter'
        ) THEN 'final_arbiter'
        ELSE 'intermediate_arbiter'
    END,
    members.iteration,
    members.member_index,
    members.response_id IN ({logged_ids})
FROM clogs.consortium_members AS members
WHERE members.run_id IN (SELECT id FROM c08_runs) AND members.response_id IS NOT NULL;
