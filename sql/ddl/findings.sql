-- Athena table over the findings the service writes (docs/findings.md, docs/storage.md): one JSON object per line under
-- findings/detector=<id>/as_of=<date>/findings.jsonl. Partition projection: no crawler, no MSCK.
-- `detector` and `as_of` are partition keys, so they appear only under PARTITIONED BY.
-- Parameters: database, location (s3://bucket/prefix, no trailing slash), detectors (every detector id).
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`findings` (
  `finding_id` string,
  `case_key` string,
  `kind` string,
  `recent_start` string,
  `recent_end` string,
  `baseline_start` string,
  `baseline_end` string,
  `account_id` string,
  `account_name` string,
  `model` string,
  `severity` string,
  `recent_avg_daily_usd` double,
  `baseline_avg_daily_usd` double,
  `baseline_stddev_usd` double,
  `spike_ratio` double,
  `sigma` double,
  `excess_daily_usd` double,
  `projected_30d_excess_usd` double,
  `started_on` string,
  `diagnosis` string,
  `cache_hit_ratio` double,
  `baseline_cache_hit_ratio` double,
  `uncached_input_cost_usd` double,
  `avoidable_cost_usd` double,
  `input_tokens` double,
  `cache_read_tokens` double,
  `cache_write_tokens` double,
  `output_tokens` double,
  `compute_recent_avg_daily_usd` double,
  `compute_baseline_avg_daily_usd` double,
  `last_month_usd` double,
  `mtd_usd` double,
  `forecast_month_usd` double,
  `subject` string,
  `cap_usd` double,
  `cap_day` string,
  `cap_day_value` double,
  `other_charges_usd` double,
  `series` array<struct<`date`:string,`cost_usd`:double,`hit_ratio`:double>>,
  `breakdown` struct<
    `token_classes`:array<struct<`key`:string,`recent_cost_usd`:double,`baseline_cost_usd`:double,`recent_tokens`:double>>,
    `usage_types`:array<struct<`key`:string,`recent_cost_usd`:double,`baseline_cost_usd`:double,`recent_tokens`:double>>,
    `resources`:array<struct<`key`:string,`recent_cost_usd`:double,`baseline_cost_usd`:double,`recent_tokens`:double>>,
    `regions`:array<struct<`key`:string,`recent_cost_usd`:double,`baseline_cost_usd`:double,`recent_tokens`:double>>,
    `tags`:array<struct<`key`:string,`recent_cost_usd`:double,`baseline_cost_usd`:double,`recent_tokens`:double>>>,
  `data_through` string,
  `run_id` string
)
PARTITIONED BY (`detector` string, `as_of` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION '{{location}}/findings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.detector.type' = 'enum',
  'projection.detector.values' = '{{detectors}}',
  'projection.as_of.type' = 'date',
  'projection.as_of.format' = 'yyyy-MM-dd',
  'projection.as_of.range' = '2024-01-01,NOW',
  'projection.as_of.interval' = '1',
  'projection.as_of.interval.unit' = 'DAYS',
  'storage.location.template' = '{{location}}/findings/detector=${detector}/as_of=${as_of}/'
)
