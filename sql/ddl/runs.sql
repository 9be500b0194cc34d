-- Athena table over the run records (docs/storage.md): one JSON object per file, runs/<run_id>.json.
-- Parameters: database, location (s3://bucket/prefix, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`runs` (
  `run_id` string,
  `command` string,
  `dry_run` boolean,
  `started_at` string,
  `finished_at` string,
  `duration_ms` bigint,
  `engine` string,
  `detectors` array<string>,
  `as_of_days` array<string>,
  `evaluated_days` array<string>,
  `evaluated_by_detector` map<string,array<string>>,
  `stale_days` array<string>,
  `skipped_days` array<struct<`detector`:string,`as_of`:string,`reason`:string>>,
  `catch_up_skipped_days` array<string>,
  `data_through` string,
  `first_covered_day` string,
  `bytes_scanned` bigint,
  `query_ids` array<string>,
  `statements` bigint,
  `rows` bigint,
  `counts` map<string,bigint>,
  `recurring_candidates` array<struct<`detector`:string,`account_id`:string,`account_name`:string,`as_of`:string,`recent_avg_daily_usd`:double,`month_earlier_avg_daily_usd`:double>>,
  `unroutable_cases` array<string>,
  `warnings` array<string>,
  `outcome` string,
  `error` string,
  `watch` struct<`source`:string,`evaluated_hours`:array<string>,`skipped_hours`:bigint,`judged_hours`:bigint,`accounts`:bigint,`unknown_hours`:bigint,`unpriced_model_ids`:array<string>,`prices_computed_at`:string,`prices_run_id`:string,`stored_days_read`:bigint,`days_fetched`:array<string>,`screen_flagged_accounts`:bigint,`requests`:bigint,`metrics_requested`:bigint>
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION '{{location}}/runs/'
