-- Every arbiter row a later `llm chat` turn may quote, by hash (read by
-- sql/foreign_syntheses.sql): the candidates, the final arbiters of the runs
-- found, and arbiters an earlier backfill grouped.
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
