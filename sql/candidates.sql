-- Rows not yet grouped, read one rowid range at a time so that a running llm
-- is never kept waiting on one long read. Every row of the range is read
-- once into range_rows (an arbiter row's prompt and response span many
-- pages), with what the three tables below take of it: its time, whether it
-- looks like an arbiter row (its format, read only where some table needs
-- it), whether it lies inside some run's window, and the content hashes of
-- the rows that need them.
DELETE FROM range_rows;

INSERT INTO range_rows (
    rid, dt, grouped, anchor, conversation_id, in_window, arbiter_format, response_hash, synthesis_hash
)
SELECT
    rid, dt, grouped, anchor, conversation_id, in_window, format,
    CASE WHEN hashed THEN content_hash(CAST(response AS BLOB)) END,
    CASE WHEN hashed AND format IS NOT NULL THEN content_hash(synthesis_text(format, CAST(response AS BLOB))) END
FROM (
    -- Hashes: of a row not yet grouped inside some run's window, or of every
    -- such row when any arbiter row may anchor a run of its own
    -- (--include-orphans), or a skipped run be accepted; of an arbiter row an
    -- earlier backfill grouped, inside some run's window.
    SELECT
        *,
        CASE
            WHEN grouped THEN in_window AND format IS NOT NULL
            WHEN anchor THEN 0
            ELSE :hash_all_rows OR in_window
        END AS hashed
    FROM (
        SELECT
            *,
            CASE WHEN NOT grouped AND NOT anchor OR in_window OR (:include_orphans AND conversation_id IS NOT NULL)
                THEN arbiter_format(CAST(substr(prompt, 1, :prefix_length) AS BLOB))
            END AS format
        FROM (
            SELECT
                rid,
                dt,
                prompt,
                response,
                conversation_id,
                consortium_id IS NOT NULL AS grouped,
                rid IN (SELECT rid FROM anchors) AS anchor,
                dt >= (
                    SELECT window_start FROM run_windows
                    WHERE run_windows.arbiter_rid > logged.rid
                    ORDER BY arbiter_rid LIMIT 1
                ) AS in_window
            FROM logged
            WHERE rid > :low AND rid <= :high
            -- LIMIT keeps each level a co-routine: each expression is computed
            -- once per row instead of once per use in the query around it.
            LIMIT -1
        )
        LIMIT -1
    )
    LIMIT -1
);

-- Rows not yet grouped: every such row is kept with its time (the timeline
-- of the next backfill is made from them).
INSERT INTO candidates (rid, dt, arbiter_format, response_hash, synthesis_hash)
SELECT rid, dt, arbiter_format, response_hash, synthesis_hash
FROM range_rows
WHERE NOT grouped AND NOT anchor;

-- Arbiter rows an earlier backfill already grouped, inside some run's window:
-- never claimed again, but a later `llm chat` turn may quote them
-- (sql/earlier_arbiters.sql).
INSERT INTO grouped_arbiters (rid, arbiter_format, synthesis_hash, response_hash)
SELECT rid, arbiter_format, synthesis_hash, response_hash
FROM range_rows
WHERE grouped AND in_window AND arbiter_format IS NOT NULL;

-- Arbiter rows of llm conversations inside some run's window, grouped or
-- not, for the automatic-context chains (sql/chain.sql).
INSERT INTO conversation_arbiters (rid, conversation_id)
SELECT rid, conversation_id
FROM range_rows
WHERE conversation_id IS NOT NULL
  AND (:include_orphans OR in_window)
  AND arbiter_format IS NOT NULL;
