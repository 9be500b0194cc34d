-- Coverage of the export over the periods a run's data window touches (never every period, docs/detection.md "Runaway inference"),
-- from staging (staging.sql keeps every row of those periods, grouped by day): the newest charge
-- tells staleness; the earliest usage charge is the export's first covered day when it falls inside
-- the window (Usage rows only: monthly Tax/Credit rows dated the 1st are not usage data); rows
-- without an account or a cost are counted for one warning each; a day of the window with no usage
-- charge at all (any service) is a missing delivery, not a day of zero spend; a period read from
-- more than one delivery folder is summed more than once (docs/detection.md "Input"); token rows with an unknown unit
-- are named by the unit check.
-- Parameters: coverage_rows (staging itself, or on DuckDB coverage-rows.sql over the export), staging
-- (for the unknown units of its inference rows), split (the two differ: DuckDB, where coverage reads the
-- export while staging is made, and the unit check counts unknown units from staging itself),
-- window_start..window_end.
SELECT
  min(CASE WHEN usage_day THEN day END) AS first_charge_day,
  max(day) AS last_charge_day,
  count(DISTINCT CASE WHEN usage_day
    AND day BETWEEN {{date window_start}} AND {{date window_end}} THEN day END) AS window_days_with_charges,
  coalesce(sum(row_count), 0) AS row_count,
  coalesce(sum(CASE WHEN account_missing THEN row_count ELSE 0 END), 0) AS null_account_rows,
  coalesce(sum(CASE WHEN cost_missing THEN row_count ELSE 0 END), 0) AS null_cost_rows,
  count(DISTINCT billing_period || '/' || coalesce(delivery, '')) - count(DISTINCT billing_period) AS extra_deliveries,
  {{#if split}}
  CAST(NULL AS BIGINT) AS unknown_units
FROM {{coverage_rows}}
  {{else}}
  count(DISTINCT CASE WHEN kind = 'inference' THEN unknown_unit END) AS unknown_units
FROM {{staging}}
  {{/if}}
