-- The runs linked from consortium_logs.db, checked like verify.sql's runs:
-- each `-- check:` yields (run id, row id, what is wrong). c08_output_texts
-- holds the linked output rows found in responses or llm's turns; c08_runs
-- what consortium_logs.db says, when the file is there (:have_file).

-- check: linked output row exists
SELECT runs.id, runs.output_response_id, 'output row not found in ' || coalesce(runs.output_table, 'logs.db')
FROM [{runs}] AS runs
WHERE runs.source = 'consortium_logs.db'
  AND runs.output_response_id NOT IN (SELECT id FROM c08_output_texts);

-- check: linked output row in responses carries its run
SELECT runs.id, responses.id,
       'consortium_id ' || coalesce(responses.consortium_id, 'NULL') || ', is_arbiter_response '
       || coalesce(responses.is_arbiter_response, 'NULL')
FROM [{runs}] AS runs
JOIN main.responses ON responses.id = runs.output_response_id
WHERE runs.source = 'consortium_logs.db'
  AND (responses.consortium_id IS NOT runs.id OR responses.is_arbiter_response IS NOT 0);

-- check: linked run is in consortium_logs.db
SELECT runs.id, NULL, 'no such run in consortium_logs.db'
FROM [{runs}] AS runs
WHERE :have_file AND runs.source = 'consortium_logs.db'
  AND runs.id NOT IN (SELECT id FROM c08_runs);

-- check: linked output text is the run's last synthesis
SELECT runs.id, runs.output_response_id, 'output text differs from the last arbiter_decisions.synthesis'
FROM [{runs}] AS runs
JOIN c08_output_texts AS texts ON texts.id = runs.output_response_id
JOIN c08_runs ON c08_runs.id = runs.id
WHERE runs.source = 'consortium_logs.db'
  AND texts.response IS NOT c08_runs.last_synthesis;
