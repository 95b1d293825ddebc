-- A table's row at rowid :last and :sample_count rows spread evenly over the
-- rowids before it (every row of a small table), each as its rowid, id and
-- content ({content}, over the alias `t`): what sql/samples_check.sql looks
-- at again to tell whether the table changed behind the tool's back. Rowid
-- seeks only. {table}: consortium_logs.db's consortium_runs, or llm's turns.
WITH RECURSIVE steps (n) AS (
    SELECT 0 UNION ALL SELECT n + 1 FROM steps WHERE n + 1 < :sample_count
),
sampled (rid) AS (
    SELECT DISTINCT (SELECT rowid FROM {table} WHERE rowid >= n * :last / :sample_count ORDER BY rowid LIMIT 1)
    FROM steps
)
SELECT
    (SELECT id FROM {table} WHERE rowid = :last) AS last_id,
    (
        SELECT json_group_array(json_object('rowid', t.rowid, 'id', quote(t.id), 'content', {content}))
        FROM sampled JOIN {table} AS t ON t.rowid = sampled.rid
        WHERE sampled.rid < :last
    ) AS samples;
