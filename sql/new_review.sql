-- The review rows this backfill found (review.sql, c08_review.sql), written
-- with its last transaction: skipped runs and orphan arbiter rows belong to
-- no run written before it. Rows already under review keep their first
-- finding, but those about the consortium_logs.db runs read again give way
-- to what this backfill found about them (sql/c08_stale_review.sql).
DELETE FROM consortium_backfill_review WHERE rowid IN ({stale});

INSERT OR IGNORE INTO consortium_backfill_review (response_id, kind, reason, evidence, found_at)
SELECT response_id, kind, reason, evidence, strftime('%Y-%m-%dT%H:%M:%f+00:00', :found_at) FROM review;
