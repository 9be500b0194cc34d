-- The export's first covered day and newest charge over every billing period it holds: read only
-- when an as-of day asked for lies after today or before the export's first covered day, so the
-- error can name both (docs/cli.md). The first covered day counts Usage rows only: monthly Tax and
-- Credit rows dated the 1st are not usage data.
-- Parameters: focus_table.
SELECT
  CAST(min(CASE WHEN chargecategory = 'Usage' THEN chargeperiodstart END) AS DATE) AS first_charge_day,
  CAST(max(chargeperiodstart) AS DATE) AS last_charge_day
FROM {{focus_table}}
