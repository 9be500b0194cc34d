-- Compute spend per account and day (EC2, Lambda, ECS/Fargate, SageMaker): AI spend climbing while
-- compute stays flat is the fingerprint of an agent loop rather than organic growth (docs/detection.md "Runaway inference").
-- The compute rows of staging (staging.sql, kind 'compute').
-- Parameters: staging (the run's staging table, or staging.sql as a sub-query).
SELECT
  account_id,
  day,
  sum(cost) AS cost
FROM {{staging}}
WHERE kind = 'compute'
GROUP BY account_id, day
