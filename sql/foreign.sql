-- Values in the two columns that this tool did not write, one rowid range at
-- a time: a consortium_id that its consortium_members table does not record
-- for that row, and a flag other than the column's default on a row with no
-- consortium_id. Earlier attempts at the same job leave such values (model
-- names, ids of their own, blank strings, flags set by a LIKE). Kinds are
-- named here; foreign_kinds.sql tells model names from other values.
INSERT INTO foreign_values (rid, id, consortium_id, is_arbiter_response, kind)
SELECT
    rowid,
    id,
    consortium_id,
    {flag},
    CASE
        WHEN consortium_id IS NULL THEN 'flag_only'
        WHEN trim(consortium_id) = '' THEN 'blank'
        WHEN consortium_id IN (SELECT name FROM consortium_names) THEN 'model_name'
        WHEN length(consortium_id) = 40 AND consortium_id NOT GLOB '*[^0-9a-fA-F]*' THEN 'hex40'
        ELSE 'other'
    END
FROM main.responses
WHERE rowid > :low AND rowid <= :high
  AND (
      consortium_id IS NOT NULL
      OR ({flag} IS NOT NULL AND {flag} IS NOT {flag_default})
  )
  AND NOT {ours};
