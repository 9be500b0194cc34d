account_names AS (
  -- The bill's name of each account in the staged rows (the owners mapping may rename it later).
  SELECT account_id, max(account_name) AS account_name
  FROM {{staged}}
  GROUP BY account_id
),
