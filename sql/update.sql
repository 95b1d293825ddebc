-- The only write to responses: both columns of each grouped row of the runs
-- this transaction writes (run_rid in (:low, :high], sql/chunks.sql), never
-- touching a row that already has a consortium_id. The unary + keeps SQLite
-- from walking every ungrouped row of the index on consortium_id once per
-- transaction: the rows come from assigned, each found by its rowid.
UPDATE responses
SET consortium_id = assigned.consortium_id,
    is_arbiter_response = assigned.flag
FROM assigned
WHERE responses.rowid = assigned.rid
  AND assigned.run_rid > :low AND assigned.run_rid <= :high
  AND +responses.consortium_id IS NULL;

-- A row that is now grouped needs no review any more.
DELETE FROM consortium_backfill_review
WHERE response_id IN (
    SELECT logged.id FROM assignments JOIN logged ON logged.rid = assignments.rid
    WHERE assignments.run_rid > :low AND assignments.run_rid <= :high
);
