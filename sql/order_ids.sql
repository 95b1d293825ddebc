-- A full pass's id times, one page of the id index at a time: the :page ids
-- after :after (the last id of the page before), in id order, so that each
-- read is short however large the file (a reader keeps llm from committing).
-- Rows past the snapshot's last one are read but not kept.
DELETE FROM id_page;

INSERT INTO id_page (rid, id)
SELECT rowid, id
FROM main.responses
WHERE id > :after
ORDER BY id
LIMIT :page;

INSERT INTO id_stamps (rid, stamp)
SELECT rid, lower(substr(id, 1, 10))
FROM id_page
WHERE rid <= :max_rid AND length(id) = 26;
