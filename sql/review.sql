-- What a person should look at: runs that were skipped, with the reason, and
-- arbiter rows that belong to no run (`llm consortium run`, failed runs).
-- Only rows logged since the last backfill: earlier review rows stay as they are.
CREATE TEMP TABLE review AS
SELECT
    runs.output_id AS response_id,
    'skipped_run' AS kind,
    runs.skip_reason AS reason,
    json_object(
        'output_id', runs.output_id,
        'output_model', output.model,
        'output_datetime_utc', output.datetime_utc,
        'previous_row_id', runs.arbiter_id,
        'previous_row_model', previous.model,
        'previous_prompt_start', substr(previous.prompt, 1, 120),
        'previous_prompt_first_line', substr(previous.prompt, 1, min(200, instr(previous.prompt || char(10), char(10)) - 1)),
        -- A hint for the person reviewing, never applied (likely.sql).
        'likely_final_arbiter_id', (SELECT id FROM logged WHERE rid = runs.likely_rid)
    ) AS evidence
FROM runs
JOIN logged AS output ON output.rid = runs.output_rid
LEFT JOIN logged AS previous ON previous.rid = runs.arbiter_rid
WHERE runs.skip_reason IS NOT NULL AND runs.output_rid IS NOT NULL
UNION ALL
SELECT
    logged.id,
    'orphan_arbiter',
    'arbiter prompt in no run: no consortium output row follows it',
    json_object(
        'model', logged.model,
        'datetime_utc', logged.datetime_utc,
        'original_prompt_start', substr(original_prompt(CAST(logged.prompt AS BLOB)), 1, 120)
    )
FROM candidates
JOIN logged ON logged.rid = candidates.rid
WHERE candidates.arbiter_format IS NOT NULL
  AND candidates.rid > :start
  AND candidates.rid NOT IN (SELECT rid FROM assignments);
