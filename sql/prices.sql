-- Unit prices from the bill for the hourly watch (docs/watch.md "Prices"): what the organization actually
-- pays per token, read from the run's staging table (staging.sql with detail, kind 'inference'), so the
-- watch can price Bedrock's usage metrics hours before the bill arrives. One relation, four levels:
--   'account'      cost and tokens per account, model key and token class,
--   'organization' the same per model key over every account,
--   'resource'     per account, the model key the bill shows for each model or inference-profile ARN
--                  (`resourceid`): how a CloudWatch ModelId, an application profile's included, maps
--                  back to a model key,
--   'region'       Bedrock inference cost per region: the regions the watch must read.
-- CloudWatch counts cache writes in one metric, so both write classes price together as cache_write.
-- Parameters: staging (the run's staging table, or staging.sql with detail as a sub-query),
-- price_start..price_end (the run's data window).
WITH priced AS (
  SELECT
    account_id,
    model,
    CASE WHEN token_class = 'cache_write_1h' THEN 'cache_write' ELSE token_class END AS token_class,
    resource_id,
    region_id,
    cost,
    tokens
  FROM {{staging}}
  WHERE kind = 'inference'
    AND day BETWEEN {{date price_start}} AND {{date price_end}}
    AND token_class IN ('input', 'output', 'cache_read', 'cache_write', 'cache_write_1h')
)

SELECT
  'account' AS level,
  account_id,
  model,
  token_class,
  CAST(NULL AS VARCHAR) AS subject,
  sum(cost) AS cost,
  sum(tokens) AS tokens
FROM priced
GROUP BY account_id, model, token_class

UNION ALL

SELECT
  'organization' AS level,
  CAST(NULL AS VARCHAR) AS account_id,
  model,
  token_class,
  CAST(NULL AS VARCHAR) AS subject,
  sum(cost) AS cost,
  sum(tokens) AS tokens
FROM priced
GROUP BY model, token_class

UNION ALL

SELECT
  'resource' AS level,
  account_id,
  model,
  CAST(NULL AS VARCHAR) AS token_class,
  resource_id AS subject,
  sum(cost) AS cost,
  sum(tokens) AS tokens
FROM priced
WHERE resource_id LIKE 'arn:aws:bedrock:%'
GROUP BY account_id, model, resource_id

UNION ALL

SELECT
  'region' AS level,
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS VARCHAR) AS model,
  CAST(NULL AS VARCHAR) AS token_class,
  region_id AS subject,
  sum(cost) AS cost,
  sum(tokens) AS tokens
FROM priced
WHERE region_id IS NOT NULL
GROUP BY region_id
