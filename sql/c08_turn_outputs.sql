-- The same for llm's turns table (llm >= 0.32), through the turn_texts view:
-- the turns logged after :turns_after (the last one an earlier backfill read;
-- 0 on a full pass), up to :turns_max, the last one when this backfill began,
-- read before consortium_logs.db so that every output read has its run there;
-- and those an earlier backfill left for review unlinked (:pending_outputs).
WITH chosen (rid) AS (
    SELECT rowid FROM main.turns WHERE rowid > :turns_after AND rowid <= :turns_max
    UNION
    SELECT rowid FROM main.turns WHERE id IN (SELECT value FROM json_each(:pending_outputs))
)
INSERT OR IGNORE INTO c08_outputs (output_id, output_table, rid, model, prompt, response, datetime_utc, dt, named_run_id)
SELECT
    id, 'turns', NULL, model, prompt, response, datetime_utc, julianday(datetime_utc),
    json_extract(CASE WHEN json_valid(response_json) THEN response_json END, '$.metadata.consortium_id')
FROM chosen
JOIN turn_texts ON turn_texts.rid = chosen.rid
WHERE model IN (SELECT name FROM consortium_names)
  AND id NOT IN (SELECT output_id FROM c08_done);
