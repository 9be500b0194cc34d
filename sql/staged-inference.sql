-- The inference rows of staging (staging.sql, kind 'inference'): cost and tokens per account, model,
-- token class and day, the relation both detectors and the context read (docs/detection.md "Input" "one staging
-- source"). Re-grouped without staging's coverage keys (billing period, delivery folder).
-- Parameters: staging (the run's staging table, or staging.sql as a sub-query), tag_keys, detail.
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
  sum(tokens) AS tokens
FROM {{staging}}
WHERE kind = 'inference'
GROUP BY
  account_id, model, token_class, day,
  {{#if detail}}
  usage_type, resource_id, region_id,
  {{#each tag_keys}}
  tag_{{@index}},
  {{/each}}
  {{/if}}
  unknown_unit
