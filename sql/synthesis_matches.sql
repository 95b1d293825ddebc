-- Intermediate arbiters of a range of runs: earlier arbiter rows whose
-- synthesis is one the final arbiter quotes in <iteration_history>, asked
-- about the same original prompt, before it in log order and inside its
-- window. Established by content, never by time alone. Nearest rows first:
-- the driver claims greedily in this order.
SELECT
    snippets.run_rid,
    runs.arbiter_rid,
    snippets.hash,
    snippets.quotes,
    candidates.rid
FROM snippets
JOIN runs ON runs.run_rid = snippets.run_rid
JOIN candidates ON candidates.synthesis_hash = snippets.hash
JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
JOIN logged AS candidate ON candidate.rid = candidates.rid
WHERE snippets.kind = 'synthesis'
  AND runs.run_rid > :low AND runs.run_rid <= :high
  AND candidates.rid < runs.arbiter_rid
  AND candidates.dt >= runs.window_start
  AND synthesis_text(candidates.arbiter_format, CAST(candidate.response AS BLOB)) = substr(arbiter.prompt, snippets.start, snippets.length)
  AND original_prompt(CAST(candidate.prompt AS BLOB)) = substr(
      arbiter.prompt,
      json_extract(runs.parsed, '$.original_prompt.start'),
      json_extract(runs.parsed, '$.original_prompt.length')
  )
ORDER BY runs.run_rid, candidates.rid DESC;
