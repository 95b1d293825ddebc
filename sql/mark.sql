-- Where this backfill stopped, for the next one to start from, written in the
-- same transaction as the rows it grouped: the last row it examined, the
-- latest id time up to it (a ULID's first 10 characters, sql/order.sql) and
-- the rows sql/resume.sql checks to tell whether the file changed behind the
-- tool's back: :sample_count rows spread evenly over the rowids before the
-- last one (every row of a small file), each as its rowid, id, grouping and
-- content (quote(): any value a column may hold, as text). The same for
-- llm's turns and consortium_logs.db (read, and sampled by sql/samples.sql,
-- before the writes began: analysis.link_consortium_logs), with the runs of
-- that file left unlinked, which the next backfill reads again.
INSERT INTO consortium_backfill_state (
    id, last_rowid, last_id, samples, latest_id_time, names, include_orphans, consortium_logs, updated_at,
    clogs_last_rowid, clogs_last_id, clogs_samples, clogs_calls_rowid, clogs_pending, clogs_first_created,
    turns_last_rowid, turns_last_id, turns_samples
)
VALUES (
    1,
    :max_rid,
    (SELECT id FROM main.responses WHERE rowid = :max_rid),
    (
        WITH RECURSIVE steps (n) AS (
            SELECT 0 UNION ALL SELECT n + 1 FROM steps WHERE n + 1 < :sample_count
        ),
        sampled (rid) AS (
            SELECT DISTINCT (
                SELECT rowid FROM main.responses WHERE rowid >= n * :max_rid / :sample_count ORDER BY rowid LIMIT 1
            )
            FROM steps
        )
        SELECT json_group_array(json_object(
            'rowid', responses.rowid,
            'id', quote(responses.id),
            'grouping', quote(responses.consortium_id) || ', ' || quote(responses.is_arbiter_response),
            'content', quote(responses.datetime_utc) || ', ' || quote(length(responses.prompt)) || ', ' || quote(length(responses.response))
        ))
        FROM sampled JOIN main.responses ON responses.rowid = sampled.rid
        WHERE sampled.rid < :max_rid
    ),
    :latest_stamp_now,
    :names,
    :include_orphans,
    :consortium_logs,
    :found_at,
    :clogs_last_rowid, :clogs_last_id, :clogs_samples, :clogs_calls_rowid, :clogs_pending, :clogs_first_created,
    :turns_last_rowid, :turns_last_id, :turns_samples
)
ON CONFLICT (id) DO UPDATE SET
    last_rowid = excluded.last_rowid,
    last_id = excluded.last_id,
    samples = excluded.samples,
    latest_id_time = excluded.latest_id_time,
    names = excluded.names,
    include_orphans = excluded.include_orphans,
    consortium_logs = excluded.consortium_logs,
    updated_at = excluded.updated_at,
    clogs_last_rowid = excluded.clogs_last_rowid,
    clogs_last_id = excluded.clogs_last_id,
    clogs_samples = excluded.clogs_samples,
    clogs_calls_rowid = excluded.clogs_calls_rowid,
    clogs_pending = excluded.clogs_pending,
    clogs_first_created = excluded.clogs_first_created,
    turns_last_rowid = excluded.turns_last_rowid,
    turns_last_id = excluded.turns_last_id,
    turns_samples = excluded.turns_samples;

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
