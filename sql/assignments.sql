-- The anchors of every grouped run: its final arbiter and its output row.
INSERT INTO assignments (rid, run_rid, role, iteration, quoted_by_rid, source)
SELECT arbiter_rid, output_rid, 'final_arbiter', json_extract(parsed, '$.iterations'), NULL, 'row before the output'
FROM runs WHERE skip_reason IS NULL
UNION ALL
SELECT output_rid, output_rid, 'final_output', NULL, NULL, 'model is a consortium name'
FROM runs WHERE skip_reason IS NULL;

-- Every grouped row as it will be written: its run's KSUID, its flag, and
-- for members their 1-based rank in log order within their iteration.
CREATE TEMP VIEW assigned AS
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
    consortium_ksuid(runs.arbiter_datetime, runs.output_id) AS consortium_id
FROM assignments
JOIN runs ON runs.output_rid = assignments.run_rid;
