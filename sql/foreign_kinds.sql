-- A foreign consortium_id that is the model of some row (a consortium's name
-- that no models file or saved config lists any more) is a model name too.
UPDATE foreign_values
SET kind = 'model_name'
WHERE kind = 'other'
  AND consortium_id IN (SELECT model FROM logged WHERE model IS NOT NULL);
