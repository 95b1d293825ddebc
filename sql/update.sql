-- The only write to responses: both columns of each grouped row in one pass,
-- never touching a row that already has a consortium_id.
UPDATE responses
SET consortium_id = assigned.consortium_id,
    is_arbiter_response = assigned.flag
FROM assigned
WHERE responses.rowid = assigned.rid
  AND responses.consortium_id IS NULL;

-- A row that is now grouped needs no review any more.
DELETE FROM consortium_backfill_review
WHERE response_id IN (SELECT logged.id FROM assignments JOIN logged ON logged.rid = assignments.rid);

INSERT OR IGNORE INTO consortium_backfill_review (response_id, kind, reason, evidence, found_at)
SELECT response_id, kind, reason, evidence, strftime('%Y-%m-%dT%H:%M:%f+00:00', :found_at) FROM review;
