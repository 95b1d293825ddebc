-- `llm chat -m CONSORTIUM` keeps one orchestrator for the session: a later
-- turn's arbiter quotes the earlier turns' iterations (or, manual context,
-- their `Human:`/`Assistant:` exchange) as if they were its own. A quoted
-- synthesis that is the answer of an arbiter asked about another prompt
-- shows this: such a run is skipped for review, never guessed.
--
-- The earlier arbiters looked at: the candidates, the final arbiters of
-- the runs found, and arbiters an earlier backfill grouped; all by hash.
CREATE TEMP TABLE earlier_arbiters AS
SELECT rid, arbiter_format, synthesis_hash, response_hash
FROM candidates WHERE arbiter_format IS NOT NULL
UNION ALL
SELECT rid, arbiter_format, synthesis_hash, response_hash FROM grouped_arbiters
UNION ALL
SELECT rid, format, content_hash(synthesis_text(format, CAST(response AS BLOB))), content_hash(CAST(response AS BLOB))
FROM (
    SELECT final.rid, final.response, arbiter_format(CAST(substr(final.prompt, 1, :prefix_length) AS BLOB)) AS format
    FROM runs JOIN logged AS final ON final.rid = runs.arbiter_rid
    WHERE runs.arbiter_rid IS NOT NULL
    LIMIT -1
)
WHERE format IS NOT NULL;

CREATE INDEX temp.earlier_arbiters_by_synthesis ON earlier_arbiters (synthesis_hash);
CREATE INDEX temp.earlier_arbiters_by_response ON earlier_arbiters (response_hash);

UPDATE runs
SET skip_reason = 'history quotes a run of another prompt (llm chat turn)'
WHERE run_rid IN (
    WITH pairs AS (
        SELECT snippets.rowid AS snippet, earlier_arbiters.rid
        FROM snippets JOIN earlier_arbiters ON earlier_arbiters.synthesis_hash = snippets.hash
        WHERE snippets.kind = 'synthesis'
        UNION
        SELECT snippets.rowid, earlier_arbiters.rid
        FROM snippets JOIN earlier_arbiters ON earlier_arbiters.response_hash = snippets.hash
        WHERE snippets.kind = 'synthesis'
    )
    SELECT runs.run_rid
    FROM pairs
    JOIN snippets ON snippets.rowid = pairs.snippet
    JOIN runs ON runs.run_rid = snippets.run_rid
    JOIN earlier_arbiters ON earlier_arbiters.rid = pairs.rid
    JOIN logged AS arbiter ON arbiter.rid = runs.arbiter_rid
    JOIN logged AS earlier ON earlier.rid = earlier_arbiters.rid
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
);
