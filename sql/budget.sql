-- Detector budget (docs/detection.md "Budget"): the field's budget advice, over the run's staging.
-- A budget counts every Bedrock charge of the account (staging kinds 'inference' and 'bedrock':
-- tokens, Provisioned Throughput, AgentCore, Marketplace models), not only token inference.
--   month-over-month: a forecast to month-end (month to date + the 7-day run rate × the days left)
--     at month_over_month_ratio × last month or more, and at least min_increase_usd above it, on an
--     account that spent min_last_month_usd last month (a month the export covers whole),
--   daily-cap: an account with a cap (the owners file's daily_cap_usd, or its environment's) that
--     spent more than the cap on a day of D-2 .. D,
--   workflow-cap: a tag value or an inference profile ARN that sent more uncached input tokens on a
--     day of D-2 .. D than max_uncached_input_tokens_per_day (off when that is null).
-- Parameters: bedrock (every Bedrock charge per account and day), staging (the run's staging rows,
-- with detail, for the workflow cap), as_of_days (each as-of day with its
-- month's first day, last month's first and last day, the days left in its month, D-6 and D-2),
-- first_covered_day (null: the whole window is covered), caps (account, cap), workflow_cap,
-- month_over_month_ratio, min_last_month_usd, min_increase_usd, recurring_match,
-- recurring_exempt_accounts, tag_keys.
-- A month-over-month forecast whose run rate the same 7 days of last month already had is held back
-- as a recurring monthly pattern (a month-end batch read into the 1st's forecast), as runaway does;
-- and a day that costs more than 3x the mean of the other six of the run rate counts once, in the month
-- to date: the forecast must also pass at the other six days' rate (a one-off on the 1st).
WITH {{staging_cte}}{{bedrock_cte}}
as_of_days (as_of, month_start, last_month_start, last_month_end, last_month_days, days_after, run_start,
            recent_start, prior_run_start, prior_run_end) AS (
  VALUES
  {{#each as_of_days}}
    ({{date as_of}}, {{date month_start}}, {{date last_month_start}}, {{date last_month_end}},
     {{num last_month_days}}, {{num days_after}}, {{date run_start}}, {{date recent_start}},
     {{date prior_run_start}}, {{date prior_run_end}}){{#unless @last}},{{/unless}}
  {{/each}}
),

bedrock_daily AS (
  -- Every Bedrock charge per account and day (bedrock-daily.sql); `other_cost` is not token inference.
  SELECT * FROM {{bedrock}} AS bedrock
),

account_names AS (
  SELECT account_id, max(account_name) AS account_name FROM bedrock_daily GROUP BY account_id
),

months AS (
  -- Per account and as-of day: last month, month to date, the 7-day run rate (days without a charge
  -- count as zero) and the recent window's days, from the same daily rows.
  SELECT
    account_names.account_id,
    as_of_days.as_of,
    max(as_of_days.last_month_days) AS last_month_days,
    max(as_of_days.days_after) AS days_after,
    -- The export covers last month whole: its first covered day is not after the month's first day.
    max(CASE WHEN {{#if first_covered_day}}{{date first_covered_day}} <= as_of_days.last_month_start{{else}}TRUE{{/if}}
      THEN 1 ELSE 0 END) = 1 AS last_month_covered,
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.last_month_start AND as_of_days.last_month_end
      THEN bedrock_daily.cost ELSE 0.0 END) AS last_month,
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.month_start AND as_of_days.as_of
      THEN bedrock_daily.cost ELSE 0.0 END) AS mtd,
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.run_start AND as_of_days.as_of
      THEN bedrock_daily.cost ELSE 0.0 END) / 7.0 AS run_rate,
    -- The costliest day of the seven, to tell a one-off (a backfill on the 1st) from a trend.
    coalesce(max(CASE WHEN bedrock_daily.day BETWEEN as_of_days.run_start AND as_of_days.as_of
      THEN bedrock_daily.cost END), 0.0) AS run_max_day,
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.recent_start AND as_of_days.as_of
      THEN bedrock_daily.cost ELSE 0.0 END) AS recent_cost,
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.run_start AND as_of_days.as_of
      THEN bedrock_daily.other_cost ELSE 0.0 END) AS run_other_cost,
    -- The same 7 days of last month (ending on its same day): a run rate they already had is a
    -- monthly pattern (a month-end batch, a job on the 1st), not a new trend.
    sum(CASE WHEN bedrock_daily.day BETWEEN as_of_days.prior_run_start AND as_of_days.prior_run_end
      THEN bedrock_daily.cost ELSE 0.0 END) / 7.0 AS prior_run_rate,
    max(CASE WHEN {{#if first_covered_day}}{{date first_covered_day}} <= as_of_days.prior_run_start{{else}}TRUE{{/if}}
      THEN 1 ELSE 0 END) = 1 AS prior_covered
  FROM account_names
  CROSS JOIN as_of_days
  LEFT JOIN bedrock_daily
    ON bedrock_daily.account_id = account_names.account_id
    AND bedrock_daily.day BETWEEN least(as_of_days.last_month_start, as_of_days.prior_run_start) AND as_of_days.as_of
  GROUP BY account_names.account_id, as_of_days.as_of
),

month_over_month AS (
  SELECT
    account_id,
    as_of,
    'month-over-month' AS kind,
    CAST(NULL AS VARCHAR) AS subject,
    7 AS recent_days,
    run_rate AS recent_avg,
    last_month / last_month_days AS baseline_avg,
    last_month,
    mtd,
    run_rate,
    mtd + run_rate * days_after AS forecast,
    CAST(NULL AS DOUBLE) AS cap,
    -- The forecast above the budget (ratio × last month), in dollars for the month.
    mtd + run_rate * days_after - {{num month_over_month_ratio}} * last_month AS excess,
    CAST(NULL AS DOUBLE) AS days_above,
    CAST(NULL AS VARCHAR) AS top_day,
    CAST(NULL AS DOUBLE) AS top_day_value,
    run_other_cost AS other_cost,
    last_month_days,
    -- Held back as a recurring pattern unless the account's earlier rise was an answered incident.
    ({{num recurring_match}} > 0.0 AND prior_covered
      AND prior_run_rate >= {{num recurring_match}} * run_rate
      AND {{not_in "account_id" recurring_exempt_accounts}}) AS recurring,
    prior_run_rate
  FROM months
  WHERE last_month_covered
    AND last_month >= {{num min_last_month_usd}}
    AND mtd + run_rate * days_after >= {{num month_over_month_ratio}} * last_month
    AND mtd + run_rate * days_after - last_month >= {{num min_increase_usd}}
    -- One day above 3× the mean of the other six is a one-off: it counts in the month to date but is
    -- not extrapolated, so the forecast must also pass at the other six days' rate (docs/detection.md
    -- "Budget").
    AND (run_max_day <= 3.0 * (7.0 * run_rate - run_max_day) / 6.0
      OR (mtd + (7.0 * run_rate - run_max_day) / 6.0 * days_after >= {{num month_over_month_ratio}} * last_month
        AND mtd + (7.0 * run_rate - run_max_day) / 6.0 * days_after - last_month >= {{num min_increase_usd}}))
),

caps (account_id, cap) AS (
  VALUES
  {{#each caps}}
    ({{str account_id}}, {{num cap_usd}}),
  {{/each}}
    (CAST(NULL AS VARCHAR), CAST(NULL AS DOUBLE))
),

capped_days AS (
  -- The capped accounts' days of D-2 .. D above their cap; the highest is named (the latest of equal ones).
  SELECT
    *,
    row_number() OVER (PARTITION BY account_id, as_of ORDER BY round(cost, 6) DESC, day DESC) AS rank_in_window
  FROM (
    SELECT
      caps.account_id,
      as_of_days.as_of,
      caps.cap,
      bedrock_daily.day,
      bedrock_daily.cost,
      bedrock_daily.other_cost
    FROM caps
    JOIN bedrock_daily ON bedrock_daily.account_id = caps.account_id
    JOIN as_of_days ON bedrock_daily.day BETWEEN as_of_days.recent_start AND as_of_days.as_of
    WHERE bedrock_daily.cost > caps.cap
  ) AS over_cap
),

daily_cap AS (
  SELECT
    capped_days.account_id,
    capped_days.as_of,
    'daily-cap' AS kind,
    CAST(NULL AS VARCHAR) AS subject,
    3 AS recent_days,
    max(months.recent_cost) / 3.0 AS recent_avg,
    max(capped_days.cap) AS baseline_avg,
    max(months.last_month) AS last_month,
    max(months.mtd) AS mtd,
    max(months.run_rate) AS run_rate,
    max(months.mtd + months.run_rate * months.days_after) AS forecast,
    max(capped_days.cap) AS cap,
    -- Per day above the cap: the mean of those days' cost above it.
    sum(capped_days.cost - capped_days.cap) / count(*) AS excess,
    CAST(count(*) AS DOUBLE) AS days_above,
    CAST(max(CASE WHEN capped_days.rank_in_window = 1 THEN capped_days.day END) AS VARCHAR) AS top_day,
    max(CASE WHEN capped_days.rank_in_window = 1 THEN capped_days.cost END) AS top_day_value,
    sum(capped_days.other_cost) AS other_cost,
    max(months.last_month_days) AS last_month_days,
    FALSE AS recurring,
    CAST(NULL AS DOUBLE) AS prior_run_rate
  FROM capped_days
  JOIN months ON months.account_id = capped_days.account_id AND months.as_of = capped_days.as_of
  GROUP BY capped_days.account_id, capped_days.as_of
),

{{#if workflow_cap_on}}
workflow_daily AS (
  -- Uncached input tokens (and their cost) per account, workflow and day: each configured tag's
  -- value, and each inference profile ARN.
  {{#each tag_keys}}
  SELECT account_id, {{str (concat this "=")}} || tag_{{@index}} AS subject, day, tokens, cost
  FROM {{../staging}}
  WHERE kind = 'inference' AND token_class = 'input' AND tag_{{@index}} IS NOT NULL
  UNION ALL
  {{/each}}
  SELECT account_id, resource_id AS subject, day, tokens, cost
  FROM {{staging}}
  WHERE kind = 'inference' AND token_class = 'input'
    AND resource_id LIKE 'arn:aws:bedrock:%inference-profile/%'
),

workflow_days AS (
  SELECT account_id, subject, day, sum(tokens) AS tokens, sum(cost) AS cost
  FROM workflow_daily
  GROUP BY account_id, subject, day
),

workflow_over AS (
  SELECT
    over_cap.*,
    row_number() OVER (PARTITION BY account_id, subject, as_of ORDER BY tokens DESC, day DESC) AS rank_in_window
  FROM (
    SELECT workflow_days.*, as_of_days.as_of
    FROM workflow_days
    JOIN as_of_days ON workflow_days.day BETWEEN as_of_days.recent_start AND as_of_days.as_of
    WHERE workflow_days.tokens > {{num workflow_cap}}
  ) AS over_cap
),

workflow_cap AS (
  SELECT
    workflow_over.account_id,
    workflow_over.as_of,
    'workflow-cap' AS kind,
    workflow_over.subject,
    3 AS recent_days,
    max(months.recent_cost) / 3.0 AS recent_avg,
    CAST(NULL AS DOUBLE) AS baseline_avg,
    max(months.last_month) AS last_month,
    max(months.mtd) AS mtd,
    max(months.run_rate) AS run_rate,
    max(months.mtd + months.run_rate * months.days_after) AS forecast,
    {{num workflow_cap}} AS cap,
    -- Per day above the cap: the mean of those days' uncached-input cost above it (at the day's price).
    sum((workflow_over.tokens - {{num workflow_cap}}) * workflow_over.cost / workflow_over.tokens) / count(*) AS excess,
    CAST(count(*) AS DOUBLE) AS days_above,
    CAST(max(CASE WHEN workflow_over.rank_in_window = 1 THEN workflow_over.day END) AS VARCHAR) AS top_day,
    max(CASE WHEN workflow_over.rank_in_window = 1 THEN workflow_over.tokens END) AS top_day_value,
    0.0 AS other_cost,
    max(months.last_month_days) AS last_month_days,
    FALSE AS recurring,
    CAST(NULL AS DOUBLE) AS prior_run_rate
  FROM workflow_over
  JOIN months ON months.account_id = workflow_over.account_id AND months.as_of = workflow_over.as_of
  GROUP BY workflow_over.account_id, workflow_over.as_of, workflow_over.subject
),
{{/if}}

fired AS (
  SELECT * FROM month_over_month
  UNION ALL
  SELECT * FROM daily_cap
  {{#if workflow_cap_on}}
  UNION ALL
  SELECT * FROM workflow_cap
  {{/if}}
)

SELECT
  fired.account_id,
  account_names.account_name,
  fired.as_of,
  fired.kind,
  fired.subject,
  fired.recent_days,
  fired.recent_avg,
  fired.baseline_avg,
  fired.last_month,
  fired.mtd,
  fired.run_rate,
  fired.forecast,
  fired.cap,
  fired.excess,
  fired.days_above,
  fired.top_day,
  fired.top_day_value,
  fired.other_cost,
  fired.recurring,
  fired.prior_run_rate,
  -- The baseline of a budget is last month, every day of it.
  CAST(fired.last_month_days AS INTEGER) AS baseline_days_covered
FROM fired
JOIN account_names ON account_names.account_id = fired.account_id
ORDER BY fired.as_of, fired.kind, fired.excess DESC, fired.account_id, fired.subject
