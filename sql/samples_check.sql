-- The table now, next to what sql/samples.sql recorded at the last backfill:
-- its last rowid, the id at the recorded last rowid, and the first sampled row
-- that is gone, renumbered or edited. Rowid seeks only, never a scan.
WITH sampled AS (
    SELECT
        json_extract(sample.value, '$.rowid') AS rid,
        CASE
            WHEN t.rowid IS NULL THEN 'deleted'
            WHEN quote(t.id) IS NOT json_extract(sample.value, '$.id')
                THEN 'another row holds its rowid (rows deleted, or the file replaced)'
            WHEN {content} IS NOT json_extract(sample.value, '$.content') THEN 'edited'
        END AS change
    FROM json_each(:samples) AS sample
    LEFT JOIN {table} AS t ON t.rowid = json_extract(sample.value, '$.rowid')
),
changed AS (
    SELECT rid, change FROM sampled WHERE change IS NOT NULL ORDER BY rid LIMIT 1
)
SELECT
    (SELECT coalesce(max(rowid), 0) FROM {table}) AS max_rowid,
    (SELECT id FROM {table} WHERE rowid = :last) AS id_at_last,
    (SELECT rid FROM changed) AS changed_rowid,
    (SELECT change FROM changed) AS change;
