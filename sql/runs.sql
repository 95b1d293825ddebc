-- One row per output row of a range of rowids not yet grouped: its final
-- arbiter, or why it has none. The final arbiter is the row logged right
-- before the output: log order is rowid, not id order (llm >= 0.26 mints the
-- output row's id when the run starts, so its id is older than its members').
-- Found by a seek on rowid, so that a later backfill reads only the rows
-- logged since the last one, plus the row before the first of them.
-- A run is never guessed: each check below that fails is the reason it is skipped.
-- A consortium can be another's arbiter: then the row before the outer run's
-- output is the inner run's output, asked the outer arbiter prompt. It is the
-- outer run's final arbiter (nested = 1) and stays in its own, inner, run.
INSERT INTO runs (
    run_rid, output_rid, output_id, output_dt, arbiter_rid, arbiter_id, arbiter_datetime, arbiter_dt, window_start,
    nested, skip_reason
)
SELECT
    output.rid,
    output.rid,
    output.id,
    output.dt,
    previous.rid,
    previous.id,
    previous.datetime_utc,
    previous.dt,
    previous.dt - :window_days,
    previous.model IN (SELECT name FROM consortium_names) AND pairs.previous_format IS NOT NULL,
    CASE
        WHEN previous.rid IS NULL THEN 'no previous row'
        WHEN previous.model IN (SELECT name FROM consortium_names) AND pairs.previous_format IS NULL
            THEN 'previous row is another output'
        WHEN previous.consortium_id IS NOT NULL
             AND previous.model NOT IN (SELECT name FROM consortium_names)
            THEN 'previous row already grouped'
        -- A prompt that wraps the user's prompt in a format no reader knows
        -- (the prototype's, an unreleased branch's): reported, never read.
        WHEN pairs.previous_format IS NULL THEN
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
FROM (
    -- Each output row with the row before it, whose arbiter format is read
    -- once. LIMIT keeps this a co-routine (as in sql/candidates.sql).
    SELECT
        output.rid AS output_rid,
        previous.rid AS previous_rid,
        arbiter_format(CAST(substr(previous.prompt, 1, :prefix_length) AS BLOB)) AS previous_format
    -- CROSS JOIN: from the few named rows to theirs, never the other way.
    FROM named_rows
    CROSS JOIN logged AS output ON output.rid = named_rows.rid
    LEFT JOIN logged AS previous
        ON previous.rid = (SELECT max(rid) FROM logged WHERE rid < output.rid)
    WHERE named_rows.rid > :low AND named_rows.rid <= :high
      AND output.consortium_id IS NULL
      -- output rows of the consortium_logs.db era are linked by consortium_logs.link
      AND output.rid NOT IN (SELECT rid FROM c08_claimed)
    LIMIT -1
) AS pairs
JOIN logged AS output ON output.rid = pairs.output_rid
LEFT JOIN logged AS previous ON previous.rid = pairs.previous_rid;
