-- Detector cache-miss (SPEC §5): prompt spend rising because prompt caching stopped hitting
-- (cache-regression) or was never used on a model that supports it (cache-absent).
-- Parameters: staged, spine_start..spine_end, as_of_start..as_of_end, recent_days, baseline_days,
-- min_weekly_prompt_usd, min_hit_ratio_drop, cache_absent_max_hit_ratio, cache_absent_min_tokens,
-- cache_absent_expected_hit_ratio, min_avoidable_usd.
WITH {{staging_cte}}
class_daily AS (
  -- Tokens and cost per token class, per account, model and day.
  SELECT
    account_id,
    model,
    day,
    sum(CASE WHEN token_class = 'input' THEN tokens ELSE 0.0 END) AS input_tokens,
    sum(CASE WHEN token_class = 'input' THEN cost ELSE 0.0 END) AS input_cost,
    sum(CASE WHEN token_class = 'cache_read' THEN tokens ELSE 0.0 END) AS cache_read_tokens,
    sum(CASE WHEN token_class = 'cache_read' THEN cost ELSE 0.0 END) AS cache_read_cost,
    sum(CASE WHEN token_class IN ('cache_write', 'cache_write_1h') THEN tokens ELSE 0.0 END) AS cache_write_tokens,
    sum(CASE WHEN token_class IN ('cache_write', 'cache_write_1h') THEN cost ELSE 0.0 END) AS cache_write_cost,
    sum(CASE WHEN token_class = 'output' THEN tokens ELSE 0.0 END) AS output_tokens
  FROM {{staged}}
  GROUP BY account_id, model, day
),

account_names AS (
  SELECT account_id, max(account_name) AS account_name
  FROM {{staged}}
  GROUP BY account_id
),

date_spine AS (
  {{date_spine spine_start spine_end}}
),

dense_daily AS (
  SELECT
    series_keys.account_id,
    series_keys.model,
    date_spine.day,
    coalesce(class_daily.input_tokens, 0.0) AS input_tokens,
    coalesce(class_daily.input_cost, 0.0) AS input_cost,
    coalesce(class_daily.cache_read_tokens, 0.0) AS cache_read_tokens,
    coalesce(class_daily.cache_read_cost, 0.0) AS cache_read_cost,
    coalesce(class_daily.cache_write_tokens, 0.0) AS cache_write_tokens,
    coalesce(class_daily.cache_write_cost, 0.0) AS cache_write_cost,
    coalesce(class_daily.output_tokens, 0.0) AS output_tokens
  FROM (SELECT DISTINCT account_id, model FROM class_daily) AS series_keys
  CROSS JOIN date_spine
  LEFT JOIN class_daily
    ON class_daily.account_id = series_keys.account_id
    AND class_daily.model = series_keys.model
    AND class_daily.day = date_spine.day
),

windows AS (
  -- Recent D-(recent-1) .. D and baseline D-(recent+baseline-1) .. D-recent, as row frames on a dense series.
  SELECT
    account_id,
    model,
    day AS as_of,
    {{#each window_columns}}
    sum({{this}}) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int ../recent_preceding}} PRECEDING AND CURRENT ROW) AS recent_{{this}},
    sum({{this}}) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int ../baseline_far}} PRECEDING AND {{int ../baseline_near}} PRECEDING) AS baseline_{{this}},
    {{/each}}
    count(*) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int baseline_far}} PRECEDING AND {{int baseline_near}} PRECEDING) AS baseline_days_covered
  FROM dense_daily
),

model_daily AS (
  SELECT
    model,
    day,
    sum(input_tokens) AS input_tokens,
    sum(input_cost) AS input_cost,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_read_cost) AS cache_read_cost,
    sum(cache_write_tokens) AS cache_write_tokens
  FROM class_daily
  GROUP BY model, day
),

model_windows AS (
  -- The same model across the organization over both windows (D-(recent+baseline-1) .. D):
  -- price fallback, and whether the model supports caching at all.
  SELECT
    model_keys.model,
    date_spine.day AS as_of,
    {{#each model_window_columns}}
    sum(coalesce(model_daily.{{this}}, 0.0)) OVER (PARTITION BY model_keys.model ORDER BY date_spine.day
      ROWS BETWEEN {{int ../baseline_far}} PRECEDING AND CURRENT ROW) AS org_{{this}}{{#unless @last}},{{/unless}}
    {{/each}}
  FROM (SELECT DISTINCT model FROM model_daily) AS model_keys
  CROSS JOIN date_spine
  LEFT JOIN model_daily ON model_daily.model = model_keys.model AND model_daily.day = date_spine.day
),

measured AS (
  SELECT
    windows.*,
    windows.recent_input_tokens + windows.recent_cache_read_tokens + windows.recent_cache_write_tokens
      AS recent_prompt_tokens,
    windows.recent_input_cost + windows.recent_cache_read_cost + windows.recent_cache_write_cost
      AS recent_prompt_cost,
    windows.baseline_input_tokens + windows.baseline_cache_read_tokens + windows.baseline_cache_write_tokens
      AS baseline_prompt_tokens,
    windows.baseline_input_cost + windows.baseline_cache_read_cost + windows.baseline_cache_write_cost
      AS baseline_prompt_cost,
    model_windows.org_cache_read_tokens + model_windows.org_cache_write_tokens > 0.0 AS model_supports_caching,
    -- Unit prices from the data: account x model recent -> its baseline -> the model org-wide.
    coalesce(
      windows.recent_input_cost / nullif(windows.recent_input_tokens, 0.0),
      windows.baseline_input_cost / nullif(windows.baseline_input_tokens, 0.0),
      model_windows.org_input_cost / nullif(model_windows.org_input_tokens, 0.0)
    ) AS input_unit_price,
    coalesce(
      windows.recent_cache_read_cost / nullif(windows.recent_cache_read_tokens, 0.0),
      windows.baseline_cache_read_cost / nullif(windows.baseline_cache_read_tokens, 0.0),
      model_windows.org_cache_read_cost / nullif(model_windows.org_cache_read_tokens, 0.0)
    ) AS measured_cache_read_unit_price,
    -- List ratio of cache read to input where the data has no cache reads at all.
    CASE
      WHEN strpos(lower(windows.model), 'nova') > 0 THEN 0.25
      WHEN strpos(lower(windows.model), 'claude') > 0 THEN 0.1
    END AS cache_read_list_ratio
  FROM windows
  JOIN model_windows ON model_windows.model = windows.model AND model_windows.as_of = windows.as_of
  WHERE windows.as_of BETWEEN {{date as_of_start}} AND {{date as_of_end}}
),

scored AS (
  SELECT
    *,
    recent_cache_read_tokens / nullif(recent_prompt_tokens, 0.0) AS cache_hit_ratio,
    baseline_cache_read_tokens / nullif(baseline_prompt_tokens, 0.0) AS baseline_cache_hit_ratio,
    coalesce(measured_cache_read_unit_price, cache_read_list_ratio * input_unit_price) AS cache_read_unit_price
  FROM measured
),

candidates AS (
  SELECT
    *,
    CASE
      WHEN baseline_cache_hit_ratio IS NOT NULL
        AND baseline_cache_hit_ratio - cache_hit_ratio >= {{num min_hit_ratio_drop}}
        THEN 'cache-regression'
      WHEN cache_hit_ratio < {{num cache_absent_max_hit_ratio}}
        AND (baseline_cache_hit_ratio IS NULL OR baseline_cache_hit_ratio < {{num cache_absent_max_hit_ratio}})
        AND recent_input_tokens > {{num cache_absent_min_tokens}}
        AND model_supports_caching
        THEN 'cache-absent'
    END AS kind
  FROM scored
  WHERE recent_prompt_cost >= {{num min_weekly_prompt_usd}}
),

priced AS (
  SELECT
    *,
    (CASE WHEN kind = 'cache-regression' THEN baseline_cache_hit_ratio
      ELSE {{num cache_absent_expected_hit_ratio}} END - cache_hit_ratio)
      * recent_prompt_tokens * (input_unit_price - cache_read_unit_price) AS avoidable_cost
  FROM candidates
  WHERE kind IS NOT NULL
)

SELECT
  priced.account_id,
  account_names.account_name,
  priced.model,
  priced.as_of,
  priced.kind,
  priced.recent_prompt_cost,
  priced.baseline_prompt_cost,
  CAST(priced.baseline_days_covered AS INTEGER) AS baseline_days_covered,
  priced.recent_prompt_tokens,
  priced.recent_input_tokens,
  priced.recent_input_cost,
  priced.recent_cache_read_tokens,
  priced.recent_cache_write_tokens,
  priced.recent_output_tokens,
  priced.cache_hit_ratio,
  priced.baseline_cache_hit_ratio,
  priced.input_unit_price,
  priced.cache_read_unit_price,
  priced.avoidable_cost,
  -- No input price: the candidate cannot be valued and is not raised (the run summary counts it).
  (priced.input_unit_price IS NULL OR priced.cache_read_unit_price IS NULL) AS unpriced
FROM priced
JOIN account_names ON account_names.account_id = priced.account_id
WHERE priced.avoidable_cost >= {{num min_avoidable_usd}}
  OR priced.input_unit_price IS NULL
  OR priced.cache_read_unit_price IS NULL
ORDER BY priced.as_of, priced.avoidable_cost DESC, priced.account_id, priced.model
