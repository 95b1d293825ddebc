-- The runs each output row may belong to, by evidence only. An output that
-- names its run (metadata.consortium_id, builds from 4ab2741 on) has that run
-- or none. Otherwise a run qualifies when it is of the same consortium, was
-- asked the output's prompt, was created within :link_days after the output
-- row's datetime_utc (the run's start; seen under 0.3 s), and its last
-- arbiter synthesis is the output's text.
INSERT OR IGNORE INTO c08_candidates (output_id, run_id, basis)
SELECT outputs.output_id, runs.id, 'metadata.consortium_id'
FROM c08_outputs AS outputs
JOIN c08_runs AS runs ON runs.id = outputs.named_run_id
UNION ALL
SELECT outputs.output_id, runs.id, 'name, prompt, time and text'
FROM c08_outputs AS outputs
JOIN c08_runs AS runs
  ON runs.config_name = outputs.model
 AND runs.user_prompt = outputs.prompt
 AND runs.created_dt - outputs.dt BETWEEN 0 AND :link_days
 AND runs.last_synthesis = outputs.response
WHERE outputs.named_run_id IS NULL
  AND runs.id NOT IN (SELECT run_id FROM c08_done_runs);
