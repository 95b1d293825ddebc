-- The output rows of the runs linked from consortium_logs.db, with their text,
-- from responses or llm's turns ({turns}: the turns query, or none).
CREATE TEMP TABLE c08_output_texts AS
SELECT responses.id, 'responses' AS output_table, responses.response
FROM main.responses
WHERE responses.id IN (SELECT output_response_id FROM [{runs}] WHERE source = 'consortium_logs.db')
UNION ALL
{turns};
