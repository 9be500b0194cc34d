/** Domain types shared by every layer. Field names follow docs/findings.md (snake_case on the wire). */

export type IsoDate = string; // YYYY-MM-DD (UTC calendar day)

/**
 * The detectors (docs/architecture.md "Detectors"): each is a module of functions/core/detect/registry.ts,
 * the only place that knows which exist and what each does. Ids appear here as a type only.
 */
export type DetectorId = 'runaway-inference' | 'cache-miss' | 'budget' | 'runaway-watch';

/** The detectors over the bill (each a statement over the run's staging table). */
export type BillDetectorId = Exclude<DetectorId, 'runaway-watch'>;

/**
 * Where a finding comes from (docs/findings.md `source`): the cost export, or Bedrock's hourly usage
 * metrics (the watch, docs/watch.md), whose figures are estimates the bill confirms later.
 */
export type FindingSource = 'bill' | 'metrics';

export type FindingKind =
  | 'runaway'
  | 'new-spender'
  | 'cache-regression'
  | 'cache-absent'
  | 'month-over-month'
  | 'daily-cap'
  | 'workflow-cap'
  | 'context-growth';
export type Severity = 'medium' | 'high' | 'critical';

export interface BreakdownEntry {
  key: string;
  recent_cost_usd: number;
  baseline_cost_usd: number;
  recent_tokens: number;
}

export interface Breakdown {
  token_classes: BreakdownEntry[];
  usage_types: BreakdownEntry[];
  resources: BreakdownEntry[];
  regions: BreakdownEntry[];
  tags: BreakdownEntry[];
}

export interface SeriesPoint {
  date: IsoDate;
  cost_usd: number;
  hit_ratio: number | null;
}

/** What a case is about: the key a detection run records a live case's days under (docs/emails.md). */
export interface CaseSubject {
  case_key: string;
  detector: DetectorId;
  account_id: string;
  /** cache-miss only; null on runaway. */
  model: string | null;
}

/**
 * One evaluated day of a case's subject as the context statement read it (docs/emails.md "The episode"):
 * the account's Bedrock cost (cache-miss: the account × model's prompt-token cost), its hit ratio and
 * the prompt and cache-read tokens the day's avoidable cost is computed from.
 */
export interface DailyFigures {
  date: IsoDate;
  cost_usd: number;
  hit_ratio: number | null;
  prompt_tokens: number;
  cache_read_tokens: number;
}

/** The daily figures a run read for one case, through its detector's newest evaluated as-of day. */
export interface CaseDays {
  case_key: string;
  days: DailyFigures[];
}

/**
 * What every finding carries, whatever its detector (docs/findings.md): ids, windows, the account,
 * severity, the money figures every detector states in the same words, tokens, context.
 */
export interface FindingEnvelope {
  finding_id: string;
  case_key: string;
  detector: DetectorId;
  /** `bill` (the cost export) or `metrics` (the hourly watch: an estimate). Case files from before it read as `bill`. */
  source: FindingSource;
  kind: FindingKind;
  as_of: IsoDate;
  /** Days; the watch's are whole-hour ISO times (`2026-11-27T18:00:00Z`), both hours included. */
  recent_start: IsoDate;
  recent_end: IsoDate;
  baseline_start: IsoDate;
  baseline_end: IsoDate;
  account_id: string;
  account_name: string;
  /** The model key a per-model detector is about (null for account-level detectors). */
  model: string | null;
  severity: Severity;
  recent_avg_daily_usd: number;
  baseline_avg_daily_usd: number;
  excess_daily_usd: number;
  projected_30d_excess_usd: number;
  diagnosis: string;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  compute_recent_avg_daily_usd: number;
  compute_baseline_avg_daily_usd: number;
  /**
   * The account's month: last month's Bedrock charges, this month's to date, and the month-end
   * forecast (month to date + the 7-day run rate × the days left), every Bedrock charge counted
   * (docs/detection.md "Budget"). Null where the run's data does not cover last month whole.
   */
  last_month_usd: number | null;
  mtd_usd: number | null;
  forecast_month_usd: number | null;
  series: SeriesPoint[];
  breakdown: Breakdown;
  data_through: IsoDate;
  run_id: string;
}

/** runaway-inference's own figures (docs/detection.md "Runaway inference"). */
export interface RunawayFinding extends FindingEnvelope {
  detector: 'runaway-inference';
  kind: 'runaway' | 'new-spender';
  model: null;
  baseline_stddev_usd: number;
  spike_ratio: number | null;
  sigma: number | null;
  started_on: IsoDate;
}

/** cache-miss's own figures (docs/detection.md "Cache miss"). */
export interface CacheMissFinding extends FindingEnvelope {
  detector: 'cache-miss';
  kind: 'cache-regression' | 'cache-absent';
  model: string;
  cache_hit_ratio: number;
  baseline_cache_hit_ratio: number | null;
  uncached_input_cost_usd: number;
  avoidable_cost_usd: number;
}

/** budget's own figures (docs/detection.md "Budget"): which rule, what it is about, the cap. */
export interface BudgetFinding extends FindingEnvelope {
  detector: 'budget';
  kind: 'month-over-month' | 'daily-cap' | 'workflow-cap';
  model: null;
  /** workflow-cap: the tag value (`name=value`) or inference profile ARN; null for the account rules. */
  subject: string | null;
  /** daily-cap: $/day; workflow-cap: uncached input tokens per day; null for month-over-month. */
  cap_usd: number | null;
  /** The highest day over the cap in the recent window, and its cost (workflow-cap: its uncached input tokens). */
  cap_day: IsoDate | null;
  cap_day_value: number | null;
  /** Of the figure, what is not token inference (Provisioned Throughput, AgentCore, …), over the recent window. */
  other_charges_usd: number;
}

/** One hour of a watch finding's series: the estimated cost and the expected cost (null: not read, or no history). */
export interface HourlyPoint {
  hour: string;
  cost_usd: number | null;
  expected_usd: number | null;
}

/**
 * runaway-watch's own figures (docs/watch.md "What the rule returns"): every dollar figure is an
 * estimate from Bedrock's usage metrics, priced at `price_basis`.
 */
export interface RunawayWatchFinding extends FindingEnvelope {
  detector: 'runaway-watch';
  source: 'metrics';
  kind: 'runaway' | 'new-spender' | 'context-growth';
  model: null;
  /** The first hour of the as-of day that fired, and the newest hour of that day that was judged. */
  first_hour: string;
  observed_through: string;
  recent_avg_hourly_usd: number;
  /** The usual hour (median of the baseline days' mean hour); null with no history at all. */
  baseline_hourly_usd: number | null;
  /** The expected hours of the recent window (hour of day and weekday), averaged. */
  expected_hourly_usd: number | null;
  excess_hourly_usd: number;
  spike_ratio: number | null;
  /** Hours of the as-of day that fired. */
  hours_fired: number;
  /** The last 48 hours through the newest firing hour. */
  hourly_series: HourlyPoint[];
  /** The least specific prices any of the recent window's cost was priced at. */
  price_basis: 'account' | 'organization' | 'list' | null;
  /** context-growth: prompt tokens per invocation (recent, and their median for the hour), invocations ÷ expected. */
  prompt_tokens_per_invocation: number | null;
  baseline_prompt_tokens_per_invocation: number | null;
  invocation_ratio: number | null;
}

/** One (detector, account, model, as-of day) that fired: the envelope plus its detector's figures. */
export type Finding = RunawayFinding | CacheMissFinding | BudgetFinding | RunawayWatchFinding;

/**
 * A finding as its line in findings/ and the findings table hold it (docs/findings.md): every
 * detector's fields, null where they do not apply.
 */
export interface FindingRecord extends FindingEnvelope {
  baseline_stddev_usd: number | null;
  spike_ratio: number | null;
  sigma: number | null;
  started_on: IsoDate | null;
  cache_hit_ratio: number | null;
  baseline_cache_hit_ratio: number | null;
  uncached_input_cost_usd: number | null;
  avoidable_cost_usd: number | null;
  subject: string | null;
  cap_usd: number | null;
  cap_day: IsoDate | null;
  cap_day_value: number | null;
  other_charges_usd: number | null;
  first_hour: string | null;
  observed_through: string | null;
  recent_avg_hourly_usd: number | null;
  baseline_hourly_usd: number | null;
  expected_hourly_usd: number | null;
  excess_hourly_usd: number | null;
  hours_fired: number | null;
  hourly_series: HourlyPoint[] | null;
  price_basis: string | null;
  prompt_tokens_per_invocation: number | null;
  baseline_prompt_tokens_per_invocation: number | null;
  invocation_ratio: number | null;
}

/** What a run record records: a command, or (`ack`) a function whose configuration was refused. */
export type RunCommand = 'run' | 'detect' | 'scheduled-detect' | 'follow-up' | 'ack' | 'watch';
export type RunOutcome = 'succeeded' | 'stale' | 'failed';
