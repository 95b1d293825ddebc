-- One row per output row not yet grouped: its final arbiter, or why it has none.
-- A run is never guessed: each check below that fails is the reason it is skipped.
-- A consortium can be another's arbiter: then the row before the outer run's
-- output is the inner run's output, asked the outer arbiter prompt. It is the
-- outer run's final arbiter (nested = 1) and stays in its own, inner, run.
INSERT INTO runs (
    run_rid, output_rid, output_id, arbiter_rid, arbiter_id, arbiter_datetime, arbiter_dt, window_start,
    nested, skip_reason
)
SELECT
    pairs.output_rid,
    pairs.output_rid,
    output.id,
    previous.rid,
    previous.id,
    previous.datetime_utc,
    previous.dt,
    previous.dt - :window_days,
    previous.model IN (SELECT name FROM consortium_names)
        AND arbiter_format(CAST(substr(previous.prompt, 1, :prefix_length) AS BLOB)) IS NOT NULL,
    CASE
        WHEN previous.rid IS NULL THEN 'no previous row'
        WHEN previous.model IN (SELECT name FROM consortium_names)
             AND arbiter_format(CAST(substr(previous.prompt, 1, :prefix_length) AS BLOB)) IS NULL
            THEN 'previous row is another output'
        WHEN previous.consortium_id IS NOT NULL
             AND previous.model NOT IN (SELECT name FROM consortium_names)
            THEN 'previous row already grouped'
        -- A prompt that wraps the user's prompt in a format no reader knows
        -- (the prototype's, an unreleased branch's): reported, never read.
        WHEN arbiter_format(CAST(substr(previous.prompt, 1, :prefix_length) AS BLOB)) IS NULL THEN
            CASE WHEN previous.prompt != output.prompt AND instr(previous.prompt, output.prompt) > 0
                 THEN 'unknown arbiter format' ELSE 'not an arbiter prompt' END
        WHEN previous.dt IS NULL THEN 'final arbiter has no readable datetime_utc'
        -- The run's KSUID takes its time from the final arbiter.
        WHEN previous.dt < :ksuid_first_day OR previous.dt >= :ksuid_end_day
            THEN 'final arbiter datetime_utc outside what a KSUID holds (2014 to 2150)'
        -- Logged in another order than time: an import or a rebuild put this
        -- row before the output. A final arbiter starts within its run: not
        -- after the output row's end (start + duration, when logged), nor a
        -- window before its start.
        WHEN previous.dt > output.dt + output.duration_ms / 86400000.0 + :tolerance_days
             OR previous.dt < output.dt - :window_days
            THEN 'final arbiter outside its output''s run time'
    END
FROM pairs
JOIN logged AS output ON output.rid = pairs.output_rid
LEFT JOIN logged AS previous ON previous.rid = pairs.previous_rid
WHERE output.consortium_id IS NULL;
