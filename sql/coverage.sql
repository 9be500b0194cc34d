-- Coverage of the export over the periods a run's data window touches (never every period, SPEC §4):
-- the newest charge tells staleness; the earliest is the export's first covered day when it falls
-- inside the window; rows without an account or a cost are counted for one warning each.
-- Parameters: focus_table, cost_column, periods.
SELECT
  CAST(min(chargeperiodstart) AS DATE) AS first_charge_day,
  CAST(max(chargeperiodstart) AS DATE) AS last_charge_day,
  count(*) AS row_count,
  count_if(subaccountid IS NULL) AS null_account_rows,
  count_if({{cost_column}} IS NULL OR {{is_nan cost_column}}) AS null_cost_rows
FROM {{focus_table}}
WHERE billing_period IN ({{string_list periods}})
