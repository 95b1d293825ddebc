-- The database now, next to what the last backfill recorded in
-- consortium_backfill_state: rowid seeks only, never a scan or a count of
-- the table. The last row must still hold its rowid, and each sampled row
-- (a few rows spread evenly over the file, sql/mark.sql) its rowid, id,
-- grouping and content: rows deleted, renumbered by a VACUUM, ungrouped or
-- edited behind the tool's back show here, as long as a sample or the last
-- row is among them.
WITH sampled AS (
    SELECT
        json_extract(sample.value, '$.rowid') AS rid,
        CASE
            WHEN responses.rowid IS NULL THEN 'deleted'
            WHEN quote(responses.id) IS NOT json_extract(sample.value, '$.id')
                THEN 'another row holds its rowid (rows deleted, or renumbered by a VACUUM)'
            WHEN quote(responses.consortium_id) || ', ' || quote(responses.is_arbiter_response)
                IS NOT json_extract(sample.value, '$.grouping')
                THEN 'its consortium_id or is_arbiter_response changed (grouped rows ungrouped or regrouped)'
            WHEN quote(responses.datetime_utc) || ', ' || quote(length(responses.prompt)) || ', ' || quote(length(responses.response))
                IS NOT json_extract(sample.value, '$.content')
                THEN 'edited'
        END AS change
    FROM consortium_backfill_state AS state, json_each(state.samples) AS sample
    LEFT JOIN main.responses ON responses.rowid = json_extract(sample.value, '$.rowid')
    WHERE state.id = 1
),
changed AS (
    SELECT rid, change FROM sampled WHERE change IS NOT NULL ORDER BY rid LIMIT 1
)
SELECT
    (SELECT coalesce(max(rowid), 0) FROM main.responses) AS max_rowid,
    (SELECT id FROM main.responses WHERE rowid = state.last_rowid) AS id_at_last,
    (SELECT rid FROM changed) AS changed_rowid,
    (SELECT change FROM changed) AS change
FROM consortium_backfill_state AS state
WHERE state.id = 1;
