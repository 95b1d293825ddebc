-- The texts each grouped run's final arbiter quotes, one row per distinct text
-- of a kind: member answers (in <model_responses> and <iteration_history>) and
-- earlier syntheses. A text quoted k times may claim k rows.
CREATE TEMP TABLE snippets AS
SELECT
    run_rid,
    kind,
    json_extract(value, '$.hash') AS hash,
    min(json_extract(value, '$.start')) AS start,
    min(json_extract(value, '$.length')) AS length,
    json_group_array(json(value)) AS quotes
FROM (
    SELECT runs.output_rid AS run_rid, 'member' AS kind, quote.value
    FROM runs, json_each(runs.parsed, '$.members') AS quote
    WHERE runs.skip_reason IS NULL
    UNION ALL
    SELECT runs.output_rid, 'synthesis', quote.value
    FROM runs, json_each(runs.parsed, '$.syntheses') AS quote
    WHERE runs.skip_reason IS NULL
)
GROUP BY run_rid, kind, hash;

CREATE INDEX temp.snippets_by_run ON snippets (run_rid, kind);

-- For each row, the earliest window start of any run whose final arbiter
-- comes after it: a row outside every window is never hashed.
CREATE TEMP TABLE run_windows AS
SELECT
    arbiter_rid,
    min(window_start) OVER (ORDER BY arbiter_rid DESC ROWS UNBOUNDED PRECEDING) AS window_start
FROM runs
WHERE skip_reason IS NULL;

CREATE UNIQUE INDEX temp.run_windows_by_arbiter ON run_windows (arbiter_rid);

-- Rows a grouped run takes by position: never candidates for another run.
CREATE TEMP TABLE anchors AS
SELECT output_rid AS rid FROM runs WHERE skip_reason IS NULL
UNION
SELECT arbiter_rid FROM runs WHERE skip_reason IS NULL;

CREATE UNIQUE INDEX temp.anchors_rid ON anchors (rid);
