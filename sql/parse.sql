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

-- Automatic-context follow-ups quote no original prompt: sql/chain.sql
-- checks the one of the run's first arbiter prompt instead.
UPDATE runs
SET skip_reason = 'arbiter prompt quotes no original prompt'
WHERE skip_reason IS NULL AND run_rid > :low AND run_rid <= :high
  AND json_extract(parsed, '$.original_prompt') IS NULL
  AND json_extract(parsed, '$.history') != 'conversation';

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

-- A judge synthesises nothing: the output row's text is the chosen member's
-- answer, byte for byte, so it must be one the judge quotes; or the judge's
-- own whole answer, which the builds return when they cannot use its choice
-- (it names a member that failed).
UPDATE runs
SET skip_reason = 'output is not an answer the judge quotes'
WHERE skip_reason IS NULL AND run_rid > :low AND run_rid <= :high
  AND output_rid IS NOT NULL
  AND json_extract(parsed, '$.output') = 'member'
  AND (SELECT output.response IS NOT judge.response FROM logged AS output, logged AS judge
       WHERE output.rid = runs.output_rid AND judge.rid = runs.arbiter_rid)
  AND NOT EXISTS (
      SELECT 1
      FROM json_each(runs.parsed, '$.members') AS quote, logged AS arbiter, logged AS output
      WHERE arbiter.rid = runs.arbiter_rid AND output.rid = runs.output_rid
        AND json_extract(quote.value, '$.hash') = content_hash(CAST(output.response AS BLOB))
        AND substr(arbiter.prompt, json_extract(quote.value, '$.start'), json_extract(quote.value, '$.length'))
            = output.response
  );
