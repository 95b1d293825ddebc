-- A later backfill reads the rows logged since the last one, and before them
-- only the blocks of rowids (consortium_backfill_timeline) that hold a row
-- not yet grouped dated inside the window of a run found now: before its
-- final arbiter (members, intermediate arbiters), before its output row (the
-- likely final arbiter of a skipped run) or, with --include-orphans, before
-- an arbiter row logged since. Returns the rowid to read after.
WITH earliest AS (
    SELECT min(day) AS day FROM (
        SELECT window_start AS day FROM runs
        UNION ALL
        SELECT output.dt - :window_days FROM runs JOIN logged AS output ON output.rid = runs.output_rid
        UNION ALL
        SELECT dt - :window_days FROM candidates
        WHERE :include_orphans AND arbiter_format IS NOT NULL AND rid > :start
    )
)
SELECT min(coalesce(max(first_rowid - 1, 0), :start), :start)
FROM (
    SELECT min(timeline.first_rowid) AS first_rowid
    FROM consortium_backfill_timeline AS timeline, earliest
    WHERE timeline.latest_day >= earliest.day
);
