-- One row per output row not yet grouped: its final arbiter, or why it has none.
-- A run is never guessed: each check below that fails is the reason it is skipped.
CREATE TEMP TABLE runs AS
SELECT
    pairs.output_rid,
    output.id AS output_id,
    previous.rid AS arbiter_rid,
    previous.id AS arbiter_id,
    previous.datetime_utc AS arbiter_datetime,
    previous.dt - :window_days AS window_start,
    CASE
        WHEN previous.rid IS NULL THEN 'no previous row'
        WHEN previous.model IN (SELECT name FROM consortium_names) THEN 'previous row is another output'
        WHEN previous.consortium_id IS NOT NULL THEN 'previous row already grouped'
        WHEN arbiter_format(substr(previous.prompt, 1, :prefix_length)) IS NULL THEN 'not an arbiter prompt'
    END AS skip_reason,
    NULL AS parsed
FROM pairs
JOIN logged AS output ON output.rid = pairs.output_rid
LEFT JOIN logged AS previous ON previous.rid = pairs.previous_rid
WHERE output.consortium_id IS NULL;

CREATE UNIQUE INDEX temp.runs_by_output ON runs (output_rid);
