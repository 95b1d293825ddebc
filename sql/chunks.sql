-- The units the write is cut into, in the order they are written: each
-- grouped run (by run_rid), then each run linked from consortium_logs.db (by
-- its link's rowid). A transaction holds whole units only: a run is never
-- half-written.
CREATE INDEX IF NOT EXISTS temp.assigned_by_run ON assigned (run_rid);
-- Looked up once per run below: without these, each run's lookups read the
-- whole tables (a phase that grew with the square of the runs).
CREATE INDEX IF NOT EXISTS temp.nested_arbiters_by_run ON nested_arbiters (run_rid);
CREATE INDEX IF NOT EXISTS temp.parent_runs_by_run ON parent_runs (run_id);
CREATE INDEX IF NOT EXISTS temp.runs_by_consortium_id ON runs (consortium_id);

-- rows: what the unit writes, to size the transactions. reach: a run whose
-- final arbiter answered as an inner run's output (nested.sql) names that
-- outer run as its parent; no transaction ends between the two, so reach is
-- the last run_rid that must be written with this one.
SELECT
    1 AS phase,
    runs.run_rid AS key,
    (SELECT count(*) FROM assigned WHERE assigned.run_rid = runs.run_rid)
    + (SELECT count(*) FROM nested_arbiters WHERE nested_arbiters.run_rid = runs.run_rid) AS rows,
    coalesce(
        (SELECT max(outer_run.run_rid) FROM parent_runs
         JOIN runs AS outer_run ON outer_run.consortium_id = parent_runs.parent_run_id
         WHERE parent_runs.run_id = runs.consortium_id),
        runs.run_rid
    ) AS reach
FROM runs
WHERE runs.skip_reason IS NULL
UNION ALL
SELECT
    2,
    links.rowid,
    2 + (SELECT count(*) FROM c08_members WHERE c08_members.run_id = links.run_id),
    links.rowid
FROM c08_links AS links
ORDER BY phase, key;
