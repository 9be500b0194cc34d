-- Detector runaway-inference (docs/detection.md "Runaway inference"): an account's daily Bedrock inference spend far above its own
-- recent baseline, or a new spender with no baseline at all.
-- Parameters: staged (the staging query's rows), spine_start..spine_end (covered days of the data
-- window), as_of_start..as_of_end (the as-of days), recent_days, guard_days, baseline_days, k,
-- min_baseline_daily_usd, min_daily_increase_usd, min_spike_ratio, new_spender_daily_usd,
-- min_baseline_days, recurring_match, recurring_exempt_accounts.
WITH {{staging_cte}}
daily_cost AS (
  -- Inference cost per account and day, on the days that have charges.
  SELECT account_id, day, sum(cost) AS cost
  FROM {{staged}}
  GROUP BY account_id, day
),

{{> account_names}}

{{> date_spine}}

dense_daily AS (
  -- A zero-spend day is a real day of the baseline.
  SELECT accounts.account_id, date_spine.day, coalesce(daily_cost.cost, 0.0) AS cost
  FROM (SELECT DISTINCT account_id FROM daily_cost) AS accounts
  CROSS JOIN date_spine
  LEFT JOIN daily_cost
    ON daily_cost.account_id = accounts.account_id AND daily_cost.day = date_spine.day
),

windows AS (
  -- On a dense series, N rows back is N days back. Baseline D-(recent+guard+baseline-1) .. D-(recent+guard).
  SELECT
    account_id,
    day AS as_of,
    avg(cost) OVER (PARTITION BY account_id ORDER BY day
      ROWS BETWEEN {{int recent_preceding}} PRECEDING AND CURRENT ROW) AS recent_avg,
    count(*) OVER (PARTITION BY account_id ORDER BY day
      ROWS BETWEEN {{int recent_preceding}} PRECEDING AND CURRENT ROW) AS recent_days_covered,
    avg(cost) OVER (PARTITION BY account_id ORDER BY day
      ROWS BETWEEN {{int baseline_far}} PRECEDING AND {{int baseline_near}} PRECEDING) AS baseline_avg,
    stddev_pop(cost) OVER (PARTITION BY account_id ORDER BY day
      ROWS BETWEEN {{int baseline_far}} PRECEDING AND {{int baseline_near}} PRECEDING) AS baseline_stddev,
    count(*) OVER (PARTITION BY account_id ORDER BY day
      ROWS BETWEEN {{int baseline_far}} PRECEDING AND {{int baseline_near}} PRECEDING) AS baseline_days_covered
  FROM dense_daily
),

with_last_month AS (
  -- The highest full recent-window mean ending one month earlier (D-34 .. D-27): a monthly job
  -- looks like a spike to a baseline that never contains the previous month's end.
  SELECT
    *,
    max(CASE WHEN recent_days_covered = {{int recent_days}} THEN recent_avg END) OVER (
      PARTITION BY account_id ORDER BY as_of
      ROWS BETWEEN {{int recurring_far}} PRECEDING AND {{int recurring_near}} PRECEDING) AS last_month_peak_avg
  FROM windows
),

candidates AS (
  SELECT
    *,
    CASE
      WHEN baseline_avg >= {{num min_baseline_daily_usd}}
        AND recent_avg > baseline_avg + {{num k}} * baseline_stddev
        AND recent_avg - baseline_avg >= {{num min_daily_increase_usd}}
        AND recent_avg >= {{num min_spike_ratio}} * baseline_avg
        THEN 'runaway'
      WHEN baseline_avg < {{num min_baseline_daily_usd}}
        AND recent_avg >= {{num new_spender_daily_usd}}
        THEN 'new-spender'
    END AS kind
  FROM with_last_month
  WHERE as_of BETWEEN {{date as_of_start}} AND {{date as_of_end}}
    AND baseline_days_covered >= {{int min_baseline_days}}
)

SELECT
  candidates.account_id,
  account_names.account_name,
  candidates.as_of,
  candidates.kind,
  candidates.recent_avg,
  candidates.baseline_avg,
  candidates.baseline_stddev,
  CAST(candidates.baseline_days_covered AS INTEGER) AS baseline_days_covered,
  candidates.last_month_peak_avg,
  -- Held back as a recurring pattern unless the account's earlier rise was an answered incident.
  ({{num recurring_match}} > 0.0
    AND candidates.last_month_peak_avg >= {{num recurring_match}} * candidates.recent_avg
    AND {{not_in "candidates.account_id" recurring_exempt_accounts}}) AS recurring
FROM candidates
JOIN account_names ON account_names.account_id = candidates.account_id
WHERE candidates.kind IS NOT NULL
ORDER BY candidates.as_of, candidates.recent_avg - candidates.baseline_avg DESC, candidates.account_id
