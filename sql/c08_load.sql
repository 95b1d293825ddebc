-- What llm-consortium 0.8+'s consortium_logs.db says about its runs, read from
-- the file attached read-only as `clogs`. Python fills in the braces: columns
-- or tables older builds may lack, and whether each call was logged.
--
-- The runs read: those the last backfill did not see (rowid in
-- (:runs_after, :runs_max]; all of them on a full pass) and those it left
-- unlinked (:pending, a JSON object keyed by run id: in flight then, or
-- failed), which llm-consortium may have finished since. Both by rowid or
-- primary key; members and decisions through their (run_id, ...) keys.

-- Calls logged in the file's own responses table after :calls_from (every
-- call of every run read here lies after it, resume.py): that table has no
-- index on id, so its rows are read once, by rowid range.
INSERT INTO c08_calls (id, rid)
SELECT id, rowid FROM {calls} WHERE rowid > :calls_from;
CREATE INDEX temp.c08_calls_by_id ON c08_calls (id);

WITH chosen (rid) AS (
    SELECT rowid FROM clogs.consortium_runs WHERE rowid > :runs_after AND rowid <= :runs_max
    UNION
    SELECT runs.rowid FROM clogs.consortium_runs AS runs
    WHERE runs.id IN (SELECT key FROM json_each(:pending))
)
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
FROM chosen
JOIN clogs.consortium_runs AS runs ON runs.rowid = chosen.rid
LEFT JOIN clogs.arbiter_decisions AS last
    ON last.run_id = runs.id
   AND last.iteration = (SELECT max(iteration) FROM clogs.arbiter_decisions WHERE run_id = runs.id)
LEFT JOIN {configs} AS configs ON configs.name = runs.config_name
WHERE runs.id IS NOT NULL;

-- Each call of a run: members by model, 'arbiter' for the arbiter. The last
-- arbiter call of a run is its final arbiter, earlier ones intermediate.
INSERT OR IGNORE INTO c08_members (run_id, response_id, role, iteration, member_index, logged, call_rid)
SELECT
    run_id, response_id, role, iteration, member_index,
    call_rid IS NOT NULL OR {in_turns},
    call_rid
FROM (
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
        END AS role,
        members.iteration,
        members.member_index,
        (SELECT min(rid) FROM c08_calls WHERE c08_calls.id = members.response_id) AS call_rid
    FROM clogs.consortium_members AS members
    WHERE members.run_id IN (SELECT id FROM c08_runs) AND members.response_id IS NOT NULL
) AS found;
