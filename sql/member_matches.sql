-- Members of a range of runs: rows whose response equals, byte for byte, a
-- member answer the final arbiter quotes (in <model_responses> or as an
-- `M: TEXT` line of <iteration_history>), before it in log order and inside
-- its window. Joined on the content hash, then confirmed in place against
-- the quote. Nearest rows first: the driver claims greedily in this order.
SELECT
    snippets.run_rid,
    runs.arbiter_rid,
    snippets.hash,
    snippets.quotes,
    candidates.rid
FROM snippets
JOIN runs ON runs.run_rid = snippets.run_rid
JOIN candidates ON candidates.response_hash = snippets.hash
JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
JOIN logged AS candidate ON candidate.rid = candidates.rid
WHERE snippets.kind = 'member'
  AND runs.run_rid > :low AND runs.run_rid <= :high
  AND candidates.rid < runs.arbiter_rid
  AND candidates.dt >= runs.window_start
  AND candidate.response = substr(arbiter.prompt, snippets.start, snippets.length)
ORDER BY runs.run_rid, candidates.rid DESC;
