-- What the final arbiters of a range of runs quote: offsets and hashes, no
-- copies of the texts. A prompt that cannot be read, or that was asked about
-- another prompt than the output's, skips its run.
UPDATE runs
SET parsed = arbiter_parse((SELECT CAST(prompt AS BLOB) FROM logged WHERE rid = runs.arbiter_rid))
WHERE skip_reason IS NULL AND run_rid > :low AND run_rid <= :high;

UPDATE runs
SET skip_reason = 'malformed arbiter prompt: ' || json_extract(parsed, '$.error')
WHERE skip_reason IS NULL AND run_rid > :low AND run_rid <= :high
  AND json_extract(parsed, '$.error') IS NOT NULL;

UPDATE runs
SET skip_reason = 'original prompt does not match'
WHERE skip_reason IS NULL AND run_rid > :low AND run_rid <= :high
  AND output_rid IS NOT NULL
  AND (
      SELECT instr(
          substr(arbiter.prompt,
                 json_extract(runs.parsed, '$.original_prompt.start'),
                 json_extract(runs.parsed, '$.original_prompt.length')),
          output.prompt
      ) = 0
      FROM logged AS arbiter, logged AS output
      WHERE arbiter.rid = runs.arbiter_rid AND output.rid = runs.output_rid
  );
