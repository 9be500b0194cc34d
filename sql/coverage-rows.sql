-- The rows coverage counts, per billing period, delivery folder and day, read from the export itself:
-- the staging of DuckDB keeps only the rows a detector reads (staging.sql, coverage_rows false), and reading
-- these few columns costs less than classifying every other row; Athena and Trino take the same
-- groups from staging, their one scan of the export (docs/architecture.md "one scan per run").
-- Parameters: focus_table, cost_column, periods.
SELECT
  billing_period,
  {{delivery_folder}} AS delivery,
  CAST(chargeperiodstart AS DATE) AS day,
  coalesce(chargecategory = 'Usage', FALSE) AS usage_day,
  subaccountid IS NULL AS account_missing,
  ({{cost_column}} IS NULL OR {{is_nan cost_column}}) AS cost_missing,
  count(*) AS row_count
FROM {{focus_table}}
WHERE billing_period IN ({{string_list periods}})
GROUP BY 1, 2, 3, 4, 5, 6
