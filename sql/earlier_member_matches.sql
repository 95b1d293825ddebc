-- Members of earlier iterations the final arbiter does not quote: manual
-- context quotes only earlier syntheses, automatic context nothing. Each
-- intermediate arbiter of such a run quotes its own iteration's members in
-- <model_responses>: rows whose response equals one of those byte for byte,
-- logged before that arbiter and inside the run's window. Nearest rows
-- first: the driver claims greedily in this order.
WITH quotes AS MATERIALIZED (
    SELECT
        assignments.run_rid,
        assignments.rid AS arbiter_rid,
        arbiter.prompt,
        json_set(quote.value, '$.iteration', assignments.iteration) AS quote
    FROM assignments
    JOIN runs ON runs.run_rid = assignments.run_rid
    JOIN logged AS arbiter ON arbiter.rid = assignments.rid,
         json_each(arbiter_parse(CAST(arbiter.prompt AS BLOB)), '$.members') AS quote
    WHERE assignments.role = 'intermediate_arbiter'
      AND assignments.run_rid > :low AND assignments.run_rid <= :high
      AND json_extract(runs.parsed, '$.history') IN ('syntheses', 'conversation')
      AND json_extract(quote.value, '$.source') = 'model_responses'
),
texts AS (
    SELECT run_rid, max(arbiter_rid) AS arbiter_rid, json_extract(quote, '$.hash') AS hash,
           json_group_array(json(quote)) AS quotes
    FROM quotes
    GROUP BY run_rid, hash
)
SELECT texts.run_rid, texts.arbiter_rid, texts.hash, texts.quotes, candidates.rid
FROM texts
JOIN runs ON runs.run_rid = texts.run_rid
JOIN candidates ON candidates.response_hash = texts.hash
JOIN logged AS candidate ON candidate.rid = candidates.rid
WHERE candidates.rid < texts.arbiter_rid
  AND candidates.dt >= runs.window_start
  AND EXISTS (
      SELECT 1 FROM quotes
      WHERE quotes.run_rid = texts.run_rid
        AND quotes.arbiter_rid > candidates.rid
        AND json_extract(quotes.quote, '$.hash') = texts.hash
        AND substr(quotes.prompt, json_extract(quotes.quote, '$.start'), json_extract(quotes.quote, '$.length'))
            = candidate.response
  )
ORDER BY texts.run_rid, candidates.rid DESC;
