-- A consortium used as another's arbiter: each outer arbiter call is a whole
-- inner run, whose output row (asked the outer arbiter prompt) is the outer
-- run's arbiter of that iteration. Those rows stay in their inner runs; the
-- run history records them in the outer run too, and each inner run names
-- the outer one as its parent.
CREATE TEMP TABLE nested_arbiters AS
SELECT runs.run_rid, runs.arbiter_rid AS rid, 'final_arbiter' AS role,
       json_extract(runs.parsed, '$.iterations') AS iteration
FROM runs
WHERE runs.skip_reason IS NULL AND runs.nested
UNION ALL
-- Earlier iterations: inner outputs whose text the outer final arbiter quotes
-- as an earlier synthesis, asked about the same original prompt, in its window.
-- CROSS JOIN keeps this order: the few outer runs first, then their quotes,
-- then the inner runs whose output lies in the outer run's window, told from
-- the runs table alone, and only then their rows.
SELECT runs.run_rid, inner_run.output_rid, 'intermediate_arbiter', json_extract(quote.value, '$.iteration')
FROM runs
CROSS JOIN snippets ON snippets.run_rid = runs.run_rid AND snippets.kind = 'synthesis'
CROSS JOIN json_each(snippets.quotes) AS quote
CROSS JOIN runs AS inner_run
    ON inner_run.skip_reason IS NULL
   AND inner_run.output_rid < runs.arbiter_rid
   AND inner_run.output_dt >= runs.window_start
CROSS JOIN logged AS inner_output ON inner_output.rid = inner_run.output_rid
CROSS JOIN logged AS final ON final.rid = runs.arbiter_rid
WHERE runs.skip_reason IS NULL AND runs.nested
  AND synthesis_text('arbiter_prompt', CAST(inner_output.response AS BLOB)) = substr(final.prompt, snippets.start, snippets.length)
  AND original_prompt(CAST(inner_output.prompt AS BLOB)) = substr(
      final.prompt,
      json_extract(runs.parsed, '$.original_prompt.start'),
      json_extract(runs.parsed, '$.original_prompt.length')
  );

-- Inner run -> the outer run it answered for.
CREATE TEMP TABLE parent_runs AS
SELECT inner_run.consortium_id AS run_id, outer_run.consortium_id AS parent_run_id
FROM nested_arbiters
JOIN runs AS outer_run ON outer_run.run_rid = nested_arbiters.run_rid
JOIN runs AS inner_run ON inner_run.output_rid = nested_arbiters.rid AND inner_run.skip_reason IS NULL;
