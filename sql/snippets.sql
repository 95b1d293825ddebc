-- What the final arbiters of a range of runs quote, grouped by text.
INSERT INTO snippets (run_rid, kind, hash, start, length, quotes)
SELECT
    run_rid,
    kind,
    json_extract(value, '$.hash') AS hash,
    min(json_extract(value, '$.start')),
    min(json_extract(value, '$.length')),
    json_group_array(json(value))
FROM (
    SELECT runs.run_rid, 'member' AS kind, quote.value
    FROM runs, json_each(runs.parsed, '$.members') AS quote
    WHERE runs.skip_reason IS NULL AND runs.run_rid > :low AND runs.run_rid <= :high
    UNION ALL
    SELECT runs.run_rid, 'synthesis', quote.value
    FROM runs, json_each(runs.parsed, '$.syntheses') AS quote
    WHERE runs.skip_reason IS NULL AND runs.run_rid > :low AND runs.run_rid <= :high
)
GROUP BY run_rid, kind, hash;
