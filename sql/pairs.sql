-- Every consortium output row, with the row logged immediately before it.
-- "Before" is log order (rowid), not id order: llm >= 0.26 mints the output
-- row's id when the run starts, so its id is older than its members'.
CREATE TEMP VIEW pairs AS
WITH ordered AS (
    SELECT rid, model, LAG(rid) OVER (ORDER BY rid) AS previous_rid
    FROM logged
)
SELECT rid AS output_rid, previous_rid
FROM ordered
WHERE model IN (SELECT name FROM consortium_names)
  -- output rows of the consortium_logs.db era are linked by c08_link.sql
  AND rid NOT IN (SELECT rid FROM c08_claimed);
