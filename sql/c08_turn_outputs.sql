-- The same for llm's turns table (llm >= 0.32), through the turn_texts view:
-- the turns logged after :turns_after (the last one an earlier backfill read;
-- 0 on a full pass), up to :turns_max, the last one when this backfill began,
-- read before consortium_logs.db so that every output read has its run there.
INSERT OR IGNORE INTO c08_outputs (output_id, output_table, rid, model, prompt, response, datetime_utc, dt, named_run_id)
SELECT
    id, 'turns', NULL, model, prompt, response, datetime_utc, julianday(datetime_utc),
    json_extract(CASE WHEN json_valid(response_json) THEN response_json END, '$.metadata.consortium_id')
FROM turn_texts
WHERE rid > :turns_after AND rid <= :turns_max
  AND model IN (SELECT name FROM consortium_names)
  AND id NOT IN (SELECT output_id FROM c08_done);
