-- The consortium_logs.db era's writes, for the links this transaction writes
-- (c08_links' rowid in (:link_low, :link_high], sql/chunks.sql): each run
-- with its output row, whole.
-- Only responses rows are changed, and only their two consortium columns;
-- llm's turns, threads and messages tables are never written.
UPDATE responses
SET consortium_id = links.run_id,
    is_arbiter_response = 0
FROM c08_links AS links
JOIN c08_outputs AS outputs ON outputs.output_id = links.output_id
WHERE outputs.output_table = 'responses'
  AND responses.rowid = outputs.rid
  AND responses.consortium_id IS NULL
  -- (an UPDATE's FROM with a join cannot name links.rowid)
  AND links.run_id IN (SELECT run_id FROM c08_links WHERE rowid > :link_low AND rowid <= :link_high);

INSERT OR IGNORE INTO [{runs}] (
    id, created_at, ended_at, config_name, iteration_count, member_count,
    user_prompt, arbiter_model, output_response_id, final_arbiter_response_id,
    source, output_table, status, linked_by
)
SELECT
    runs.id,
    -- consortium_logs.db writes naive UTC; the runs table's one format is UTC with milliseconds
    strftime('%Y-%m-%dT%H:%M:%f+00:00', runs.created_at),
    NULL,
    runs.config_name,
    runs.iteration_count,
    (SELECT count(*) FROM c08_members WHERE run_id = runs.id AND role = 'member'),
    substr(runs.user_prompt, 1, 200),
    runs.arbiter_model,
    links.output_id,
    runs.final_arbiter_id,
    'consortium_logs.db',
    outputs.output_table,
    runs.status,
    links.basis
FROM c08_links AS links
JOIN c08_runs AS runs ON runs.id = links.run_id
JOIN c08_outputs AS outputs ON outputs.output_id = links.output_id
WHERE links.rowid > :link_low AND links.rowid <= :link_high;

-- Members and arbiters as consortium_members names them; logged_in says which
-- database holds their row (NULL: none, llm-consortium failed to log it).
INSERT OR IGNORE INTO [{members}] (run_id, response_id, role, iteration, member_index, quoted_by, source, logged_in)
SELECT
    members.run_id,
    members.response_id,
    members.role,
    members.iteration,
    members.member_index,
    NULL,
    'consortium_members',
    CASE WHEN members.logged THEN 'consortium_logs.db' END
FROM c08_members AS members
WHERE members.run_id IN (SELECT run_id FROM c08_links WHERE rowid > :link_low AND rowid <= :link_high)
UNION ALL
SELECT links.run_id, links.output_id, 'final_output', runs.iteration_count, NULL, NULL, 'consortium_runs', 'logs.db'
FROM c08_links AS links
JOIN c08_runs AS runs ON runs.id = links.run_id
WHERE links.rowid > :link_low AND links.rowid <= :link_high;

-- Review rows of the output rows linked, and of their runs (a run an earlier
-- backfill saw in flight, under review as failed).
DELETE FROM consortium_backfill_review
WHERE response_id IN (SELECT output_id FROM c08_links WHERE rowid > :link_low AND rowid <= :link_high)
   OR response_id IN (SELECT run_id FROM c08_links WHERE rowid > :link_low AND rowid <= :link_high);
