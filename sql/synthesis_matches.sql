-- Intermediate arbiters of a range of runs: earlier arbiter rows whose
-- synthesis is one the final arbiter quotes in <iteration_history>, asked
-- about the same original prompt, before it in log order and inside its
-- window. Established by content, never by time alone. Nearest rows first:
-- the driver claims greedily in this order.
--
-- The quote is the synthesis llm-consortium parsed out of the answer, or,
-- for the broken-parser builds of April 2025 (eacffb2..d6413f8) that parsed
-- nothing, the whole answer: either must equal the quoted text byte for byte.
WITH pairs AS (
    SELECT snippets.rowid AS snippet, candidates.rid
    FROM snippets JOIN candidates ON candidates.synthesis_hash = snippets.hash
    WHERE snippets.kind = 'synthesis' AND snippets.run_rid > :low AND snippets.run_rid <= :high
    UNION
    SELECT snippets.rowid, candidates.rid
    FROM snippets JOIN candidates ON candidates.response_hash = snippets.hash
    WHERE snippets.kind = 'synthesis' AND snippets.run_rid > :low AND snippets.run_rid <= :high
)
SELECT
    snippets.run_rid,
    runs.arbiter_rid,
    snippets.hash,
    snippets.quotes,
    candidates.rid
FROM pairs
JOIN snippets ON snippets.rowid = pairs.snippet
JOIN runs ON runs.run_rid = snippets.run_rid
JOIN candidates ON candidates.rid = pairs.rid
JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
JOIN logged AS candidate ON candidate.rid = candidates.rid
WHERE candidates.arbiter_format IS NOT NULL
  AND candidates.rid < runs.arbiter_rid
  AND candidates.dt >= runs.window_start
  AND substr(arbiter.prompt, snippets.start, snippets.length) IN (
      synthesis_text(candidates.arbiter_format, CAST(candidate.response AS BLOB)),
      candidate.response
  )
  AND original_prompt(CAST(candidate.prompt AS BLOB)) = substr(
      arbiter.prompt,
      json_extract(runs.parsed, '$.original_prompt.start'),
      json_extract(runs.parsed, '$.original_prompt.length')
  )
ORDER BY runs.run_rid, candidates.rid DESC;
