-- Output rows of saved consortiums in responses (llm <= 0.31), not grouped or
-- linked yet: those logged after :start (the last row an earlier backfill
-- read; sql/named_rows.sql found them), and those an earlier backfill left
-- for review unlinked (:pending_outputs, a JSON array of ids): the runs they
-- may belong to are read again too, and may have finished since. Those in
-- llm's turns (llm >= 0.32): c08_turn_outputs.sql.
WITH chosen (rid) AS (
    SELECT rid FROM named_rows WHERE rid > :start
    UNION
    SELECT rowid FROM main.responses WHERE id IN (SELECT value FROM json_each(:pending_outputs))
)
INSERT OR IGNORE INTO c08_outputs (output_id, output_table, rid, model, prompt, response, datetime_utc, dt, named_run_id)
SELECT
    logged.id, 'responses', logged.rid, logged.model, logged.prompt, logged.response,
    logged.datetime_utc, logged.dt,
    json_extract(CASE WHEN json_valid(responses.response_json) THEN responses.response_json END,
                 '$.metadata.consortium_id')
-- CROSS JOIN: from the few chosen rows to theirs, never the other way.
FROM chosen
CROSS JOIN logged ON logged.rid = chosen.rid
JOIN main.responses ON responses.rowid = logged.rid
WHERE logged.model IN (SELECT name FROM consortium_names)
  AND logged.consortium_id IS NULL
  AND logged.id NOT IN (SELECT output_id FROM c08_done);
