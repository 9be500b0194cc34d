-- The days between the export's first and newest charge in the data window on which it has no
-- usage charge at all, for any service: a delivery is missing, and those days would otherwise count as
-- zero spend. Run only when the coverage statement counts fewer days than the span holds.
-- Parameters: coverage_rows (staging, or on DuckDB coverage-rows.sql over the export), span_start..span_end.
WITH date_spine AS (
  {{date_spine span_start span_end}}
),

charge_days AS (
  SELECT DISTINCT day
  FROM {{coverage_rows}}
  WHERE usage_day
    AND day BETWEEN {{date span_start}} AND {{date span_end}}
)

SELECT date_spine.day
FROM date_spine
LEFT JOIN charge_days ON charge_days.day = date_spine.day
WHERE charge_days.day IS NULL
ORDER BY date_spine.day
