-- The final arbiters of the runs the backfill recorded (verify checks these
-- alone), each prompt read once for every check of sql/verify.sql that needs
-- its format or what it quotes.
CREATE TEMP TABLE final_arbiters AS
SELECT
    grouped.consortium_id,
    grouped.rid AS arbiter_rid,
    responses.conversation_id,
    arbiter_format(CAST(substr(responses.prompt, 1, :prefix_length) AS BLOB)) AS format,
    arbiter_parse(CAST(responses.prompt AS BLOB)) AS parsed
FROM grouped_rows AS grouped
JOIN responses ON responses.rowid = grouped.rid
WHERE grouped.consortium_id IN (SELECT id FROM recorded_runs) AND grouped.is_arbiter_response = 1;

CREATE INDEX temp.final_arbiters_by_run ON final_arbiters (consortium_id);
