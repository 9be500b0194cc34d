-- Staging: Bedrock model-inference charges -> cost and tokens per account, model, token class and day
-- (SPEC §3). Both detectors start here: DuckDB materializes it once per run, Athena and Trino
-- create it once per run as a CTAS; `sentinel sql --inline` makes it the first CTE of a statement.
-- Parameters: focus_table, cost_column, usage_type (coalesce over whichever of skumeter/x_usagetype
-- exist), periods (billing_period pruning), window_start..window_end (the data window), tag_keys.
-- detail adds usage type, resource, region and tag columns for the context queries.
WITH export_rows AS (
  SELECT
    subaccountid AS account_id,
    subaccountname AS account_name,
    CAST(chargeperiodstart AS DATE) AS day,
    {{cost_column}} AS cost,
    consumedquantity AS quantity,
    lower(coalesce(consumedunit, pricingunit)) AS unit,
    {{usage_type}} AS usage_type,
    lower({{usage_type}}) AS usage_type_lc,
    servicename,
    x_operation
    {{#if detail}},
    resourceid AS resource_id,
    regionid AS region_id
    {{#each tag_keys}},
    coalesce({{map_get "tags" this}}, {{map_get "tags" (concat "user:" this)}}) AS tag_{{@index}}
    {{/each}}
    {{/if}}
  FROM {{focus_table}}
  WHERE billing_period IN ({{string_list periods}})
    AND CAST(chargeperiodstart AS DATE) BETWEEN {{date window_start}} AND {{date window_end}}
    -- Bedrock: first-party codes, Marketplace "(Amazon Bedrock Edition)" models, Bedrock ARNs; not AgentCore.
    AND (
      x_servicecode IN ('AmazonBedrock', 'AmazonBedrockService', 'AmazonBedrockFoundationModels')
      OR servicename LIKE '%(Amazon Bedrock Edition)%'
      OR servicename IN ('Amazon Bedrock', 'Amazon Bedrock Service')
      OR resourceid LIKE 'arn:aws:bedrock:%'
    )
    AND coalesce(x_servicecode, '') <> 'AmazonBedrockAgentCore'
    -- Charges: usage, not corrections (FOCUS ChargeClass is NULL or 'Correction', never 'Regular').
    AND {{> charges}}
    -- Rows without an account or a cost are counted by the coverage query and skipped here.
    AND subaccountid IS NOT NULL
    AND {{cost_column}} IS NOT NULL
    AND NOT {{is_nan cost_column}}
),

inference_rows AS (
  -- Model inference: token usage types, or InvokeModel* operations (x_operation, since 2026-01).
  SELECT *
  FROM export_rows
  WHERE strpos(usage_type_lc, 'token') > 0 OR x_operation LIKE 'InvokeModel%'
),

classified AS (
  SELECT
    *,
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
    END AS token_class,
    CASE
      WHEN unit = '1k tokens' THEN 1000.0
      WHEN unit IN ('1m tokens', 'million tokens', 'units') THEN 1000000.0
      ELSE 1.0
    END AS unit_scale,
    -- A token row with a unit we do not know is counted x1 and reported (never dropped).
    CASE
      WHEN strpos(usage_type_lc, 'token') > 0
        AND coalesce(unit, '') NOT IN ('1k tokens', '1m tokens', 'million tokens', 'units', 'tokens')
        THEN coalesce(unit, '(none)')
    END AS unknown_unit,
    CASE
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
  FROM inference_rows
)

SELECT
  account_id,
  max(account_name) AS account_name,
  model,
  token_class,
  day,
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
  sum(coalesce(quantity, 0) * unit_scale) AS tokens
FROM classified
GROUP BY
  account_id, model, token_class, day,
  {{#if detail}}
  usage_type, resource_id, region_id,
  {{#each tag_keys}}
  tag_{{@index}},
  {{/each}}
  {{/if}}
  unknown_unit
