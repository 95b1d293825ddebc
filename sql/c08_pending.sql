-- The runs this backfill read that no output row is linked to, now or by an
-- earlier backfill: in flight, failed, or waiting on a person. The next
-- backfill reads them again, until the file's newest run (:newest) started
-- :pending_days after them. With each, the rowid before its first call logged
-- in the file's own responses table, if any.
SELECT runs.id, (SELECT min(call_rid) - 1 FROM c08_members WHERE c08_members.run_id = runs.id)
FROM c08_runs AS runs
WHERE runs.id NOT IN (SELECT run_id FROM c08_links)
  AND runs.id NOT IN (SELECT run_id FROM c08_done_runs)
  AND runs.created_dt >= julianday(:newest) - :pending_days
ORDER BY runs.id;
