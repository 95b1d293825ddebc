-- `llm chat -m CONSORTIUM` keeps one orchestrator for the session: a later
-- turn's arbiter quotes the earlier turns' iterations (or, manual context,
-- their `Human:`/`Assistant:` exchange) as if they were its own. A quoted
-- synthesis that is the answer of an arbiter asked about another prompt
-- shows this. Each such quote, with the iteration the history gives it, is
-- listed here; consortium_backfill/chat_turns.py takes those iterations out
-- of the run, or skips the run when they are not its first ones.
-- The earlier arbiters looked at: sql/earlier_arbiters.sql.
WITH pairs AS (
    SELECT snippets.rowid AS snippet, earlier_arbiters.rid
    FROM snippets JOIN earlier_arbiters ON earlier_arbiters.synthesis_hash = snippets.hash
    WHERE snippets.kind = 'synthesis'
    UNION
    SELECT snippets.rowid, earlier_arbiters.rid
    FROM snippets JOIN earlier_arbiters ON earlier_arbiters.response_hash = snippets.hash
    WHERE snippets.kind = 'synthesis'
)
SELECT DISTINCT runs.run_rid, json_extract(quote.value, '$.iteration') AS iteration
FROM pairs
JOIN snippets ON snippets.rowid = pairs.snippet
JOIN runs ON runs.run_rid = snippets.run_rid
JOIN earlier_arbiters ON earlier_arbiters.rid = pairs.rid
JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
JOIN logged AS earlier ON earlier.rid = earlier_arbiters.rid,
     json_each(snippets.quotes) AS quote
WHERE runs.skip_reason IS NULL AND runs.output_rid IS NOT NULL
  AND earlier.rid < runs.arbiter_rid
  AND substr(arbiter.prompt, snippets.start, snippets.length) IN (
      synthesis_text(earlier_arbiters.arbiter_format, CAST(earlier.response AS BLOB)),
      earlier.response
  )
  AND original_prompt(CAST(earlier.prompt AS BLOB)) IS NOT substr(
      arbiter.prompt,
      json_extract(runs.parsed, '$.original_prompt.start'),
      json_extract(runs.parsed, '$.original_prompt.length')
  )
  -- A consortium used as this run's arbiter: its arbiters were asked this
  -- run's own arbiter prompt, whose original prompt is this run's.
  AND original_prompt(original_prompt(CAST(earlier.prompt AS BLOB))) IS NOT substr(
      arbiter.prompt,
      json_extract(runs.parsed, '$.original_prompt.start'),
      json_extract(runs.parsed, '$.original_prompt.length')
  )
ORDER BY runs.run_rid, iteration;
