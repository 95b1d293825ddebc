-- The id times of the rows in one range of rowids, (:low, :high]: a re-run's
-- new rows, or a full pass over a table with no index on id alone.
INSERT INTO id_stamps (rid, stamp)
SELECT rowid, lower(substr(id, 1, 10))
FROM main.responses
WHERE rowid > :low AND rowid <= :high AND length(id) = 26;
