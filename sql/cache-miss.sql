-- Detector cache-miss (docs/detection.md "Cache miss"): prompt spend rising because prompt caching stopped hitting
-- (cache-regression) or was never used on a model that supports it (cache-absent).
-- A regression is judged over two recent windows against the same baseline: the 7 days (its hit
-- ratio fell by min_hit_ratio_drop), and the last short_days days (each of them fell by
-- min_daily_hit_ratio_drop and the ratio is not climbing back by more than max_hit_ratio_recovery),
-- which sees a partial loss within days instead of waiting for it to drag the whole week down.
-- A row names the window that fired (recent_days); the 7 days win when both fire.
-- Parameters: staged, spine_start..spine_end, as_of_start..as_of_end, recent_days, baseline_days,
-- min_weekly_prompt_usd, min_hit_ratio_drop, cache_absent_max_hit_ratio, cache_absent_min_tokens,
-- cache_absent_expected_hit_ratio, min_avoidable_usd, short_days (0: no short window),
-- short_preceding, min_daily_hit_ratio_drop, max_hit_ratio_recovery.
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

{{> account_names}}

{{> date_spine}}

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
    coalesce(class_daily.output_tokens, 0.0) AS output_tokens,
    -- The day's own hit ratio; NULL on a day without prompt tokens.
    class_daily.cache_read_tokens
      / nullif(class_daily.input_tokens + class_daily.cache_read_tokens + class_daily.cache_write_tokens, 0.0)
      AS day_hit_ratio
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
    {{#each window_columns}}
    sum({{this}}) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int ../short_preceding}} PRECEDING AND CURRENT ROW) AS short_{{this}},
    {{/each}}
    -- Short window, day by day: the best day's hit ratio, days with prompt tokens, and the climb
    -- from its first day to its last.
    max(day_hit_ratio) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int short_preceding}} PRECEDING AND CURRENT ROW) AS short_max_day_hit_ratio,
    count(day_hit_ratio) OVER (PARTITION BY account_id, model ORDER BY day
      ROWS BETWEEN {{int short_preceding}} PRECEDING AND CURRENT ROW) AS short_days_with_prompt,
    day_hit_ratio - lag(day_hit_ratio, {{int short_preceding}}) OVER (PARTITION BY account_id, model ORDER BY day)
      AS short_hit_ratio_climb,
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
    windows.short_input_tokens + windows.short_cache_read_tokens + windows.short_cache_write_tokens
      AS short_prompt_tokens,
    windows.short_input_cost + windows.short_cache_read_cost + windows.short_cache_write_cost
      AS short_prompt_cost,
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
    short_cache_read_tokens / nullif(short_prompt_tokens, 0.0) AS short_cache_hit_ratio,
    coalesce(measured_cache_read_unit_price, cache_read_list_ratio * input_unit_price) AS cache_read_unit_price
  FROM measured
),

candidates AS (
  SELECT
    *,
    CASE
      WHEN recent_prompt_cost < {{num min_weekly_prompt_usd}} THEN NULL
      WHEN baseline_cache_hit_ratio IS NOT NULL
        AND baseline_cache_hit_ratio - cache_hit_ratio >= {{num min_hit_ratio_drop}}
        THEN 'cache-regression'
      WHEN cache_hit_ratio < {{num cache_absent_max_hit_ratio}}
        AND (baseline_cache_hit_ratio IS NULL OR baseline_cache_hit_ratio < {{num cache_absent_max_hit_ratio}})
        AND recent_input_tokens > {{num cache_absent_min_tokens}}
        AND model_supports_caching
        THEN 'cache-absent'
    END AS week_kind,
    -- The short window: every one of its days below the baseline by the daily drop, the ratio not
    -- climbing back across it (a cache warming up), and the weekly prompt floor pro rata.
    {{#if short_days}}
    coalesce(
      baseline_cache_hit_ratio - short_max_day_hit_ratio >= {{num min_daily_hit_ratio_drop}}
        AND short_days_with_prompt = {{int short_days}}
        AND short_hit_ratio_climb <= {{num max_hit_ratio_recovery}}
        AND short_prompt_cost * {{num recent_days}} >= {{num min_weekly_prompt_usd}} * {{num short_days}},
      FALSE
    ) AS short_regression
    {{else}}
    FALSE AS short_regression
    {{/if}}
  FROM scored
),

priced AS (
  SELECT
    *,
    (CASE WHEN week_kind = 'cache-regression' THEN baseline_cache_hit_ratio
      ELSE {{num cache_absent_expected_hit_ratio}} END - cache_hit_ratio)
      * recent_prompt_tokens * (input_unit_price - cache_read_unit_price) AS week_avoidable_cost,
    (baseline_cache_hit_ratio - short_cache_hit_ratio)
      * short_prompt_tokens * (input_unit_price - cache_read_unit_price) AS short_avoidable_cost,
    -- No input price: the candidate cannot be valued and is not raised (the run summary counts it).
    (input_unit_price IS NULL OR cache_read_unit_price IS NULL) AS unpriced
  FROM candidates
  WHERE week_kind IS NOT NULL OR short_regression
),

chosen AS (
  -- The 7-day window where it fires (a week of evidence), else the short one; the avoidable floor
  -- applies pro rata to the window's days.
  SELECT
    *,
    week_kind IS NOT NULL AND (unpriced OR week_avoidable_cost >= {{num min_avoidable_usd}}) AS by_week
  FROM priced
  WHERE (week_kind IS NOT NULL AND (unpriced OR week_avoidable_cost >= {{num min_avoidable_usd}}))
    OR (short_regression
      AND (unpriced OR short_avoidable_cost * {{num recent_days}} >= {{num min_avoidable_usd}} * {{num short_days}}))
)

SELECT
  chosen.account_id,
  account_names.account_name,
  chosen.model,
  chosen.as_of,
  CASE WHEN chosen.by_week THEN chosen.week_kind ELSE 'cache-regression' END AS kind,
  -- The window that fired: the recent window D-(recent_days-1) .. D.
  CASE WHEN chosen.by_week THEN {{int recent_days}} ELSE {{int short_days}} END AS recent_days,
  CASE WHEN chosen.by_week THEN chosen.recent_prompt_cost ELSE chosen.short_prompt_cost END AS recent_prompt_cost,
  chosen.baseline_prompt_cost,
  CAST(chosen.baseline_days_covered AS INTEGER) AS baseline_days_covered,
  CASE WHEN chosen.by_week THEN chosen.recent_prompt_tokens ELSE chosen.short_prompt_tokens END AS recent_prompt_tokens,
  CASE WHEN chosen.by_week THEN chosen.recent_input_tokens ELSE chosen.short_input_tokens END AS recent_input_tokens,
  CASE WHEN chosen.by_week THEN chosen.recent_input_cost ELSE chosen.short_input_cost END AS recent_input_cost,
  CASE WHEN chosen.by_week THEN chosen.recent_cache_read_tokens ELSE chosen.short_cache_read_tokens END
    AS recent_cache_read_tokens,
  CASE WHEN chosen.by_week THEN chosen.recent_cache_write_tokens ELSE chosen.short_cache_write_tokens END
    AS recent_cache_write_tokens,
  CASE WHEN chosen.by_week THEN chosen.recent_output_tokens ELSE chosen.short_output_tokens END AS recent_output_tokens,
  CASE WHEN chosen.by_week THEN chosen.cache_hit_ratio ELSE chosen.short_cache_hit_ratio END AS cache_hit_ratio,
  chosen.baseline_cache_hit_ratio,
  chosen.input_unit_price,
  chosen.cache_read_unit_price,
  CASE WHEN chosen.by_week THEN chosen.week_avoidable_cost ELSE chosen.short_avoidable_cost END AS avoidable_cost,
  chosen.unpriced
FROM chosen
JOIN account_names ON account_names.account_id = chosen.account_id
ORDER BY chosen.as_of, avoidable_cost DESC, chosen.account_id, chosen.model
