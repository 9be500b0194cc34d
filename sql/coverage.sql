-- Coverage of the export over the periods a run's data window touches (never every period, SPEC §4):
-- the newest charge tells staleness; the earliest usage charge is the export's first covered day when
-- it falls inside the window (Usage rows only: monthly Tax/Credit rows dated the 1st are not usage
-- data); rows without an account or a cost are counted for one warning each; a day of the window
-- with no usage charge at all (any service) is a missing delivery, not a day of zero spend.
-- Parameters: focus_table, cost_column, periods, window_start..window_end.
SELECT
  CAST(min(CASE WHEN chargecategory = 'Usage' THEN chargeperiodstart END) AS DATE) AS first_charge_day,
  CAST(max(chargeperiodstart) AS DATE) AS last_charge_day,
  count(DISTINCT CASE WHEN chargecategory = 'Usage'
    AND CAST(chargeperiodstart AS DATE) BETWEEN {{date window_start}} AND {{date window_end}}
    THEN CAST(chargeperiodstart AS DATE) END) AS window_days_with_charges,
  count(*) AS row_count,
  count_if(subaccountid IS NULL) AS null_account_rows,
  count_if({{cost_column}} IS NULL OR {{is_nan cost_column}}) AS null_cost_rows
FROM {{focus_table}}
WHERE billing_period IN ({{string_list periods}})
