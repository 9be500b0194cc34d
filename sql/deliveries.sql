-- The delivery folders of each billing period staging read, with their rows: run only when coverage
-- counts more folders than periods (an export set to create new files instead of overwriting; every
-- delivery is read, so its rows are summed more than once — docs/detection.md "Input").
-- Parameters: coverage_rows (staging, or on DuckDB coverage-rows.sql over the export).
SELECT
  billing_period,
  coalesce(delivery, '(the period folder)') AS delivery,
  sum(row_count) AS row_count
FROM {{coverage_rows}}
GROUP BY billing_period, delivery
ORDER BY billing_period, delivery
