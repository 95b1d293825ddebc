-- llm >= 0.32's turns with their texts, read through llm's own message store:
-- the prompt is the text of the turn's parent message (the user's), the
-- response the text of its tip message (the model's). Read, never written.
-- {response_json}: turns.response_json, or NULL before llm's m027.
CREATE TEMP VIEW turn_texts AS
SELECT
    turns.rowid AS rid,
    turns.id,
    turns.model,
    (SELECT group_concat(text, '') FROM (
        SELECT parts.text FROM main.parts
        JOIN main.messages ON messages.hash = parts.message_hash AND messages.role = 'user'
        WHERE parts.message_hash = turns.parent_message_hash AND parts.type = 'text'
        ORDER BY parts.position)) AS prompt,
    (SELECT group_concat(text, '') FROM (
        SELECT parts.text FROM main.parts
        JOIN main.messages ON messages.hash = parts.message_hash AND messages.role = 'assistant'
        WHERE parts.message_hash = turns.tip_message_hash AND parts.type = 'text'
        ORDER BY parts.position)) AS response,
    turns.datetime_utc,
    {response_json} AS response_json
FROM main.turns;
