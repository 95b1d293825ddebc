-- An orphan run (--include-orphans): an arbiter row no run claimed, taken as
-- the final arbiter of a run that logged no output row.
INSERT INTO runs (run_rid, arbiter_rid, arbiter_id, arbiter_datetime, arbiter_dt, window_start)
SELECT rid, rid, id, datetime_utc, dt, dt - :window_days
FROM logged
WHERE rid = :rid AND dt >= :ksuid_first_day AND dt < :ksuid_end_day;
