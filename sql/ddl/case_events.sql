-- Athena table over the append-only case history (docs/storage.md, docs/cases.md): one JSON object per file under
-- case-events/event_date=<date>/<event_id>.json. Partition projection on the event date.
-- Parameters: database, location (s3://bucket/prefix, no trailing slash).
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`case_events` (
  `event_id` string,
  `case_key` string,
  `epoch` int,
  `transition` string,
  `occurrence` int,
  `detail_type` string,
  `from_state` string,
  `to_state` string,
  `time` string,
  `detector` string,
  `kind` string,
  `account_id` string,
  `account_name` string,
  `model` string,
  `owner_email` string,
  `severity` string,
  `peak_severity` string,
  `peak_value` double,
  `peak_metric` string,
  `peak_day` string,
  `peak_as_of` string,
  `spike_from` string,
  `spike_to` string,
  `ongoing` boolean,
  `end_day` string,
  `rate_since_usd` double,
  `excess_so_far_usd` double,
  `latest_day` string,
  `latest_daily_usd` double,
  `mean_daily_usd` double,
  `projected_30d_excess_usd` double,
  `reopened_from` string,
  `contradicted` boolean,
  `as_of` string,
  `deadline` string,
  `resolved_on` string,
  `answer` string,
  `note` string,
  `kill_switch` struct<`mode`:string,`policy_id`:string,`engaged_at`:string,`explanation`:string,`released_by`:string,`reconciled`:boolean>
)
PARTITIONED BY (`event_date` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION '{{location}}/case-events/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.event_date.type' = 'date',
  'projection.event_date.format' = 'yyyy-MM-dd',
  'projection.event_date.range' = '2024-01-01,NOW',
  'projection.event_date.interval' = '1',
  'projection.event_date.interval.unit' = 'DAYS',
  'storage.location.template' = '{{location}}/case-events/event_date=${event_date}/'
)
