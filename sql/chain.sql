-- Automatic context: for each run of a range whose final arbiter shows no
-- earlier iteration, the arbiter rows of the same llm conversation logged
-- before it and inside its window, latest first (none: one NULL row). The
-- walk in consortium_backfill/chains.py takes a row only as its content
-- allows; the conversation link alone never groups a row.
-- `grouped`: an earlier backfill put the row in a run.
-- `crosses`: an output row of the same user prompt was logged between this
-- row and the final arbiter: a run of its own ended there (`llm chat`).
SELECT
    runs.run_rid,
    output.prompt AS output_prompt,
    json_extract(runs.parsed, '$.format') AS final_format,
    original_prompt(CAST(final.prompt AS BLOB)) AS final_original,
    link.rid,
    arbiter_format(CAST(link.prompt AS BLOB)) AS format,
    original_prompt(CAST(link.prompt AS BLOB)) AS original,
    link.consortium_id IS NOT NULL AS grouped,
    EXISTS (
        SELECT 1
        FROM runs AS other
        JOIN logged AS other_output ON other_output.rid = other.output_rid
        WHERE other.output_rid > link.rid AND other.output_rid < final.rid
          AND other_output.prompt = output.prompt
    ) AS crosses
FROM runs
JOIN logged AS final ON final.rid = runs.arbiter_rid
LEFT JOIN logged AS output ON output.rid = runs.output_rid
LEFT JOIN conversation_arbiters AS linked
    ON linked.conversation_id = final.conversation_id
   AND linked.rid < final.rid
LEFT JOIN logged AS link
    ON link.rid = linked.rid
   AND link.model = final.model
   AND link.dt >= runs.window_start
WHERE runs.skip_reason IS NULL
  AND runs.run_rid > :low AND runs.run_rid <= :high
  AND json_extract(runs.parsed, '$.history') = 'conversation'
ORDER BY runs.run_rid, link.rid DESC;
