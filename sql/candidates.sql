-- Rows not yet grouped, read one rowid range at a time so that a running llm
-- is never kept waiting on one long read. Every such row is kept with its
-- time (the timeline of the next backfill is made from them) and whether it
-- looks like an arbiter row (to count orphans); content hashes are only taken
-- for rows inside some run's window, or for every row when any arbiter row
-- may anchor a run of its own (--include-orphans), or a skipped run be accepted.
INSERT INTO candidates (rid, dt, arbiter_format, response_hash, synthesis_hash)
SELECT
    rid,
    dt,
    format,
    CASE WHEN in_window THEN content_hash(CAST(response AS BLOB)) END,
    CASE WHEN in_window AND format IS NOT NULL THEN content_hash(synthesis_text(format, CAST(response AS BLOB))) END
FROM (
    SELECT
        rid,
        dt,
        response,
        arbiter_format(CAST(substr(prompt, 1, :prefix_length) AS BLOB)) AS format,
        :hash_all_rows OR dt >= (
            SELECT window_start FROM run_windows
            WHERE run_windows.arbiter_rid > logged.rid
            ORDER BY arbiter_rid LIMIT 1
        ) AS in_window
    FROM logged
    WHERE rid > :low AND rid <= :high
      AND consortium_id IS NULL
      AND rid NOT IN (SELECT rid FROM anchors)
    -- LIMIT keeps this a co-routine: each expression is computed once per row
    -- instead of once per use in the outer query.
    LIMIT -1
);

-- Arbiter rows an earlier backfill already grouped, inside some run's window:
-- never claimed again, but a later `llm chat` turn may quote them
-- (sql/earlier_arbiters.sql).
INSERT INTO grouped_arbiters (rid, arbiter_format, synthesis_hash, response_hash)
SELECT rid, format, content_hash(synthesis_text(format, CAST(response AS BLOB))), content_hash(CAST(response AS BLOB))
FROM (
    SELECT rid, response, arbiter_format(CAST(substr(prompt, 1, :prefix_length) AS BLOB)) AS format
    FROM logged
    WHERE rid > :low AND rid <= :high
      AND consortium_id IS NOT NULL
      AND dt >= (
          SELECT window_start FROM run_windows
          WHERE run_windows.arbiter_rid > logged.rid
          ORDER BY arbiter_rid LIMIT 1
      )
    LIMIT -1
)
WHERE format IS NOT NULL;

-- Arbiter rows of llm conversations inside some run's window, grouped or
-- not, for the automatic-context chains (sql/chain.sql).
INSERT INTO conversation_arbiters (rid, conversation_id)
SELECT rid, conversation_id
FROM logged
WHERE rid > :low AND rid <= :high
  AND conversation_id IS NOT NULL
  AND (:include_orphans OR dt >= (
      SELECT window_start FROM run_windows
      WHERE run_windows.arbiter_rid > logged.rid
      ORDER BY arbiter_rid LIMIT 1
  ))
  AND arbiter_format(CAST(substr(prompt, 1, :prefix_length) AS BLOB)) IS NOT NULL;
