-- For each skipped run that has an output row, the nearest earlier arbiter
-- row asked about its prompt whose synthesis is its output: most likely its
-- real final arbiter, cut off by an interleaved parallel run. A hint for the
-- person reviewing (review.sql), never applied; --include-orphans leaves it,
-- and the row before the output, to them.
UPDATE runs
SET likely_rid = (
    SELECT candidates.rid
    FROM candidates
    JOIN logged AS likely ON likely.rid = candidates.rid
    JOIN logged AS output ON output.rid = runs.output_rid
    WHERE candidates.arbiter_format IS NOT NULL
      AND candidates.rid < runs.output_rid
      AND candidates.dt >= output.dt - :window_days
      AND synthesis_text(candidates.arbiter_format, CAST(likely.response AS BLOB)) = output.response
      AND instr(original_prompt(CAST(likely.prompt AS BLOB)), output.prompt) > 0
    ORDER BY candidates.rid DESC
    LIMIT 1
)
WHERE skip_reason IS NOT NULL AND output_rid IS NOT NULL;
