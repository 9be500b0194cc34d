/**
 * From detector rows and their context to finding records (docs/findings.md): derived numbers, severity,
 * `started_on`, the diagnosis sentence, deterministic ids. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { SentinelConfig } from '../config.js';
import { addDays, dayRange } from '../dates.js';
import type {
  Breakdown,
  BreakdownEntry,
  DailyFigures,
  DetectorId,
  Finding,
  FindingEnvelope,
  FindingRecord,
  IsoDate,
  SeriesPoint,
  Severity,
} from '../types.js';
import type { DetectorModule, DetectorRow, FindingContext, RunFacts } from './detector.js';
import { type AsOfWindows, asOfWindows } from './windows.js';

/** A finding's daily series: the last 30 days ending at its as-of day. */
export const SERIES_DAYS = 30;

const hash = (...parts: (string | null)[]): string =>
  createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\u001f'))
    .digest('hex')
    .slice(0, 24);

/** Stable across reruns: detector, account, model, as-of day. */
export const findingId = (
  detector: DetectorId,
  accountId: string,
  model: string | null,
  asOf: IsoDate,
): string => hash('finding', detector, accountId, model, asOf);

/** What a case is about: detector, account, model. */
export const caseKey = (detector: DetectorId, accountId: string, model: string | null): string =>
  hash('case', detector, accountId, model);

export function severityOf(projected30dExcessUsd: number, config: SentinelConfig): Severity {
  if (projected30dExcessUsd >= config.severity.critical_usd) return 'critical';
  if (projected30dExcessUsd >= config.severity.high_usd) return 'high';
  return 'medium';
}

/** The severity of a money figure by the thresholds an episode is told with (docs/emails.md "The episode"). */
export const severityOn = (usd: number, thresholds: { criticalUsd: number; highUsd: number }): Severity =>
  usd >= thresholds.criticalUsd ? 'critical' : usd >= thresholds.highUsd ? 'high' : 'medium';

/** The last 30 days ending at the as-of day, zero-filled from the export's first covered day. */
export function denseSeries(
  asOf: IsoDate,
  days: number,
  firstCoveredDay: IsoDate | null,
  points: Map<IsoDate, { cost: number; promptTokens: number; cacheReadTokens: number }>,
  withHitRatio: boolean,
): SeriesPoint[] {
  const start = addDays(asOf, -(days - 1));
  return dayRange(firstCoveredDay && firstCoveredDay > start ? firstCoveredDay : start, asOf).map((date) => {
    const p = points.get(date);
    return {
      date,
      cost_usd: p?.cost ?? 0,
      hit_ratio: withHitRatio && p && p.promptTokens > 0 ? p.cacheReadTokens / p.promptTokens : null,
    };
  });
}

/**
 * A case's daily figures over the same days as `denseSeries`, with the prompt and cache-read
 * tokens the case step prices each day's avoidable cost from (docs/emails.md "The episode"); rounded here.
 */
export function dailyFigures(
  asOf: IsoDate,
  days: number,
  firstCoveredDay: IsoDate | null,
  points: Map<IsoDate, { cost: number; promptTokens: number; cacheReadTokens: number }>,
  withHitRatio: boolean,
): DailyFigures[] {
  return denseSeries(asOf, days, firstCoveredDay, points, withHitRatio).map((p) => ({
    date: p.date,
    cost_usd: roundUsd(p.cost_usd),
    hit_ratio: p.hit_ratio === null ? null : roundRatio(p.hit_ratio),
    prompt_tokens: roundTokens(points.get(p.date)?.promptTokens ?? 0),
    cache_read_tokens: roundTokens(points.get(p.date)?.cacheReadTokens ?? 0),
  }));
}

export const times = (ratio: number): string => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;

export const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

interface ClassDaily {
  recent: number;
  baseline: number;
}

export function classDaily(
  breakdown: Breakdown,
  recentDays: number,
  baselineDays: number,
): Map<string, ClassDaily> {
  const byClass = new Map<string, ClassDaily>();
  for (const entry of breakdown.token_classes) {
    const key = entry.key.startsWith('cache_write') ? 'cache_write' : entry.key;
    const current = byClass.get(key) ?? { recent: 0, baseline: 0 };
    current.recent += entry.recent_cost_usd / recentDays;
    current.baseline += baselineDays > 0 ? entry.baseline_cost_usd / baselineDays : 0;
    byClass.set(key, current);
  }
  return byClass;
}

function topKey(entries: BreakdownEntry[]): string | null {
  const first = entries[0];
  return first && first.recent_cost_usd > 0 ? first.key : null;
}

/** The tag to name: one new in the recent window (no baseline cost) before one that also covered the baseline. */
export function topTagKey(tags: BreakdownEntry[]): string | null {
  const fresh = tags.find((e) => e.baseline_cost_usd === 0 && e.recent_cost_usd > 0);
  return fresh ? fresh.key : topKey(tags);
}

export function driverNotes(breakdown: Breakdown): string[] {
  const notes: string[] = [];
  const tag = topTagKey(breakdown.tags);
  if (tag) notes.push(`most of it carries ${tag}`);
  const resource = topKey(breakdown.resources);
  if (resource && resource !== '(no resource id)') notes.push(`top resource ${resource}`);
  return notes;
}

/**
 * docs/findings.md: numbers are rounded once, in core, right after the SQL — money to 1e-6 USD, ratios to
 * 6 decimals, tokens to integers — and everything derived (severity, diagnosis, started_on) is
 * computed from the rounded values, so the last digits of a float sum never reach a finding.
 */
export const roundUsd = (v: number): number => Math.round(v * 1e6) / 1e6 + 0;
export const roundRatio = roundUsd;
export const roundTokens = (v: number): number => Math.round(v) + 0;
export const roundOrNull = (v: number | null): number | null => (v === null ? null : roundRatio(v));

export function roundBreakdown(b: Breakdown): Breakdown {
  const entries = (list: BreakdownEntry[]) =>
    list.map((e) => ({
      key: e.key,
      recent_cost_usd: roundUsd(e.recent_cost_usd),
      baseline_cost_usd: roundUsd(e.baseline_cost_usd),
      recent_tokens: roundTokens(e.recent_tokens),
    }));
  return {
    token_classes: entries(b.token_classes),
    usage_types: entries(b.usage_types),
    resources: entries(b.resources),
    regions: entries(b.regions),
    tags: entries(b.tags),
  };
}

export function roundSeries(series: SeriesPoint[]): SeriesPoint[] {
  return series.map((p) => ({
    date: p.date,
    cost_usd: roundUsd(p.cost_usd),
    hit_ratio: roundOrNull(p.hit_ratio),
  }));
}

export function emptyBreakdown(): Breakdown {
  return { token_classes: [], usage_types: [], resources: [], regions: [], tags: [] };
}

/** Token sums of the recent window from the token-class breakdown. */
export function tokenSums(breakdown: Breakdown) {
  const sum = (pred: (k: string) => boolean) =>
    breakdown.token_classes.filter((e) => pred(e.key)).reduce((s, e) => s + e.recent_tokens, 0);
  return {
    input_tokens: sum((k) => k === 'input'),
    cache_read_tokens: sum((k) => k === 'cache_read'),
    cache_write_tokens: sum((k) => k.startsWith('cache_write')),
    output_tokens: sum((k) => k === 'output'),
  };
}

/** A finding's windows: its detector's own calendar where it has one, else its day counts. */
export function findingWindows(
  module: Pick<DetectorModule, 'windows' | 'asOfWindows'>,
  config: SentinelConfig,
  asOf: IsoDate,
  recentDays: number | null,
): AsOfWindows {
  return (
    module.asOfWindows?.(config, asOf, recentDays) ??
    asOfWindows(module.windows(config), asOf, recentDays ?? undefined)
  );
}

/**
 * The account's month as every finding states it (docs/detection.md "Budget"): last month, month to
 * date, and the month-end forecast = month to date + the 7-day run rate × the days left in the month.
 * Computed here once, from the context statement's sums; null where the run does not cover last month.
 */
export function monthFigures(month: FindingContext['month']): {
  last_month_usd: number | null;
  mtd_usd: number | null;
  forecast_month_usd: number | null;
} {
  if (!month) return { last_month_usd: null, mtd_usd: null, forecast_month_usd: null };
  const runRate = month.runRateSum / 7;
  return {
    last_month_usd: roundUsd(month.lastMonth),
    mtd_usd: roundUsd(month.mtd),
    forecast_month_usd: roundUsd(month.mtd + runRate * month.daysAfter),
  };
}

/**
 * The fields every finding of a detector shares, from its row and the run's context (docs/findings.md):
 * ids, windows, account, tokens, compute spend, series, breakdown, provenance. The detector's module
 * adds its own figures, severity and diagnosis.
 */
export function envelopeOf(
  module: Pick<DetectorModule, 'id' | 'windows' | 'asOfWindows' | 'seriesHitRatio'>,
  row: DetectorRow,
  context: FindingContext,
  config: SentinelConfig,
  run: RunFacts,
) {
  const recentDays = row.recent_days ?? module.windows(config).recentDays;
  const w = findingWindows(module, config, row.as_of, recentDays);
  const baselineDays = Math.max(1, row.baseline_days_covered);
  const breakdown = roundBreakdown(context.breakdown);
  const series = roundSeries(
    denseSeries(w.as_of, SERIES_DAYS, run.firstCoveredDay, context.series, module.seriesHitRatio),
  );
  const fields = {
    finding_id: findingId(module.id, row.account_id, row.key, w.as_of),
    case_key: caseKey(module.id, row.account_id, row.key),
    source: 'bill' as const,
    ...w,
    account_id: row.account_id,
    account_name: row.account_name,
    ...tokenSums(breakdown),
    compute_recent_avg_daily_usd: roundUsd(context.computeRecent / recentDays),
    compute_baseline_avg_daily_usd: roundUsd(context.computeBaseline / baselineDays),
    ...monthFigures(context.month),
    series,
    breakdown,
    data_through: run.dataThrough,
    run_id: run.runId,
  } satisfies Partial<FindingEnvelope>;
  return { fields, recentDays, baselineDays };
}

/** docs/findings.md field order: the findings files, `--json` and the Athena table's columns read alike. */
export const FINDING_FIELDS = [
  'finding_id',
  'case_key',
  'detector',
  'source',
  'kind',
  'as_of',
  'recent_start',
  'recent_end',
  'baseline_start',
  'baseline_end',
  'account_id',
  'account_name',
  'model',
  'severity',
  'recent_avg_daily_usd',
  'baseline_avg_daily_usd',
  'baseline_stddev_usd',
  'spike_ratio',
  'sigma',
  'excess_daily_usd',
  'projected_30d_excess_usd',
  'started_on',
  'diagnosis',
  'cache_hit_ratio',
  'baseline_cache_hit_ratio',
  'uncached_input_cost_usd',
  'avoidable_cost_usd',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'compute_recent_avg_daily_usd',
  'compute_baseline_avg_daily_usd',
  'last_month_usd',
  'mtd_usd',
  'forecast_month_usd',
  'subject',
  'cap_usd',
  'cap_day',
  'cap_day_value',
  'other_charges_usd',
  'first_hour',
  'observed_through',
  'recent_avg_hourly_usd',
  'baseline_hourly_usd',
  'expected_hourly_usd',
  'excess_hourly_usd',
  'hours_fired',
  'price_basis',
  'prompt_tokens_per_invocation',
  'baseline_prompt_tokens_per_invocation',
  'invocation_ratio',
  'hourly_series',
  'series',
  'breakdown',
  'data_through',
  'run_id',
] as const satisfies readonly (keyof FindingRecord)[];

/** A finding as a record: every field in docs/findings.md order, a field of another detector null. */
export function recordOf(finding: Finding): FindingRecord {
  const ordered: Record<string, unknown> = {};
  const values = finding as unknown as Record<string, unknown>;
  for (const field of FINDING_FIELDS) ordered[field] = values[field] ?? null;
  // A finding stored before `source` existed is the bill's.
  ordered.source ??= 'bill';
  return ordered as unknown as FindingRecord;
}

/** One JSON line per finding (docs/findings.md). */
export const findingLine = (finding: Finding): string => JSON.stringify(recordOf(finding));
