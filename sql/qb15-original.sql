-- FOR COMPARISON ONLY (benchmarks and tests, docs/detection.md "The original query"): the original "QB15" spike query as its
-- article wrote it, defects included, evaluated for every as-of day of a range (its LIMIT 25
-- applies per as-of day). With as_intended, its two filters that match nothing on a 2026 export
-- (ChargeClass 'Regular', InvokeModel in the usage type) are replaced by ours; all else is kept:
-- no zero-fill, inner join on a baseline row, LIMIT 25, no billing_period predicate.
-- Parameters: focus_table, usage_type, as_of_start..as_of_end, as_intended.
WITH as_of_days AS (
  {{date_spine as_of_start as_of_end}}
),

bedrock_daily AS (
  -- Days with charges only: a zero-spend day never enters the baseline.
  SELECT subaccountid AS account_id, CAST(chargeperiodstart AS DATE) AS day, sum(billedcost) AS cost
  FROM {{focus_table}}
  WHERE servicename LIKE '%Bedrock%'
    AND chargecategory = 'Usage'
    {{#if as_intended}}
    AND (strpos(lower({{usage_type}}), 'token') > 0 OR x_operation LIKE 'InvokeModel%')
    AND (chargeclass IS NULL OR chargeclass <> 'Correction')
    {{else}}
    AND x_usagetype LIKE '%InvokeModel%'
    AND chargeclass = 'Regular'
    {{/if}}
    AND CAST(chargeperiodstart AS DATE) >= {{date since}}
  GROUP BY subaccountid, CAST(chargeperiodstart AS DATE)
),

baseline AS (
  -- Days D-30 .. D-8.
  SELECT as_of_days.day AS as_of, account_id, avg(cost) AS baseline_avg, stddev_pop(cost) AS baseline_stddev
  FROM as_of_days
  JOIN bedrock_daily
    ON date_diff('day', bedrock_daily.day, as_of_days.day) BETWEEN 8 AND 30
  GROUP BY as_of_days.day, account_id
),

recent AS (
  -- Days D-3 .. D.
  SELECT as_of_days.day AS as_of, account_id, avg(cost) AS recent_avg
  FROM as_of_days
  JOIN bedrock_daily
    ON date_diff('day', bedrock_daily.day, as_of_days.day) BETWEEN 0 AND 3
  GROUP BY as_of_days.day, account_id
),

flagged AS (
  SELECT
    recent.as_of,
    recent.account_id,
    recent.recent_avg,
    baseline.baseline_avg,
    baseline.baseline_stddev,
    recent.recent_avg / baseline.baseline_avg AS spike_ratio,
    row_number() OVER (PARTITION BY recent.as_of ORDER BY recent.recent_avg / baseline.baseline_avg DESC) AS position
  FROM recent
  JOIN baseline ON baseline.account_id = recent.account_id AND baseline.as_of = recent.as_of
  WHERE recent.recent_avg > baseline.baseline_avg + 2 * baseline.baseline_stddev
    AND baseline.baseline_avg > 1.0
)

SELECT as_of, account_id, recent_avg, baseline_avg, baseline_stddev, spike_ratio
FROM flagged
WHERE position <= 25
ORDER BY as_of, spike_ratio DESC
