-- Output rows of saved consortiums in responses (llm <= 0.31), not grouped or
-- linked yet, logged after :start (the last row an earlier backfill read).
-- Those in llm's turns (llm >= 0.32): c08_turn_outputs.sql.
INSERT OR IGNORE INTO c08_outputs (output_id, output_table, rid, model, prompt, response, datetime_utc, dt, named_run_id)
SELECT
    logged.id, 'responses', logged.rid, logged.model, logged.prompt, logged.response,
    logged.datetime_utc, logged.dt,
    json_extract(CASE WHEN json_valid(responses.response_json) THEN responses.response_json END,
                 '$.metadata.consortium_id')
-- CROSS JOIN: from the few named rows to theirs, never the other way.
FROM named_rows
CROSS JOIN logged ON logged.rid = named_rows.rid
JOIN main.responses ON responses.rowid = logged.rid
WHERE named_rows.rid > :start
  AND logged.consortium_id IS NULL
  AND logged.id NOT IN (SELECT output_id FROM c08_done);
