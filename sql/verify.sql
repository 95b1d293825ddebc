-- Invariants of a backfilled database. Each query returns its violations as
-- (consortium_id, response_id, detail); a sound database returns no rows.
-- Only the runs this tool recorded (recorded_runs) are checked: values others
-- wrote into consortium_id are counted apart, never taken for runs.
-- Runs are read through grouped_rows (sql/grouped_rows.sql): the rowid, id and
-- grouping of every grouped row, indexed by run; the rest of a row by its rowid.

-- check: one final arbiter
-- Every run has exactly one final arbiter (flag 1), but a run whose final
-- arbiter was another consortium: that row is the inner run's output.
SELECT consortium_id, NULL AS response_id,
       sum(is_arbiter_response = 1) || ' rows with is_arbiter_response = 1' AS detail
FROM grouped_rows
WHERE consortium_id IN (SELECT id FROM recorded_runs)
GROUP BY consortium_id
HAVING sum(is_arbiter_response = 1) != (CASE WHEN consortium_id IN (SELECT id FROM nested_runs) THEN 0 ELSE 1 END);

-- check: output follows final arbiter
-- The row right after the final arbiter in log order is the run's output:
-- same run, flag 0, and the model the backfill recorded for the run; for a
-- run it has no record of, a consortium name (when names are known): a
-- consortium deleted since is still the one that ran. Orphan runs
-- (--include-orphans) have no output row. A run a person accepted (its
-- parallel twin logged rows in between) is checked on its recorded output row.
SELECT arbiter.consortium_id, arbiter.id AS response_id,
       CASE
           WHEN following.rowid IS NULL THEN 'no row after the final arbiter'
           WHEN following.consortium_id IS NOT arbiter.consortium_id THEN 'the row after the final arbiter is not in its run'
           WHEN following.is_arbiter_response IS NOT 0 THEN 'the output row has is_arbiter_response = ' || following.is_arbiter_response
           WHEN recorded.id IS NOT NULL AND following.id IS NOT recorded.output_response_id
               THEN 'the row after the final arbiter is not the output row recorded for the run, '
                    || recorded.output_response_id
           WHEN recorded.id IS NOT NULL AND following.model IS NOT recorded.config_name
               THEN 'the row after the final arbiter has model ' || following.model
                    || ', not the recorded consortium ' || recorded.config_name
           WHEN recorded.id IS NULL AND (SELECT count(*) FROM consortium_names) > 0
                AND following.model NOT IN (SELECT name FROM consortium_names)
               THEN 'the row after the final arbiter has model ' || following.model || ', not a consortium name'
       END AS detail
FROM grouped_rows AS arbiter
LEFT JOIN recorded_runs AS recorded ON recorded.id = arbiter.consortium_id
LEFT JOIN responses AS following
    ON following.rowid = CASE
        WHEN recorded.accepted THEN (SELECT rowid FROM responses WHERE id = recorded.output_response_id)
        ELSE (SELECT min(rowid) FROM responses WHERE rowid > arbiter.rowid)
    END
WHERE arbiter.consortium_id IN (SELECT id FROM recorded_runs) AND arbiter.is_arbiter_response = 1
  AND (recorded.id IS NULL OR recorded.output_response_id IS NOT NULL)
  AND detail IS NOT NULL;

-- check: arbiter prompt
-- Final and intermediate arbiters were asked an arbiter prompt.
SELECT grouped.consortium_id, grouped.id AS response_id,
       'is_arbiter_response = ' || grouped.is_arbiter_response || ' but the prompt is not an arbiter prompt' AS detail
FROM grouped_rows AS grouped
JOIN responses ON responses.rowid = grouped.rid
WHERE grouped.consortium_id IN (SELECT id FROM recorded_runs)
  AND grouped.is_arbiter_response IN (1, 2)
  AND arbiter_format(CAST(substr(responses.prompt, 1, :prefix_length) AS BLOB)) IS NULL;

-- check: flag value
SELECT consortium_id, id AS response_id,
       'is_arbiter_response is ' || coalesce(is_arbiter_response, 'NULL') || ', not 0, 1 or 2' AS detail
FROM grouped_rows
WHERE consortium_id IN (SELECT id FROM recorded_runs) AND is_arbiter_response IS NOT 0
  AND is_arbiter_response IS NOT 1 AND is_arbiter_response IS NOT 2;

-- check: member quoted
-- Every member's answer is quoted by its run's final arbiter, before it in log
-- order; or, where the final arbiter quotes no earlier member (manual and
-- automatic context: history "syntheses" or "conversation"), by an
-- intermediate arbiter of its run logged after it. Each arbiter prompt is
-- read once (final ones in sql/final_arbiters.sql); quotes are compared in place.
WITH finals AS (
    SELECT consortium_id, arbiter_rid, parsed FROM final_arbiters
),
earlier AS MATERIALIZED (
    SELECT grouped.consortium_id, grouped.rid AS arbiter_rid, arbiter_parse(CAST(arbiter.prompt AS BLOB)) AS parsed
    FROM grouped_rows AS grouped
    JOIN finals ON finals.consortium_id = grouped.consortium_id
    JOIN responses AS arbiter ON arbiter.rowid = grouped.rid
    WHERE grouped.is_arbiter_response = 2
      AND json_extract(finals.parsed, '$.history') IN ('syntheses', 'conversation')
),
members AS (
    SELECT grouped.consortium_id, grouped.rid, grouped.id, member.response
    FROM grouped_rows AS grouped
    JOIN responses AS member ON member.rowid = grouped.rid
    WHERE grouped.consortium_id IN (SELECT id FROM recorded_runs) AND grouped.is_arbiter_response = 0
      AND grouped.rid != (
          SELECT min(rowid) FROM responses
          WHERE rowid > (SELECT arbiter_rid FROM finals WHERE finals.consortium_id = grouped.consortium_id)
      )
      AND grouped.id NOT IN (SELECT output_response_id FROM recorded_runs WHERE accepted)
)
SELECT members.consortium_id, members.id AS response_id,
       CASE
           WHEN members.rid > finals.arbiter_rid THEN 'member logged after its final arbiter'
           ELSE 'member answer not quoted by an arbiter of its run'
       END AS detail
FROM members JOIN finals ON finals.consortium_id = members.consortium_id
WHERE members.rid > finals.arbiter_rid
   OR NOT EXISTS (
       SELECT 1
       FROM (SELECT arbiter_rid, parsed FROM finals WHERE finals.consortium_id = members.consortium_id
             UNION ALL
             SELECT arbiter_rid, parsed FROM earlier
             WHERE earlier.consortium_id = members.consortium_id AND earlier.arbiter_rid > members.rid
            ) AS quoting,
            json_each(quoting.parsed, '$.members') AS quote,
            responses AS arbiter
       WHERE arbiter.rowid = quoting.arbiter_rid
         AND json_extract(quote.value, '$.hash') = content_hash(CAST(members.response AS BLOB))
         AND substr(arbiter.prompt, json_extract(quote.value, '$.start'), json_extract(quote.value, '$.length'))
             = members.response
   );

-- check: judge output
-- A judge's run (its final arbiter's prompt is <pick_one_prompt> or
-- <rank_prompt>) has one iteration, and its output row's text is an answer
-- the judge quotes, byte for byte, or the judge's own answer.
WITH judges AS MATERIALIZED (
    SELECT finals.consortium_id, finals.arbiter_rid, judge.prompt, judge.response, finals.parsed
    FROM final_arbiters AS finals JOIN responses AS judge ON judge.rowid = finals.arbiter_rid
    WHERE finals.format = 'judge'
)
SELECT judges.consortium_id, output.id AS response_id,
       CASE
           WHEN EXISTS (SELECT 1 FROM grouped_rows WHERE consortium_id = judges.consortium_id AND is_arbiter_response = 2)
               THEN 'a judge''s run has more than one arbiter'
           ELSE 'output is not an answer the judge quotes'
       END AS detail
FROM judges
JOIN responses AS output
    ON output.rowid = (SELECT min(rowid) FROM responses WHERE rowid > judges.arbiter_rid)
   AND output.consortium_id = judges.consortium_id
WHERE EXISTS (SELECT 1 FROM grouped_rows WHERE consortium_id = judges.consortium_id AND is_arbiter_response = 2)
   OR (output.response IS NOT judges.response AND NOT EXISTS (
       SELECT 1 FROM json_each(judges.parsed, '$.members') AS quote
       WHERE substr(judges.prompt, json_extract(quote.value, '$.start'), json_extract(quote.value, '$.length'))
             = output.response
   ));

-- check: conversation chain
-- Automatic context: an arbiter prompt that quotes no earlier iteration is
-- linked to its run's other arbiters by llm's conversation, so every arbiter
-- of such a run is in its final arbiter's conversation, and the run's first
-- arbiter was asked about the output's prompt (a follow-up final arbiter has
-- no <original_prompt> of its own).
WITH finals AS (
    SELECT consortium_id, arbiter_rid, conversation_id
    FROM final_arbiters
    WHERE json_extract(parsed, '$.history') = 'conversation'
)
SELECT finals.consortium_id, arbiter.id AS response_id,
       'arbiter outside its final arbiter''s llm conversation' AS detail
FROM finals
JOIN grouped_rows AS grouped
    ON grouped.consortium_id = finals.consortium_id AND grouped.is_arbiter_response = 2
JOIN responses AS arbiter ON arbiter.rowid = grouped.rid
WHERE arbiter.conversation_id IS NOT finals.conversation_id
UNION ALL
SELECT finals.consortium_id, first.id,
       'the run''s first arbiter was not asked about its output''s prompt'
FROM finals
JOIN responses AS first
    ON first.rowid = (SELECT min(rid) FROM grouped_rows
                      WHERE consortium_id = finals.consortium_id AND is_arbiter_response IN (1, 2))
JOIN responses AS output
    ON output.rowid = (SELECT min(rowid) FROM responses WHERE rowid > finals.arbiter_rid)
   AND output.consortium_id = finals.consortium_id
WHERE coalesce(instr(original_prompt(CAST(first.prompt AS BLOB)), output.prompt), 0) = 0;

-- check: window
-- No run reaches further back from its final arbiter than the window.
SELECT final_row.consortium_id, NULL AS response_id,
       'run starts ' || printf('%.0f', (julianday(finals.datetime_utc) - min(julianday(earlier.datetime_utc))) * 86400)
       || ' s before its final arbiter, more than the window' AS detail
FROM grouped_rows AS final_row
JOIN responses AS finals ON finals.rowid = final_row.rid
JOIN grouped_rows AS earlier_row
    ON earlier_row.consortium_id = final_row.consortium_id AND earlier_row.rid < final_row.rid
JOIN responses AS earlier ON earlier.rowid = earlier_row.rid
WHERE final_row.consortium_id IN (SELECT id FROM recorded_runs) AND final_row.is_arbiter_response = 1
GROUP BY final_row.consortium_id
HAVING julianday(finals.datetime_utc) - min(julianday(earlier.datetime_utc)) > :window_days;

-- check: output evidence
-- What the output row's response_json says of its run, where the plugin
-- logged it: the number of iterations, one arbiter row each (an outer run
-- whose arbiter was a consortium has those rows in the inner runs); and the
-- output text, the final arbiter's synthesis or, in builds that fall back
-- to it, its whole answer (of the synthesis templates; a judge's output is
-- a member's text).
SELECT output.consortium_id, output.id AS response_id,
       CASE
           WHEN json_extract(output.response_json, '$.metadata.iteration_count') != (
                    SELECT count(*) FROM grouped_rows AS arbiter
                    WHERE arbiter.consortium_id = output.consortium_id AND arbiter.is_arbiter_response IN (1, 2))
                AND output.consortium_id NOT IN (SELECT id FROM nested_runs)
               THEN 'the output''s response_json says ' || json_extract(output.response_json, '$.metadata.iteration_count')
                    || ' iterations; the run has ' || (
                    SELECT count(*) FROM grouped_rows AS arbiter
                    WHERE arbiter.consortium_id = output.consortium_id AND arbiter.is_arbiter_response IN (1, 2))
                    || ' arbiter rows'
           -- A judge's output is the chosen member's text, not a synthesis.
           WHEN arbiter_format(CAST(substr(final.prompt, 1, :prefix_length) AS BLOB)) IN ('arbiter_prompt', 'synthesis_system')
                AND trim(output.response) NOT IN (
                    trim(synthesis_text(arbiter_format(CAST(substr(final.prompt, 1, :prefix_length) AS BLOB)), CAST(final.response AS BLOB))),
                    trim(final.response))
               THEN 'the output text is not its final arbiter''s synthesis'
       END AS detail
FROM recorded_runs
JOIN responses AS output ON output.id = recorded_runs.output_response_id AND output.consortium_id = recorded_runs.id
JOIN responses AS final ON final.id = recorded_runs.final_arbiter_response_id
WHERE json_valid(output.response_json) AND detail IS NOT NULL;
