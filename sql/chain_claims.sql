-- The earlier arbiters of automatic-context runs (sql/chain.sql), as
-- intermediate arbiters quoted by nothing: llm's conversation links them.
INSERT INTO assignments (rid, run_rid, role, iteration, quoted_by_rid, source)
SELECT chain_links.rid, chain_links.run_rid, 'intermediate_arbiter', chain_links.iteration,
       runs.arbiter_rid, 'conversation chain'
FROM chain_links
JOIN runs ON runs.run_rid = chain_links.run_rid
WHERE runs.skip_reason IS NULL
  AND chain_links.rid NOT IN (SELECT rid FROM assignments);
