-- Why no run of consortium_logs.db qualifies for an output row: that no
-- file was found ({file_found} is 0), or the first piece of evidence that fails. A view, read by c08_review.sql and, for
-- output rows in responses that the prompt-based phases skip too, by the
-- skip reason (c08_skips.sql).
CREATE TEMP VIEW c08_no_run AS
SELECT
    outputs.output_id,
    CASE
        WHEN NOT {file_found} THEN
            'no run: no consortium_logs.db was found to link it from (--consortium-logs PATH names it)'
        WHEN outputs.named_run_id IS NOT NULL THEN
            'no run: metadata.consortium_id names a run consortium_logs.db does not hold'
        WHEN NOT EXISTS (SELECT 1 FROM c08_runs WHERE config_name = outputs.model AND user_prompt = outputs.prompt) THEN
            'no run: consortium_logs.db has no run of this consortium asked this prompt'
        WHEN NOT EXISTS (SELECT 1 FROM c08_runs WHERE config_name = outputs.model AND user_prompt = outputs.prompt
                         AND created_dt - outputs.dt BETWEEN 0 AND {link_days}) THEN
            'no run: no run of this consortium with this prompt was created within seconds after it'
        ELSE 'no run: the runs of this consortium, prompt and time end in another synthesis'
    END AS reason
FROM c08_outputs AS outputs
WHERE outputs.output_id NOT IN (SELECT output_id FROM c08_candidates);
