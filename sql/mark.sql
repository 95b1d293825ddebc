-- Where this backfill stopped, for the next one to start from, written in the
-- same transaction as the rows it grouped: the last row it examined and the
-- fingerprints sql/resume.sql compares with.
INSERT OR REPLACE INTO consortium_backfill_state (
    id, last_rowid, last_id, rows_through_last, grouped_rows, names, include_orphans, consortium_logs, updated_at
)
VALUES (
    1,
    :max_rid,
    (SELECT id FROM responses WHERE rowid = :max_rid),
    :rows_through_max,
    (SELECT count(*) FROM responses WHERE consortium_id IS NOT NULL),
    :names,
    :include_orphans,
    :consortium_logs,
    :found_at
);

-- A full pass read every row: the timeline starts again.
DELETE FROM consortium_backfill_timeline WHERE :start = 0;

-- For each block of rowids read, the latest time of a row in it that was not
-- grouped. A later backfill re-reads a block only if this reaches into the
-- window of a run it finds; a row grouped since only makes the block's time
-- later than it needs to be, never earlier.
INSERT INTO consortium_backfill_timeline (first_rowid, latest_day)
SELECT rid - rid % :block_rows, max(dt)
FROM candidates
WHERE dt IS NOT NULL
GROUP BY 1
ON CONFLICT (first_rowid) DO UPDATE SET latest_day = max(latest_day, excluded.latest_day);
