-- Output rows an earlier backfill left for review unlinked, logged within a
-- number of days (the second parameter) before the newest run of
-- consortium_logs.db (the first): the runs they may belong to are still read
-- again (c08_pending.sql), so they are too, and all are weighed together as
-- one full pass would.
SELECT json_group_array(response_id)
FROM consortium_backfill_review
WHERE kind = 'unlinked_output'
  AND julianday(json_extract(evidence, '$.datetime_utc')) >= julianday(?) - ?;
