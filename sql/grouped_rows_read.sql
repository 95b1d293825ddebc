-- One rowid range (:low, :high] of the grouped rows (sql/grouped_rows.sql).
INSERT INTO grouped_rows (rid, id, consortium_id, is_arbiter_response)
SELECT rowid, id, consortium_id, is_arbiter_response
FROM main.responses
WHERE rowid > :low AND rowid <= :high AND +consortium_id IS NOT NULL;
