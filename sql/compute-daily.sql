-- Compute spend per account and day (EC2, Lambda, ECS/Fargate, SageMaker): AI spend climbing while
-- compute stays flat is the fingerprint of an agent loop rather than organic growth (SPEC §4).
-- Parameters: focus_table, cost_column, periods, window_start..window_end.
SELECT
  subaccountid AS account_id,
  CAST(chargeperiodstart AS DATE) AS day,
  sum({{cost_column}}) AS cost
FROM {{focus_table}}
WHERE billing_period IN ({{string_list periods}})
  AND CAST(chargeperiodstart AS DATE) BETWEEN {{date window_start}} AND {{date window_end}}
  AND x_servicecode IN ('AmazonEC2', 'AWSLambda', 'AmazonECS', 'AmazonSageMaker')
  AND {{> charges}}
  AND subaccountid IS NOT NULL
  AND {{cost_column}} IS NOT NULL
  AND NOT {{is_nan cost_column}}
GROUP BY subaccountid, CAST(chargeperiodstart AS DATE)
