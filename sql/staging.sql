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
-- materializes only the rows a detector may read (coverage_rows false; see
-- docs/architecture.md "One scan per run"): the window's Bedrock rows in one scan by the service codes
-- they carry (found first by one-column tests), and its compute rows summed per account and day from a
-- few narrow columns (the last SELECT below); coverage reads a few columns of the export itself
-- (coverage-rows.sql). A few rows of kind other remain; no statement counts them.
-- Parameters: focus_table, cost_column, usage_type (coalesce over whichever of skumeter/x_usagetype
-- exist), periods (billing_period pruning), window_start..window_end (the data window), window_after
-- (the day after it), tag_keys, coverage_rows (keep every other row for coverage).
-- detail adds usage type, resource, region and tag columns for the context queries.
{{#*inline "export_row"}}
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
    (
      x_servicecode IN ({{> bedrock_codes}})
      OR {{> bedrock_by_name}}
      OR {{> bedrock_by_arn}}
    )
    AND coalesce(x_servicecode, '') <> 'AmazonBedrockAgentCore' AS bedrock,
    -- AgentCore is not model inference, but it is Bedrock money: budgets count it.
    coalesce(x_servicecode = 'AmazonBedrockAgentCore', FALSE) AS agentcore
{{/inline}}
{{#*inline "bedrock_code"}}{{#in_list "x_servicecode"}}{{> bedrock_codes}}, 'AmazonBedrockAgentCore'{{/in_list}}{{/inline~}}
{{#*inline "detector_window"}}
  WHERE billing_period IN ({{string_list periods}})
    AND chargeperiodstart >= {{date window_start}} AND chargeperiodstart < {{date window_after}}
{{/inline}}
WITH {{#unless coverage_rows}}bedrock_service_codes AS (
  -- DuckDB (detector-rows): the service codes the data window's Bedrock rows carry: Bedrock's own, and
  -- any other code (a Marketplace model's product code, …) on a row the name or ARN test takes. Each
  -- test is of one column, so the reader filters it in its scan and decodes no other column.
  SELECT unnest([{{> bedrock_codes}}, 'AmazonBedrockAgentCore']) AS code
  UNION
  SELECT x_servicecode
  FROM {{focus_table}}
  {{> detector_window}}
    AND NOT coalesce({{> bedrock_code}}, FALSE)
    AND {{> bedrock_by_name}}
  UNION
  SELECT x_servicecode
  FROM {{focus_table}}
  {{> detector_window}}
    AND NOT coalesce({{> bedrock_code}}, FALSE)
    AND NOT coalesce({{> bedrock_by_name}}, FALSE)
    AND {{> bedrock_by_arn}}
),

{{/unless}}export_rows AS (
  {{#if coverage_rows}}
  SELECT
{{> export_row}}
  FROM {{focus_table}}
  WHERE billing_period IN ({{string_list periods}})
  {{else}}
  -- DuckDB (detector-rows): the rows of the data window whose service code a Bedrock row carries,
  -- read in one scan. DuckDB pushes the join's few codes into the scan as a test of the code column,
  -- so the reader decodes the other columns only for those rows, and each page once however the
  -- export's rows are ordered (a test over several columns at once would make it decode every column
  -- of every row; separate scans by code, name and ARN decode the pages they share once each). A row
  -- of such a code that the Bedrock rule does not take is kind other below. Rows without a code are
  -- read by the second branch, which they alone pass.
  SELECT
{{> export_row}}
  FROM {{focus_table}}
  JOIN bedrock_service_codes ON x_servicecode = bedrock_service_codes.code
  {{> detector_window}}
  UNION ALL
  SELECT
{{> export_row}}
  FROM {{focus_table}}
  {{> detector_window}}
    AND x_servicecode IS NULL
    AND ({{> bedrock_by_name}} OR {{> bedrock_by_arn}})
  {{/if}}
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
      {{#if coverage_rows}}
      WHEN window_charge
        AND x_servicecode IN ({{> compute_codes}}) THEN 'compute'
      {{/if}}
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
{{#unless coverage_rows}}

UNION ALL

-- DuckDB (detector-rows): compute charges of the data window per account and day, summed straight
-- from a few narrow columns of the export; decoding the service name and resource id of every compute
-- row as well would add about 80 ms at 10 M rows, half of staging. A compute-coded row that the Bedrock rule
-- takes (a Bedrock name or ARN, read above with the Bedrock rows) is Bedrock, not compute: it is
-- taken back out here, and a day left with no compute row is no compute day (HAVING).
SELECT
  'compute' AS kind,
  billing_period,
  CAST(NULL AS VARCHAR) AS delivery,
  account_id,
  max(account_name) AS account_name,
  CAST(NULL AS VARCHAR) AS model,
  CAST(NULL AS VARCHAR) AS token_class,
  day,
  TRUE AS usage_day,
  FALSE AS account_missing,
  FALSE AS cost_missing,
  {{#if detail}}
  CAST(NULL AS VARCHAR) AS usage_type,
  CAST(NULL AS VARCHAR) AS resource_id,
  CAST(NULL AS VARCHAR) AS region_id,
  {{#each tag_keys}}
  CAST(NULL AS VARCHAR) AS tag_{{@index}},
  {{/each}}
  {{/if}}
  CAST(NULL AS VARCHAR) AS unknown_unit,
  sum(cost) AS cost,
  0.0 AS tokens,
  sum(row_count) AS row_count
FROM (
  SELECT
    billing_period,
    subaccountid AS account_id,
    subaccountname AS account_name,
    CAST(chargeperiodstart AS DATE) AS day,
    {{cost_column}} AS cost,
    1 AS row_count
  FROM {{focus_table}}
  {{> detector_window}}
    AND {{#in_list "x_servicecode"}}{{> compute_codes}}{{/in_list}}
    AND {{> charges}}
    AND subaccountid IS NOT NULL
    AND {{cost_column}} IS NOT NULL AND NOT {{is_nan cost_column}}
  UNION ALL
  SELECT billing_period, account_id, NULL, day, -cost, -1
  FROM window_charges
  WHERE window_charge AND bedrock AND x_servicecode IN ({{> compute_codes}})
) AS compute_rows
GROUP BY billing_period, account_id, day
HAVING sum(row_count) > 0
{{/unless}}
