-- The anchors of every grouped run: its final arbiter and its output row. A
-- final arbiter that is another run's output (a consortium used as arbiter)
-- stays in that run: nested.sql records it.
INSERT INTO assignments (rid, run_rid, role, iteration, quoted_by_rid, source)
SELECT arbiter_rid, run_rid, 'final_arbiter', json_extract(parsed, '$.iterations'), NULL,
       CASE WHEN output_rid IS NULL THEN 'last arbiter of an orphan run' ELSE 'row before the output' END
FROM runs WHERE skip_reason IS NULL AND NOT nested
UNION ALL
SELECT output_rid, run_rid, 'final_output', json_extract(parsed, '$.iterations'), NULL, 'model is a consortium name'
FROM runs WHERE skip_reason IS NULL AND output_rid IS NOT NULL;

-- One KSUID per run, made once: svix-ksuid's base62 encoding is slow.
UPDATE runs
SET consortium_id = consortium_ksuid(arbiter_dt, coalesce(output_id, arbiter_id))
WHERE skip_reason IS NULL;

-- Every grouped row as it will be written: its run's KSUID, its flag, and
-- for members their 1-based rank in log order within their iteration. A
-- table, made before the write lock is taken, so that the lock is held for
-- the writes alone.
CREATE TEMP TABLE assigned AS
SELECT
    assignments.rid,
    assignments.run_rid,
    assignments.role,
    assignments.iteration,
    assignments.quoted_by_rid,
    assignments.source,
    CASE assignments.role
        WHEN 'final_arbiter' THEN 1
        WHEN 'intermediate_arbiter' THEN 2
        ELSE 0
    END AS flag,
    CASE WHEN assignments.role = 'member' THEN
        row_number() OVER (
            PARTITION BY assignments.run_rid, assignments.role, assignments.iteration
            ORDER BY assignments.rid
        )
    END AS member_index,
    runs.consortium_id
FROM assignments
JOIN runs ON runs.run_rid = assignments.run_rid;

CREATE UNIQUE INDEX temp.assigned_rid ON assigned (rid);
