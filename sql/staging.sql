-- Staging, the run's one read of the export (docs/architecture.md "one scan per run", docs/detection.md): every row of the billing
-- periods the data window touches, classified once and grouped:
--   kind 'inference': Bedrock model-inference charges in the data window -> cost and tokens per account,
--     model, token class and day (both detectors start here, through staged-inference.sql),
--   kind 'bedrock': every other Bedrock charge in the data window (Provisioned Throughput, AgentCore,
--     model customization, …), per account and day: with 'inference', what a budget counts (budget.sql),
--   kind 'compute': EC2, Lambda, ECS and SageMaker charges in the data window, per account and day
--     (the findings' context, through compute-daily.sql),
--   kind 'other': every other row, per day, kept for coverage.sql only (staleness, the export's first
--     covered day, rows without an account or a cost, missing days, delivery folders).
-- Athena and Trino create it once per run as a CTAS (bytes are money: one scan), and `sentinel sql
-- --inline` makes it the first CTE of a statement. DuckDB, which pays for decoding rather than bytes,
-- materializes only the rows a detector may read (coverage_rows false: rows of the export are filtered
-- on their raw columns, so a few rows of kind other remain and no statement counts them; coverage
-- reads a few columns of the export itself, coverage-rows.sql).
-- Parameters: focus_table, cost_column, usage_type (coalesce over whichever of skumeter/x_usagetype
-- exist), periods (billing_period pruning), window_start..window_end (the data window), window_after
-- (the day after it), tag_keys, coverage_rows (keep every other row for coverage).
-- detail adds usage type, resource, region and tag columns for the context queries.
WITH export_rows AS (
  SELECT
    billing_period,
    -- The delivery folder below the period's folder (Athena, Trino: from "$path"; NULL when the
    -- export overwrites, and always on DuckDB, whose file reader picks the newest delivery itself).
    {{delivery_folder}} AS delivery,
    subaccountid AS account_id,
    subaccountname AS account_name,
    CAST(chargeperiodstart AS DATE) AS day,
    coalesce(chargecategory = 'Usage', FALSE) AS usage_day,
    subaccountid IS NULL AS account_missing,
    ({{cost_column}} IS NULL OR {{is_nan cost_column}}) AS cost_missing,
    {{cost_column}} AS cost,
    consumedquantity AS quantity,
    lower(coalesce(consumedunit, pricingunit)) AS unit,
    {{usage_type}} AS usage_type,
    lower({{usage_type}}) AS usage_type_lc,
    servicename,
    x_servicecode,
    x_operation,
    chargecategory,
    chargeclass
    {{#if detail}},
    resourceid AS resource_id,
    regionid AS region_id
    {{#if tag_keys.length}},
    tags
    {{/if}}
    {{/if}}
    ,
    -- Bedrock: first-party codes, Marketplace "(Amazon Bedrock Edition)" models, Bedrock ARNs; not AgentCore.
    {{> bedrock_rows}}
    AND coalesce(x_servicecode, '') <> 'AmazonBedrockAgentCore' AS bedrock,
    -- AgentCore is not model inference, but it is Bedrock money: budgets count it.
    coalesce(x_servicecode = 'AmazonBedrockAgentCore', FALSE) AS agentcore
  FROM {{focus_table}}
  WHERE billing_period IN ({{string_list periods}})
  {{#unless coverage_rows}}
    -- On the raw columns, before any is transformed, so the reader skips row groups outside the
    -- window and decodes nothing more for rows that can only be of kind other (kinds below).
    AND chargeperiodstart >= {{date window_start}} AND chargeperiodstart < {{date window_after}}
    AND (
      {{> bedrock_rows}}
      OR x_servicecode IN ('AmazonBedrockAgentCore', 'AmazonEC2', 'AWSLambda', 'AmazonECS', 'AmazonSageMaker')
    )
  {{/unless}}
),

window_charges AS (
  -- Charges in the window: usage, not corrections (FOCUS ChargeClass is NULL or 'Correction', never
  -- 'Regular'); rows without an account or a cost are counted by coverage and skipped here.
  SELECT
    *,
    coalesce(
      day BETWEEN {{date window_start}} AND {{date window_end}}
      AND {{> charges}}
      AND NOT account_missing AND NOT cost_missing,
      FALSE
    ) AS window_charge
  FROM export_rows
),

kinds AS (
  SELECT
    *,
    CASE
      -- Model inference: token usage types, or InvokeModel* operations (x_operation, since 2026-01).
      WHEN window_charge AND bedrock
        AND (strpos(usage_type_lc, 'token') > 0 OR x_operation LIKE 'InvokeModel%') THEN 'inference'
      WHEN window_charge AND (bedrock OR agentcore) THEN 'bedrock'
      WHEN window_charge
        AND x_servicecode IN ('AmazonEC2', 'AWSLambda', 'AmazonECS', 'AmazonSageMaker') THEN 'compute'
      ELSE 'other'
    END AS kind
  FROM window_charges
),

classified AS (
  SELECT
    kind,
    billing_period,
    delivery,
    day,
    usage_day,
    account_missing,
    cost_missing,
    CASE WHEN kind <> 'other' THEN account_id END AS account_id,
    CASE WHEN kind <> 'other' THEN account_name END AS account_name,
    CASE WHEN kind <> 'other' THEN cost END AS cost,
    CASE WHEN kind = 'inference' THEN quantity END AS quantity,
    CASE WHEN kind = 'inference' THEN
      CASE
        WHEN strpos(usage_type_lc, 'cacheread') > 0 OR strpos(usage_type_lc, 'cache-read') > 0
          OR strpos(usage_type_lc, 'cache_read') > 0 THEN 'cache_read'
        WHEN (strpos(usage_type_lc, 'cachewrite') > 0 OR strpos(usage_type_lc, 'cache-write') > 0
          OR strpos(usage_type_lc, 'cache_write') > 0) AND strpos(usage_type_lc, '1h') > 0 THEN 'cache_write_1h'
        WHEN strpos(usage_type_lc, 'cachewrite') > 0 OR strpos(usage_type_lc, 'cache-write') > 0
          OR strpos(usage_type_lc, 'cache_write') > 0 THEN 'cache_write'
        WHEN strpos(usage_type_lc, 'input') > 0 THEN 'input'
        WHEN strpos(usage_type_lc, 'output') > 0 THEN 'output'
        ELSE 'other'
      END
    END AS token_class,
    CASE
      WHEN unit = '1k tokens' THEN 1000.0
      WHEN unit IN ('1m tokens', 'million tokens', 'units') THEN 1000000.0
      ELSE 1.0
    END AS unit_scale,
    -- A token row with a unit we do not know is counted x1 and reported (never dropped).
    CASE
      WHEN kind = 'inference' AND strpos(usage_type_lc, 'token') > 0
        AND coalesce(unit, '') NOT IN ('1k tokens', '1m tokens', 'million tokens', 'units', 'tokens')
        THEN coalesce(unit, '(none)')
    END AS unknown_unit,
    CASE
      WHEN kind <> 'inference' THEN NULL
      WHEN servicename LIKE '%(Amazon Bedrock Edition)%'
        THEN trim(replace(servicename, '(Amazon Bedrock Edition)', ''))
      ELSE
        -- Usage type minus region prefix, token-class part and variant suffixes, so every variant
        -- of one model groups together.
        {{regexp_replace_all
          (regexp_replace_all (regexp_replace_all "usage_type" "^[A-Z]{2,4}[0-9]*-" "")
            "(?i)-(input|output|cache|tokens?).*$" "")
          "(?i)(-cross-region-global|-cross-region|-global|_global|-batch|_batch|-flex|-priority)+$" ""}}
    END AS model
    {{#if detail}},
    CASE WHEN kind = 'inference' THEN usage_type END AS usage_type,
    CASE WHEN kind = 'inference' THEN resource_id END AS resource_id,
    CASE WHEN kind = 'inference' THEN region_id END AS region_id
    {{#each tag_keys}},
    -- Looked up here, on inference rows only, not on every row of the export.
    CASE WHEN kind = 'inference' THEN
      coalesce({{map_get "tags" this}}, {{map_get "tags" (concat "user:" this)}})
    END AS tag_{{@index}}
    {{/each}}
    {{/if}}
  FROM kinds
)

SELECT
  kind,
  billing_period,
  delivery,
  account_id,
  max(account_name) AS account_name,
  model,
  token_class,
  day,
  usage_day,
  account_missing,
  cost_missing,
  {{#if detail}}
  usage_type,
  resource_id,
  region_id,
  {{#each tag_keys}}
  tag_{{@index}},
  {{/each}}
  {{/if}}
  unknown_unit,
  sum(cost) AS cost,
  sum(coalesce(quantity, 0) * unit_scale) AS tokens,
  count(*) AS row_count
FROM classified
GROUP BY
  kind, billing_period, delivery, account_id, model, token_class, day,
  usage_day, account_missing, cost_missing,
  {{#if detail}}
  usage_type, resource_id, region_id,
  {{#each tag_keys}}
  tag_{{@index}},
  {{/each}}
  {{/if}}
  unknown_unit
