/**
 * From detector rows and their context to finding records (docs/findings.md): derived numbers, severity,
 * `started_on`, the diagnosis sentence, deterministic ids. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { SentinelConfig } from '../config.js';
import { addDays, dayRange } from '../dates.js';
import { money } from '../format.js';
import type {
  Breakdown,
  BreakdownEntry,
  DailyFigures,
  DetectorId,
  Finding,
  FindingKind,
  IsoDate,
  SeriesPoint,
  Severity,
} from '../types.js';

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

export interface RunawayNumbers {
  spike_ratio: number | null;
  sigma: number | null;
  excess_daily_usd: number;
  projected_30d_excess_usd: number;
}

export function runawayNumbers(
  kind: FindingKind,
  recentAvg: number,
  baselineAvg: number,
  baselineStddev: number,
): RunawayNumbers {
  const excess = recentAvg - baselineAvg;
  return {
    spike_ratio: kind === 'new-spender' || baselineAvg <= 0 ? null : recentAvg / baselineAvg,
    sigma: baselineStddev > 0 ? excess / baselineStddev : null,
    excess_daily_usd: excess,
    projected_30d_excess_usd: 30 * excess,
  };
}

/**
 * The first day the spend left the baseline band: take L, the latest day of the recent window above
 * the band (baseline + k·σ, or baseline + $1.00 where σ is 0), and go back while each day stays
 * above it, never before the series start (D−29).
 */
export function startedOn(
  series: SeriesPoint[],
  recentStart: IsoDate,
  band: { baselineAvg: number; baselineStddev: number; k: number },
): IsoDate | null {
  const threshold =
    band.baselineStddev > 0 ? band.baselineAvg + band.k * band.baselineStddev : band.baselineAvg + 1.0;
  let latest = -1;
  for (let i = series.length - 1; i >= 0; i--) {
    const point = series[i]!;
    if (point.date < recentStart) break;
    if (point.cost_usd > threshold) {
      latest = i;
      break;
    }
  }
  if (latest < 0) return null;
  let first = latest;
  while (first > 0 && series[first - 1]!.cost_usd > threshold) first -= 1;
  return series[first]!.date;
}

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

const times = (ratio: number): string => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;

const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

interface ClassDaily {
  recent: number;
  baseline: number;
}

function classDaily(breakdown: Breakdown, recentDays: number, baselineDays: number): Map<string, ClassDaily> {
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

const growth = (c: ClassDaily | undefined): string => {
  if (!c || c.recent <= 0) return 'stayed at zero';
  if (c.baseline <= 0) return `rose from nothing to ${money(c.recent)}/day`;
  return `rose ${times(c.recent / c.baseline)}`;
};

function topKey(entries: BreakdownEntry[]): string | null {
  const first = entries[0];
  return first && first.recent_cost_usd > 0 ? first.key : null;
}

/** The tag to name: one new in the recent window (no baseline cost) before one that also covered the baseline. */
export function topTagKey(tags: BreakdownEntry[]): string | null {
  const fresh = tags.find((e) => e.baseline_cost_usd === 0 && e.recent_cost_usd > 0);
  return fresh ? fresh.key : topKey(tags);
}

function driverNotes(breakdown: Breakdown): string[] {
  const notes: string[] = [];
  const tag = topTagKey(breakdown.tags);
  if (tag) notes.push(`most of it carries ${tag}`);
  const resource = topKey(breakdown.resources);
  if (resource && resource !== '(no resource id)') notes.push(`top resource ${resource}`);
  return notes;
}

/** A sentence from the breakdown saying what the rise looks like (docs/detection.md "Runaway inference", docs/findings.md). */
export function runawayDiagnosis(input: {
  kind: FindingKind;
  breakdown: Breakdown;
  recentDays: number;
  baselineDays: number;
  computeRecentDaily: number;
  computeBaselineDaily: number;
}): string {
  const { breakdown, recentDays, baselineDays } = input;
  const classes = classDaily(breakdown, recentDays, baselineDays);
  const increase = (k: string) => {
    const c = classes.get(k);
    return c ? c.recent - c.baseline : 0;
  };
  const output = increase('output');
  const uncached = increase('input');
  const cached = increase('cache_read') + increase('cache_write');
  // Growth of a class relative to another: a class that grew from nothing counts as far ahead.
  const ratioOf = (k: string) => {
    const c = classes.get(k);
    if (!c || c.recent <= 0) return 0;
    return c.baseline > 0 ? c.recent / c.baseline : Number.POSITIVE_INFINITY;
  };
  const outpaces = (a: string, b: string) => ratioOf(a) >= 2 * ratioOf(b);
  const parts: string[] = [];
  const baselineTotal = [...classes.values()].reduce((sum, c) => sum + c.baseline, 0);
  if (baselineTotal <= 0) {
    const top = [...classes.entries()].sort((a, b) => b[1].recent - a[1].recent)[0];
    parts.push(
      top
        ? `no inference spend in the baseline; now ${money(top[1].recent)}/day is ${top[0].replace('_', '-')} tokens`
        : 'no inference spend in the baseline',
    );
  } else if (output > 0 && output >= uncached && output >= cached && outpaces('output', 'input')) {
    parts.push(
      `output tokens ${growth(classes.get('output'))} while input ${growth(classes.get('input'))}: a generation loop (an agent or retry loop producing output)`,
    );
  } else if (uncached > 0 && uncached >= cached && outpaces('input', 'output')) {
    parts.push(
      `uncached input tokens ${growth(classes.get('input'))} while output ${growth(classes.get('output'))}: growing context or a prompt-cache miss`,
    );
  } else if (cached > 0 && cached >= uncached && cached >= output && outpaces('cache_read', 'output')) {
    parts.push(
      `cached prompt tokens ${growth(classes.get('cache_read'))} while output ${growth(classes.get('output'))}: calls reusing a growing cached prefix`,
    );
  } else if (output > 0 || uncached > 0 || cached > 0) {
    parts.push(
      `input ${growth(classes.get('input'))} and output ${growth(classes.get('output'))} together: more calls of the same shape (a loop, a retry storm or new traffic)`,
    );
  } else {
    parts.push('spend rose outside the token classes (other usage types)');
  }
  const computeFlat =
    input.computeBaselineDaily > 0
      ? input.computeRecentDaily <= input.computeBaselineDaily * 1.2
      : input.computeRecentDaily <= 1;
  if (computeFlat) {
    parts.push(
      `compute spend stayed flat (${money(input.computeRecentDaily)}/day vs ${money(input.computeBaselineDaily)}/day), the fingerprint of an agent loop rather than organic growth`,
    );
  } else {
    parts.push(
      `compute spend also rose (${money(input.computeRecentDaily)}/day vs ${money(input.computeBaselineDaily)}/day), which suggests organic growth or a new workload`,
    );
  }
  const notes = driverNotes(breakdown);
  const lead = input.kind === 'new-spender' ? 'New Bedrock inference spender: ' : '';
  return `${lead}${parts.join('; ')}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
}

export function cacheDiagnosis(input: {
  kind: FindingKind;
  hitRatio: number;
  baselineHitRatio: number | null;
  breakdown: Breakdown;
}): string {
  const notes = driverNotes(input.breakdown);
  const where = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (input.kind === 'cache-regression') {
    return `Prompt-cache hit ratio fell from ${percent(input.baselineHitRatio ?? 0)} to ${percent(input.hitRatio)}: prompts are billed as uncached input — check that cache markers still reach Bedrock (a proxy or SDK change) and that the prompt prefix is stable${where}.`;
  }
  return `Large uncached input on a model that supports prompt caching, with a hit ratio of ${percent(input.hitRatio)}: caching a stable prompt prefix would bill most of it at the cache-read price${where}.`;
}

/**
 * docs/findings.md: numbers are rounded once, in core, right after the SQL — money to 1e-6 USD, ratios to
 * 6 decimals, tokens to integers — and everything derived (severity, diagnosis, started_on) is
 * computed from the rounded values, so the last digits of a float sum never reach a finding.
 */
export const roundUsd = (v: number): number => Math.round(v * 1e6) / 1e6 + 0;
export const roundRatio = roundUsd;
export const roundTokens = (v: number): number => Math.round(v) + 0;
const roundOrNull = (v: number | null): number | null => (v === null ? null : roundRatio(v));

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

export function roundRunawayNumbers(n: RunawayNumbers): RunawayNumbers {
  return {
    spike_ratio: roundOrNull(n.spike_ratio),
    sigma: roundOrNull(n.sigma),
    excess_daily_usd: roundUsd(n.excess_daily_usd),
    projected_30d_excess_usd: roundUsd(n.projected_30d_excess_usd),
  };
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

export type { Finding };

/** docs/findings.md field order: the findings files, `--json` and the Athena table's columns read alike. */
export const FINDING_FIELDS = [
  'finding_id',
  'case_key',
  'detector',
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
  'series',
  'breakdown',
  'data_through',
  'run_id',
] as const satisfies readonly (keyof Finding)[];

/** One JSON line per finding, fields in docs/findings.md order. */
export function findingLine(finding: Finding): string {
  const ordered: Record<string, unknown> = {};
  for (const field of FINDING_FIELDS) ordered[field] = finding[field];
  return JSON.stringify(ordered);
}
