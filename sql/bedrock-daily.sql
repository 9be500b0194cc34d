-- Every Bedrock charge per account and day (staging kinds 'inference' and 'bedrock'): what a budget
-- counts (docs/detection.md "Budget"), and the account's month every finding states; `other_cost` is
-- the part that is not token inference (Provisioned Throughput, AgentCore, model customization, …).
-- Parameters: staging (the run's staging table, or staging.sql as a sub-query).
SELECT
  account_id,
  max(account_name) AS account_name,
  day,
  sum(cost) AS cost,
  sum(CASE WHEN kind = 'bedrock' THEN cost ELSE 0.0 END) AS other_cost
FROM {{staging}}
WHERE kind IN ('inference', 'bedrock')
GROUP BY account_id, day
