-- The final arbiters of the runs the backfill recorded (verify checks these
-- alone), each prompt read once for every check of sql/verify.sql that needs
-- its format or what it quotes.
CREATE TEMP TABLE final_arbiters AS
SELECT
    consortium_id,
    rowid AS arbiter_rid,
    conversation_id,
    arbiter_format(CAST(substr(prompt, 1, :prefix_length) AS BLOB)) AS format,
    arbiter_parse(CAST(prompt AS BLOB)) AS parsed
FROM responses
WHERE consortium_id IN (SELECT id FROM recorded_runs) AND is_arbiter_response = 1;

CREATE INDEX temp.final_arbiters_by_run ON final_arbiters (consortium_id);
