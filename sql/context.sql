-- Context of the findings a run raised (docs/detection.md "Runaway inference", docs/findings.md): what the email needs to be actionable.
-- One statement for every finding of a run: per finding, the top keys of each breakdown dimension
-- (token classes, usage types, resources, regions, configured tags) with recent and baseline cost,
-- the daily series of its last days, and the account's compute spend recent vs baseline.
-- The same statement carries the daily series of the run's live cases (docs/emails.md "The episode").
-- Runaway breakdowns rank by recent increase in $/day; cache-miss ones by recent uncached input tokens.
-- A request of kind 'series' is a live case without a finding on the newest evaluated day: only its
-- daily series rows (the quiet days a run records on the case), no breakdowns, no compute spend.
-- Per finding too, the account's month, every Bedrock charge counted (docs/detection.md "Budget"): last
-- month, month to date and the 7-day run rate, from which the month-end forecast is computed once in
-- core; only where the run's data covers last month whole. A budget's series counts every Bedrock
-- charge of the day (its figures do); the others' count inference.
-- Parameters: staged (detail rows), compute (compute spend per account and day), bedrock (every
-- Bedrock charge per account and day), findings (one row per request: ref, account, model or NULL,
-- windows, days covered, ranking, kind, series scope, the month's days), tag_keys, top_n.
WITH {{staging_cte}}{{compute_cte}}{{bedrock_cte}}
flagged (finding_ref, account_id, model, recent_start, recent_end, baseline_start, baseline_end,
         series_start, recent_days, baseline_days, rank_by, request_kind, series_scope, month_known,
         month_start, last_month_start, last_month_end, run_start, days_after) AS (
  VALUES
  {{#each findings}}
    ({{str ref}}, {{str account_id}}, {{#if model}}{{str model}}{{else}}CAST(NULL AS VARCHAR){{/if}},
     {{date recent_start}}, {{date recent_end}}, {{date baseline_start}}, {{date baseline_end}},
     {{date series_start}}, {{num recent_days}}, {{num baseline_days}}, {{str rank_by}}, {{str kind}},
     {{str series_scope}}, {{#if month_known}}TRUE{{else}}FALSE{{/if}},
     {{date month_start}}, {{date last_month_start}}, {{date last_month_end}}, {{date run_start}},
     {{num days_after}}){{#unless @last}},{{/unless}}
  {{/each}}
),

scoped AS (
  -- The finding's account (and model, for cache-miss) over its baseline start .. as-of day.
  SELECT
    flagged.finding_ref,
    flagged.request_kind,
    flagged.rank_by,
    flagged.recent_days,
    flagged.baseline_days,
    staged.*,
    staged.day BETWEEN flagged.recent_start AND flagged.recent_end AS in_recent,
    staged.day BETWEEN flagged.baseline_start AND flagged.baseline_end AS in_baseline,
    staged.day >= flagged.series_start AS in_series
  FROM {{staged}} AS staged
  JOIN flagged
    ON staged.account_id = flagged.account_id
    AND (flagged.model IS NULL OR staged.model = flagged.model)
  WHERE staged.day BETWEEN least(flagged.baseline_start, flagged.series_start) AND flagged.recent_end
),

breakdown_scoped AS (
  -- Breakdowns are computed for flagged findings only.
  SELECT * FROM scoped WHERE request_kind = 'finding'
),

dimension_rows AS (
  SELECT finding_ref, rank_by, recent_days, baseline_days, in_recent, in_baseline, cost, tokens, token_class,
    'token_classes' AS dimension, token_class AS dimension_key
  FROM breakdown_scoped
  UNION ALL
  SELECT finding_ref, rank_by, recent_days, baseline_days, in_recent, in_baseline, cost, tokens, token_class,
    'usage_types', usage_type
  FROM breakdown_scoped
  UNION ALL
  SELECT finding_ref, rank_by, recent_days, baseline_days, in_recent, in_baseline, cost, tokens, token_class,
    'resources', coalesce(resource_id, '(no resource id)')
  FROM breakdown_scoped
  UNION ALL
  SELECT finding_ref, rank_by, recent_days, baseline_days, in_recent, in_baseline, cost, tokens, token_class,
    'regions', coalesce(region_id, '(no region)')
  FROM breakdown_scoped
  {{#each tag_keys}}
  UNION ALL
  SELECT finding_ref, rank_by, recent_days, baseline_days, in_recent, in_baseline, cost, tokens, token_class,
    'tags', {{str (concat this "=")}} || tag_{{@index}}
  FROM breakdown_scoped
  WHERE tag_{{@index}} IS NOT NULL
  {{/each}}
),

dimension_totals AS (
  SELECT
    finding_ref,
    dimension,
    dimension_key,
    sum(CASE WHEN in_recent THEN cost ELSE 0.0 END) AS recent_cost,
    sum(CASE WHEN in_baseline THEN cost ELSE 0.0 END) AS baseline_cost,
    sum(CASE WHEN in_recent THEN tokens ELSE 0.0 END) AS recent_tokens,
    sum(CASE WHEN in_recent AND token_class = 'input' THEN tokens ELSE 0.0 END) AS recent_uncached_input_tokens,
    max(rank_by) AS rank_by,
    max(recent_days) AS recent_days,
    max(baseline_days) AS baseline_days
  FROM dimension_rows
  GROUP BY finding_ref, dimension, dimension_key
),

ranked AS (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY finding_ref, dimension
      ORDER BY
        CASE WHEN rank_by = 'uncached_input' THEN recent_uncached_input_tokens
          ELSE recent_cost / recent_days - baseline_cost / baseline_days END DESC,
        dimension_key
    ) AS position
  FROM dimension_totals
),

series AS (
  -- Daily cost and prompt tokens over the series days (days without charges are filled in by the
  -- caller). A cache-miss series is the model's prompt-token cost, the quantity the finding is about,
  -- a budget's adds the day's other Bedrock charges (below).
  SELECT
    finding_ref,
    'series' AS dimension,
    CAST(day AS VARCHAR) AS dimension_key,
    sum(CASE WHEN rank_by = 'uncached_input' AND token_class NOT IN ('input', 'cache_read', 'cache_write', 'cache_write_1h')
      THEN 0.0 ELSE cost END) AS recent_cost,
    0.0 AS baseline_cost,
    sum(CASE WHEN token_class IN ('input', 'cache_read', 'cache_write', 'cache_write_1h') THEN tokens ELSE 0.0 END)
      AS recent_tokens,
    sum(CASE WHEN token_class = 'cache_read' THEN tokens ELSE 0.0 END) AS recent_cache_read_tokens
  FROM (
    SELECT finding_ref, day, rank_by, token_class, cost, tokens FROM scoped WHERE in_series
    UNION ALL
    SELECT flagged.finding_ref, bedrock.day, flagged.rank_by, 'other' AS token_class, bedrock.other_cost AS cost,
      0.0 AS tokens
    FROM flagged
    JOIN {{bedrock}} AS bedrock ON bedrock.account_id = flagged.account_id
    WHERE flagged.series_scope = 'bedrock' AND bedrock.other_cost <> 0.0
      AND bedrock.day BETWEEN flagged.series_start AND flagged.recent_end
  ) AS series_rows
  GROUP BY finding_ref, day
),

month_figures AS (
  -- The account's month, every Bedrock charge: recent_cost = month to date, baseline_cost = last
  -- month, recent_tokens = the 7 days' sum of the run rate, recent_cache_read_tokens = days left.
  SELECT
    flagged.finding_ref,
    'month' AS dimension,
    'month' AS dimension_key,
    sum(CASE WHEN bedrock.day BETWEEN flagged.month_start AND flagged.recent_end THEN bedrock.cost ELSE 0.0 END)
      AS recent_cost,
    sum(CASE WHEN bedrock.day BETWEEN flagged.last_month_start AND flagged.last_month_end THEN bedrock.cost ELSE 0.0 END)
      AS baseline_cost,
    sum(CASE WHEN bedrock.day BETWEEN flagged.run_start AND flagged.recent_end THEN bedrock.cost ELSE 0.0 END)
      AS recent_tokens,
    max(flagged.days_after) AS recent_cache_read_tokens
  FROM flagged
  LEFT JOIN {{bedrock}} AS bedrock
    ON bedrock.account_id = flagged.account_id
    AND bedrock.day BETWEEN flagged.last_month_start AND flagged.recent_end
  WHERE flagged.request_kind = 'finding' AND flagged.month_known
  GROUP BY flagged.finding_ref
),

compute_spend AS (
  SELECT
    flagged.finding_ref,
    'compute' AS dimension,
    'compute' AS dimension_key,
    sum(CASE WHEN compute.day BETWEEN flagged.recent_start AND flagged.recent_end THEN compute.cost ELSE 0.0 END)
      AS recent_cost,
    sum(CASE WHEN compute.day BETWEEN flagged.baseline_start AND flagged.baseline_end THEN compute.cost ELSE 0.0 END)
      AS baseline_cost,
    0.0 AS recent_tokens,
    0.0 AS recent_cache_read_tokens
  FROM flagged
  JOIN {{compute}} AS compute ON compute.account_id = flagged.account_id
  WHERE flagged.request_kind = 'finding'
    AND compute.day BETWEEN flagged.baseline_start AND flagged.recent_end
  GROUP BY flagged.finding_ref
)

SELECT finding_ref, dimension, dimension_key, recent_cost, baseline_cost, recent_tokens,
  0.0 AS recent_cache_read_tokens
FROM ranked
WHERE position <= {{int top_n}} OR dimension = 'token_classes'
UNION ALL
SELECT finding_ref, dimension, dimension_key, recent_cost, baseline_cost, recent_tokens, recent_cache_read_tokens
FROM series
UNION ALL
SELECT finding_ref, dimension, dimension_key, recent_cost, baseline_cost, recent_tokens, recent_cache_read_tokens
FROM compute_spend
UNION ALL
SELECT finding_ref, dimension, dimension_key, recent_cost, baseline_cost, recent_tokens, recent_cache_read_tokens
FROM month_figures
