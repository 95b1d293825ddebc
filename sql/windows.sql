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
