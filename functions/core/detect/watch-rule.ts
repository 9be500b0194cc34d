/**
 * The hourly watch's rule (docs/watch.md "The rule"), over Bedrock's usage metrics priced with the
 * bill's own prices. Pure: metric rows, prices and parameters in; plain finding objects out.
 *
 * Per account, the estimated cost of every hour over all its model ids. An hour with no row is idle
 * (zero); an hour whose metrics could not be read is unknown and never counted as zero. For each
 * evaluated hour h:
 * - the usual hour (`baseline_hourly_usd`): the median, over the `baseline_days` days before h's day, of
 *   each day's mean hourly cost (days with at least 12 known hours) — a loop that ran on a few of those
 *   days does not move it;
 * - the expected hour (`expected_hourly_usd`), which respects hour-of-day and weekday patterns: the
 *   larger of a daily pattern (for the hour before, of and after h's hour of day, the median over the
 *   baseline days of the same kind — weekday or weekend — taking the largest of the three medians; with
 *   fewer than three such days, as for a young account, the busiest of those hours on any day) and
 *   a weekly pattern (the same weekday and hour, ±1 hour, one and two weeks back: the smaller of the two
 *   weeks, so it takes two weeks in a row to make a pattern);
 * - nothing is judged on a day with fewer than `min_baseline_hours` known hours in the baseline days
 *   before it (a fresh source or a long outage must not make every account a new spender);
 * - `runaway`: an account with a baseline (a usual hour of at least `min_baseline_hourly_usd`) whose last `recent_hours` hours each cost at least
 *   `min_hourly_increase_usd` and `min_increase_ratio` usual hours more than expected, and at least
 *   `min_slot_ratio` times the expected hour;
 * - `new-spender`: an account without a baseline whose last `recent_hours` hours each cost at least
 *   `new_spender_hourly_usd`;
 * - `context-growth`: prompt tokens (input, cache reads and cache writes) per invocation at least
 *   `context_growth_ratio` times their 14-day median for that hour (the expected hour above, applied to
 *   prompt tokens per invocation) in each of the last `context_growth_hours` hours, while those hours'
 *   invocations are less than `context_max_invocation_ratio` times the expected ones, on at least
 *   `context_min_hourly_usd` an hour.
 * Severity: runaway and new-spender on the projected 30-day excess, 24 × 30 × the hourly excess over the
 * expected hours of the recent window (the loop's own rate: it does not keep office hours);
 * context-growth is always medium.
 */
import { addHours, dayOfHour, HOUR_MS, hourIso, hourMs, type IsoHour } from '../hours.js';
import { HOURLY_METRICS, type HourlyUsage } from '../ports.js';
import type { IsoDate } from '../types.js';
import { type PriceBasis, type Pricing, weakestBasis } from './prices.js';

export type WatchKind = 'runaway' | 'new-spender' | 'context-growth';

export interface WatchRuleParams {
  baseline_days: number;
  recent_hours: number;
  min_hourly_increase_usd: number;
  min_increase_ratio: number;
  min_slot_ratio: number;
  min_baseline_hourly_usd: number;
  min_baseline_hours: number;
  new_spender_hourly_usd: number;
  context_growth_ratio: number;
  context_growth_hours: number;
  context_max_invocation_ratio: number;
  context_min_hourly_usd: number;
}

export interface SeverityThresholds {
  critical_usd: number;
  high_usd: number;
}

export interface WatchInput {
  rows: readonly HourlyUsage[];
  pricing: Pricing;
  /** The hours to judge: `from` inclusive, `to` exclusive (the watch: every whole hour since the last, at most 48). */
  evaluate: { from: IsoHour; to: IsoHour };
  /**
   * The first hour the rows cover: before it nothing is known. Default: the earliest hour of any row.
   * After it, an account's hour without a row is idle.
   */
  coveredFrom?: IsoHour;
  params: WatchRuleParams;
  severity: SeverityThresholds;
}

export interface HourlyPoint {
  hour: IsoHour;
  /** Estimated cost; null for an hour that could not be read. */
  cost_usd: number | null;
  /** What the account usually spends in that hour (hour of day and weekday); null when unknown. */
  expected_usd: number | null;
}

/** What a finding needs (docs/watch.md "What the rule returns"), one per account × kind × day of the firing hours. */
export interface WatchFinding {
  account_id: string;
  kind: WatchKind;
  /** The UTC day of the firing hours (the finding's `as_of`). */
  as_of: IsoDate;
  /** The first evaluated hour of that day that fired. */
  first_hour: IsoHour;
  /** The newest hour of that day that was evaluated. */
  observed_through: IsoHour;
  /** The recent window of the newest firing hour: first and last hour (both included). */
  recent_start: IsoHour;
  recent_end: IsoHour;
  recent_avg_hourly_usd: number;
  recent_avg_daily_usd: number;
  /** The usual hour; null for a new spender with no history at all. */
  baseline_hourly_usd: number | null;
  expected_hourly_usd: number | null;
  excess_hourly_usd: number;
  /** recent ÷ usual hour; null without a usual hour. */
  spike_ratio: number | null;
  projected_30d_excess_usd: number;
  severity: 'medium' | 'high' | 'critical';
  /** The last 48 hours through the newest firing hour. */
  hourly_series: HourlyPoint[];
  /** The least specific basis that priced any of the recent window's cost. */
  price_basis: PriceBasis | null;
  /** Hours of that day that fired. */
  hours_fired: number;
  /** Which hours of that day fired, oldest first. */
  fired_hours: IsoHour[];
  /** context-growth: prompt tokens per invocation, recent mean and baseline median, and the invocation ratio. */
  prompt_tokens_per_invocation: number | null;
  baseline_prompt_tokens_per_invocation: number | null;
  invocation_ratio: number | null;
}

export interface WatchResult {
  findings: WatchFinding[];
  /** Hours judged per account (the newest evaluated is each account's `observed_through`). */
  evaluatedHours: IsoHour[];
  accounts: number;
  /** Account-hours of the evaluated range that could not be read. */
  unknownHours: number;
  /** Model ids with tokens no price covers (their tokens are left out of the estimate). */
  unpricedModelIds: string[];
}

const SERIES_HOURS = 48;
const MIN_DAY_HOURS = 12;
const MIN_SLOT_SAMPLES = 3;

/** Per account, one array per measure over the hours `start` … `start + length − 1`. */
interface AccountSeries {
  cost: Float64Array;
  /** The hour could be read (an idle hour, without a row, is known: zero). */
  known: Uint8Array;
  /**
   * Known and not before the account's first row: the hours its patterns are read from. An account is
   * as old as its first metric, so a new account's first days are not judged against days it did not exist.
   */
  history: Uint8Array;
  /** Index of the account's first hour with a row. */
  first: number;
  prompt: Float64Array;
  /** NaN where invocations were not published. */
  invocations: Float64Array;
  /** The weakest price basis of each hour with cost. */
  basis: (PriceBasis | null)[];
}

interface Grid {
  start: number;
  length: number;
  /** 1 where the hour falls on a Saturday or Sunday (UTC). */
  weekend: Uint8Array;
  /** Index of the first covered hour. */
  covered: number;
}

const isWeekend = (ms: number) => {
  const d = new Date(ms).getUTCDay();
  return d === 0 || d === 6;
};

const scratch = new Float64Array(64);

/** The median of some numbers. It runs three times an hour per account: small lists sort in place, without allocating. */
function median(values: number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  let sorted: Float64Array;
  if (n <= scratch.length) {
    sorted = scratch;
    for (let k = 0; k < n; k++) {
      const v = values[k]!;
      let j = k - 1;
      while (j >= 0 && sorted[j]! > v) {
        sorted[j + 1] = sorted[j]!;
        j--;
      }
      sorted[j + 1] = v;
    }
  } else {
    sorted = Float64Array.from(values).sort();
  }
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** Prices the rows into per-account hourly series. */
export function accountSeries(
  rows: readonly HourlyUsage[],
  pricing: Pricing,
  grid: Grid,
): { series: Map<string, AccountSeries>; unpriced: Set<string> } {
  const series = new Map<string, AccountSeries>();
  const unpriced = new Set<string>();
  const get = (account: string) => {
    let s = series.get(account);
    if (!s) {
      s = {
        cost: new Float64Array(grid.length),
        known: new Uint8Array(grid.length),
        history: new Uint8Array(grid.length),
        first: grid.length,
        prompt: new Float64Array(grid.length),
        invocations: new Float64Array(grid.length).fill(Number.NaN),
        basis: new Array(grid.length).fill(null),
      };
      s.known.fill(1, grid.covered);
      series.set(account, s);
    }
    return s;
  };
  const unknown: [AccountSeries, number][] = [];
  const rowsAt = new Map<AccountSeries, Uint8Array>();
  for (const row of rows) {
    const i = Math.round((hourMs(row.hour) - grid.start) / HOUR_MS);
    if (!(i >= 0 && i < grid.length)) continue;
    const s = get(row.account_id);
    const rowHours = rowsAt.get(s) ?? new Uint8Array(grid.length);
    rowsAt.set(s, rowHours);
    if (HOURLY_METRICS.every((m) => row[m] === null)) {
      unknown.push([s, i]);
      continue;
    }
    const price = pricing.resolve(row.account_id, row.model_id);
    const bases: (PriceBasis | null)[] = [s.basis[i] ?? null];
    let cost = 0;
    for (const [tokens, cls] of [
      [row.input_tokens, 'input'],
      [row.output_tokens, 'output'],
      [row.cache_read_tokens, 'cache_read'],
      [row.cache_write_tokens, 'cache_write'],
    ] as const) {
      if (!tokens) continue;
      const perMillion = price.usd_per_million[cls];
      if (perMillion === null) {
        unpriced.add(row.model_id);
        continue;
      }
      cost += (tokens * perMillion) / 1e6;
      bases.push(price.basis[cls]);
    }
    s.cost[i] = (s.cost[i] ?? 0) + cost;
    s.known[i] = 1;
    rowHours[i] = 1;
    if (i < s.first) s.first = i;
    s.basis[i] = weakestBasis(bases);
    s.prompt[i] =
      (s.prompt[i] ?? 0) +
      (row.input_tokens ?? 0) +
      (row.cache_read_tokens ?? 0) +
      (row.cache_write_tokens ?? 0);
    if (row.invocations !== null) {
      const held = s.invocations[i]!;
      s.invocations[i] = (Number.isNaN(held) ? 0 : held) + row.invocations;
    }
  }
  // An hour one model id could not be read is unknown for the account, whatever the others say.
  for (const [s, i] of unknown) {
    s.known[i] = 0;
    s.cost[i] = 0;
  }
  for (const s of series.values()) {
    const rowHours = rowsAt.get(s);
    for (let j = 0; j < grid.length; j++) {
      s.history[j] = s.known[j] && j >= s.first ? 1 : 0;
      // An idle hour of the account's history had no invocations; a row without them is not an idle hour.
      if (s.history[j] && !rowHours?.[j]) s.invocations[j] = 0;
    }
  }
  return { series, unpriced };
}

/** The expected value of hour i of a series (docs/watch.md "The rule"), or null with no samples. */
function expectedAt(
  values: Float64Array,
  known: Uint8Array,
  i: number,
  grid: Grid,
  days: number,
): number | null {
  const weekend = grid.weekend[i];
  let daily: number | null = null;
  // With fewer than three days of the same kind (a young account), the busiest of the same hours on any day.
  let young: number | null = null;
  const samples: number[] = [];
  for (let offset = -1; offset <= 1; offset++) {
    samples.length = 0;
    for (let d = 1; d <= days; d++) {
      const j = i - 24 * d + offset;
      if (j < 0 || !known[j]) continue;
      if (young === null || values[j]! > young) young = values[j]!;
      if (grid.weekend[j] !== weekend) continue;
      samples.push(values[j]!);
    }
    if (samples.length >= MIN_SLOT_SAMPLES) {
      const m = median(samples);
      if (m !== null && (daily === null || m > daily)) daily = m;
    }
  }
  if (daily === null) daily = young;
  let weekly: number | null = null;
  if (days >= 14) {
    const weeks: number[] = [];
    for (let w = 1; w <= 2; w++) {
      let top: number | null = null;
      for (let offset = -1; offset <= 1; offset++) {
        const j = i - 168 * w + offset;
        if (j < 0 || !known[j]) continue;
        if (top === null || values[j]! > top) top = values[j]!;
      }
      if (top !== null) weeks.push(top);
    }
    if (weeks.length === 2) weekly = Math.min(weeks[0]!, weeks[1]!);
  }
  if (daily === null && weekly === null) return null;
  return Math.max(daily ?? 0, weekly ?? 0);
}

/** Usual hour of each day index (median of the previous `days` days' mean hours), and its known hours. */
function usualByDay(s: AccountSeries, grid: Grid, days: number) {
  const dayCount = Math.ceil(grid.length / 24);
  const means: (number | null)[] = [];
  const knownHours: number[] = [];
  for (let d = 0; d < dayCount; d++) {
    let sum = 0;
    let n = 0;
    let known = 0;
    for (let j = d * 24; j < Math.min(grid.length, d * 24 + 24); j++) {
      if (s.known[j]) known += 1;
      if (!s.history[j]) continue;
      sum += s.cost[j]!;
      n += 1;
    }
    means.push(n >= MIN_DAY_HOURS ? sum / n : null);
    knownHours.push(known);
  }
  const usual: (number | null)[] = [];
  const baselineHours: number[] = [];
  const pool: number[] = [];
  for (let d = 0; d < dayCount; d++) {
    pool.length = 0;
    let hours = 0;
    for (let k = Math.max(0, d - days); k < d; k++) {
      hours += knownHours[k]!;
      const m = means[k];
      if (m !== null && m !== undefined) pool.push(m);
    }
    usual.push(pool.length >= 3 ? median(pool) : null);
    baselineHours.push(hours);
  }
  return { usual, baselineHours };
}

interface Firing {
  kind: WatchKind;
  index: number;
  recentAvg: number;
  expectedAvg: number | null;
  usual: number | null;
  excess: number;
  ipi: number | null;
  baselineIpi: number | null;
  invocationRatio: number | null;
}

/** The rows priced into per-account hourly series over a grid of hours: what the rule judges. */
export interface PreparedWatch {
  grid: Grid;
  series: Map<string, AccountSeries>;
  unpriced: Set<string>;
  evaluate: { from: IsoHour; to: IsoHour };
  /** Index of the first evaluated hour. */
  firstEval: number;
  evaluatedHours: IsoHour[];
}

/** Days of history before the first evaluated hour the grid holds (baseline and the weekly pattern). */
const LOOKBACK_DAYS = 15;

/** Prices the rows once; `judgeWatch` can then judge them under several parameter sets (the benchmark's grid). */
export function prepareWatch(
  input: Omit<WatchInput, 'params' | 'severity'>,
  lookbackDays = LOOKBACK_DAYS,
): PreparedWatch {
  const from = hourMs(input.evaluate.from);
  const to = hourMs(input.evaluate.to);
  if (!(from < to)) throw new RangeError(`not an hour range: ${input.evaluate.from} .. ${input.evaluate.to}`);
  // The grid starts at midnight, `lookbackDays` before the first evaluated hour's day.
  const start = Math.floor(from / 86_400_000) * 86_400_000 - lookbackDays * 86_400_000;
  const length = Math.round((to - start) / HOUR_MS);
  let coveredMs = input.coveredFrom ? hourMs(input.coveredFrom) : Number.POSITIVE_INFINITY;
  if (!input.coveredFrom) for (const row of input.rows) coveredMs = Math.min(coveredMs, hourMs(row.hour));
  const covered = Math.max(0, Math.min(length, Math.ceil((coveredMs - start) / HOUR_MS)));
  const weekend = new Uint8Array(length);
  for (let i = 0; i < length; i++) weekend[i] = isWeekend(start + i * HOUR_MS) ? 1 : 0;
  const grid: Grid = { start, length, covered, weekend };
  const { series, unpriced } = accountSeries(input.rows, input.pricing, grid);
  const firstEval = Math.round((from - start) / HOUR_MS);
  const evaluatedHours: IsoHour[] = [];
  for (let i = firstEval; i < length; i++) evaluatedHours.push(hourIso(start + i * HOUR_MS));
  return { grid, series, unpriced, evaluate: input.evaluate, firstEval, evaluatedHours };
}

/** Judges every hour of `evaluate` for every account in the rows. */
export function evaluateWatch(input: WatchInput): WatchResult {
  return judgeWatch(
    prepareWatch(input, Math.max(LOOKBACK_DAYS, input.params.baseline_days + 1)),
    input.params,
    input.severity,
  );
}

export function judgeWatch(
  prepared: PreparedWatch,
  p: WatchRuleParams,
  severity: SeverityThresholds,
): WatchResult {
  const { grid, series, unpriced, firstEval } = prepared;
  const { length } = grid;
  const evaluatedHours = prepared.evaluatedHours;
  const findings: WatchFinding[] = [];
  let unknownHours = 0;

  for (const [account, s] of [...series.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let i = firstEval; i < length; i++) if (!s.known[i]) unknownHours += 1;
    const { usual, baselineHours } = usualByDay(s, grid, p.baseline_days);
    // NaN: not computed yet; -1: no samples.
    const expectedCost = new Float64Array(length).fill(Number.NaN);
    const expectedCostAt = (i: number): number | null => {
      if (Number.isNaN(expectedCost[i]!))
        expectedCost[i] = expectedAt(s.cost, s.history, i, grid, p.baseline_days) ?? -1;
      const e = expectedCost[i]!;
      return e < 0 ? null : e;
    };
    const context = contextBaseline(s, grid);
    const firings: Firing[] = [];
    for (let i = firstEval; i < length; i++) {
      const day = Math.floor(i / 24);
      const usualHour = usual[day] ?? null;
      // Too few known hours before this day (a fresh source, an outage): neither kind is judged, so a new
      // source never makes every account a new spender.
      const judged = baselineHours[day]! >= p.min_baseline_hours;
      const hasBaseline = usualHour !== null && usualHour >= p.min_baseline_hourly_usd;
      const w = p.recent_hours;
      let allKnown = judged && i - w + 1 >= 0;
      for (let j = i - w + 1; allKnown && j <= i; j++) if (!s.known[j]) allKnown = false;
      if (allKnown) {
        let sum = 0;
        let expectedSum = 0;
        let runaway = hasBaseline;
        let newSpender = !hasBaseline;
        for (let j = i - w + 1; j <= i; j++) {
          const c = s.cost[j]!;
          sum += c;
          if (newSpender && c < p.new_spender_hourly_usd) newSpender = false;
          if (runaway) {
            const expected = expectedCostAt(j) ?? usualHour!;
            expectedSum += expected;
            const excess = c - expected;
            if (
              excess < p.min_hourly_increase_usd ||
              excess < p.min_increase_ratio * usualHour! ||
              c < p.min_slot_ratio * expected
            )
              runaway = false;
          }
        }
        if (runaway || newSpender) {
          const recentAvg = sum / w;
          let expectedAvg: number | null = runaway ? expectedSum / w : null;
          if (newSpender) {
            let e = 0;
            let n = 0;
            for (let j = i - w + 1; j <= i; j++) {
              const x = expectedCostAt(j);
              if (x !== null) {
                e += x;
                n += 1;
              }
            }
            expectedAvg = n === w ? e / w : null;
          }
          firings.push({
            kind: runaway ? 'runaway' : 'new-spender',
            index: i,
            recentAvg,
            expectedAvg,
            usual: usualHour,
            excess: recentAvg - (expectedAvg ?? usualHour ?? 0),
            ipi: null,
            baselineIpi: null,
            invocationRatio: null,
          });
        }
      }
      const growth = contextGrowthAt(s, grid, p, i, context);
      if (growth) {
        let e = 0;
        for (let j = i - p.context_growth_hours + 1; j <= i; j++) e += expectedCostAt(j) ?? usualHour ?? 0;
        const expectedAvg = e / p.context_growth_hours;
        firings.push({
          kind: 'context-growth',
          index: i,
          recentAvg: growth.recentAvg,
          expectedAvg,
          usual: usualHour,
          excess: growth.recentAvg - expectedAvg,
          ipi: growth.ipi,
          baselineIpi: growth.baselineIpi,
          invocationRatio: growth.invocationRatio,
        });
      }
    }
    findings.push(...toFindings(account, s, grid, firings, p, severity, expectedCostAt));
  }
  return {
    findings,
    evaluatedHours,
    accounts: series.size,
    unknownHours,
    unpricedModelIds: [...unpriced].sort(),
  };
}

/** Per hour: invocations where known (an idle hour: none), and prompt tokens per invocation. */
function contextBaseline(s: AccountSeries, grid: Grid) {
  const invocationKnown = new Uint8Array(grid.length);
  const invocations = new Float64Array(grid.length);
  for (let j = 0; j < grid.length; j++) {
    const v = s.invocations[j]!;
    invocationKnown[j] = s.history[j] && !Number.isNaN(v) ? 1 : 0;
    invocations[j] = Number.isNaN(v) ? 0 : v;
  }
  const ipi = new Float64Array(grid.length);
  const ipiKnown = new Uint8Array(grid.length);
  for (let j = 0; j < grid.length; j++) {
    if (invocationKnown[j] && invocations[j]! > 0) {
      ipi[j] = s.prompt[j]! / invocations[j]!;
      ipiKnown[j] = 1;
    }
  }
  return {
    invocationKnown,
    invocations,
    ipi,
    ipiKnown,
    ipiExpected: new Float64Array(grid.length).fill(Number.NaN),
  };
}

function contextGrowthAt(
  s: AccountSeries,
  grid: Grid,
  p: WatchRuleParams,
  i: number,
  ctx: ReturnType<typeof contextBaseline>,
): { recentAvg: number; ipi: number; baselineIpi: number; invocationRatio: number } | null {
  const h = p.context_growth_hours;
  if (i - h + 1 < 0) return null;
  let cost = 0;
  let prompt = 0;
  let calls = 0;
  for (let j = i - h + 1; j <= i; j++) {
    if (!ctx.invocationKnown[j] || ctx.invocations[j]! <= 0) return null;
    cost += s.cost[j]!;
    prompt += s.prompt[j]!;
    calls += ctx.invocations[j]!;
  }
  if (cost / h < p.context_min_hourly_usd) return null;
  // Each hour against the median prompt size of the same hours over the baseline days (hour of day and kind
  // of day, as for cost: a nightly batch of short prompts beside long daytime conversations is no growth).
  const first = i - h + 1;
  for (let j = first; j <= i; j++) {
    let expected = ctx.ipiExpected[j]!;
    if (Number.isNaN(expected)) {
      expected = expectedAt(ctx.ipi, ctx.ipiKnown, j, grid, p.baseline_days) ?? -1;
      ctx.ipiExpected[j] = expected;
    }
    if (expected <= 0 || ctx.ipi[j]! < p.context_growth_ratio * expected) return null;
  }
  const base = ctx.ipiExpected[i]!;
  let expectedCalls = 0;
  for (let j = first; j <= i; j++) {
    const e = expectedAt(ctx.invocations, ctx.invocationKnown, j, grid, p.baseline_days);
    if (e === null) return null;
    expectedCalls += e;
  }
  const invocationRatio = expectedCalls > 0 ? calls / expectedCalls : Number.POSITIVE_INFINITY;
  if (invocationRatio >= p.context_max_invocation_ratio) return null;
  return { recentAvg: cost / h, ipi: prompt / calls, baselineIpi: base, invocationRatio };
}

function severityOf(kind: WatchKind, projected: number, t: SeverityThresholds): WatchFinding['severity'] {
  if (kind === 'context-growth') return 'medium';
  return projected >= t.critical_usd ? 'critical' : projected >= t.high_usd ? 'high' : 'medium';
}

function toFindings(
  account: string,
  s: AccountSeries,
  grid: Grid,
  firings: Firing[],
  params: WatchRuleParams,
  thresholds: SeverityThresholds,
  expectedCostAt: (i: number) => number | null,
): WatchFinding[] {
  const hourAt = (i: number) => hourIso(grid.start + i * HOUR_MS);
  // The grid starts at midnight: hour i lies on day ⌊i / 24⌋.
  const lastEvaluated = (i: number) => Math.min(grid.length - 1, Math.floor(i / 24) * 24 + 23);
  const groups = new Map<string, Firing[]>();
  for (const f of firings) {
    const key = `${f.kind}|${Math.floor(f.index / 24)}`;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const out: WatchFinding[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const latest = list[list.length - 1]!;
    const day = dayOfHour(hourAt(latest.index));
    const window = latest.kind === 'context-growth' ? params.context_growth_hours : params.recent_hours;
    const bases: (PriceBasis | null)[] = [];
    for (let j = latest.index - window + 1; j <= latest.index; j++)
      if (s.cost[j]! > 0) bases.push(s.basis[j] ?? null);
    const series: HourlyPoint[] = [];
    for (let j = Math.max(0, latest.index - SERIES_HOURS + 1); j <= latest.index; j++) {
      const expected = expectedCostAt(j);
      series.push({
        hour: hourAt(j),
        cost_usd: s.known[j] ? round6(s.cost[j]!) : null,
        expected_usd: expected === null ? null : round6(expected),
      });
    }
    const excess = round6(Math.max(0, latest.excess));
    const projected = round6(excess * 24 * 30);
    const recentAvg = round6(latest.recentAvg);
    const usual = latest.usual === null ? null : round6(latest.usual);
    out.push({
      account_id: account,
      kind: latest.kind,
      as_of: day,
      first_hour: hourAt(first.index),
      observed_through: hourAt(lastEvaluated(latest.index)),
      recent_start: hourAt(latest.index - window + 1),
      recent_end: hourAt(latest.index),
      recent_avg_hourly_usd: recentAvg,
      recent_avg_daily_usd: round6(recentAvg * 24),
      baseline_hourly_usd: usual,
      expected_hourly_usd: latest.expectedAvg === null ? null : round6(latest.expectedAvg),
      excess_hourly_usd: excess,
      spike_ratio: usual && usual > 0 ? round6(recentAvg / usual) : null,
      projected_30d_excess_usd: projected,
      severity: severityOf(latest.kind, projected, thresholds),
      hourly_series: series,
      price_basis: weakestBasis(bases),
      hours_fired: list.length,
      fired_hours: list.map((f) => hourAt(f.index)),
      prompt_tokens_per_invocation: latest.ipi === null ? null : round6(latest.ipi),
      baseline_prompt_tokens_per_invocation: latest.baselineIpi === null ? null : round6(latest.baselineIpi),
      invocation_ratio: latest.invocationRatio === null ? null : round6(latest.invocationRatio),
    });
  }
  return out.sort((a, b) => a.as_of.localeCompare(b.as_of) || a.kind.localeCompare(b.kind));
}

/** The hour a watch ending at `now` evaluates last: the newest whole hour that has ended. */
export const lastWholeHour = (now: Date): IsoHour =>
  addHours(hourIso(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS), -1);

/**
 * The first stage of the two-stage read (docs/watch.md "Regions and cost"): over input and output tokens
 * alone (an estimate that leaves cache tokens out), the hours at which an account's cost rose enough that
 * the watch reads the rest of its metrics. A loose form of the rule — one hour instead of `recent_hours`,
 * `SCREEN_FACTOR` of its dollar and usual-hour bars, the slot ratio's excess over 1 scaled the same —
 * since the input and output share of a cache-heavy loop's cost can be under half of it.
 */
export const SCREEN_FACTOR = 0.3;

export function screenWatch(prepared: PreparedWatch, p: WatchRuleParams): Map<string, IsoHour[]> {
  const { grid, series, firstEval } = prepared;
  const out = new Map<string, IsoHour[]>();
  const slotRatio = 1 + (p.min_slot_ratio - 1) * SCREEN_FACTOR;
  for (const [account, s] of series) {
    const { usual, baselineHours } = usualByDay(s, grid, p.baseline_days);
    const hours: IsoHour[] = [];
    for (let i = firstEval; i < grid.length; i++) {
      const day = Math.floor(i / 24);
      if (!s.known[i] || baselineHours[day]! < p.min_baseline_hours) continue;
      const c = s.cost[i]!;
      const usualHour = usual[day] ?? null;
      const hasBaseline = usualHour !== null && usualHour >= p.min_baseline_hourly_usd * SCREEN_FACTOR;
      let rose: boolean;
      if (hasBaseline) {
        const expected = expectedAt(s.cost, s.history, i, grid, p.baseline_days) ?? usualHour;
        const excess = c - expected;
        rose =
          excess >= SCREEN_FACTOR * Math.max(p.min_hourly_increase_usd, p.min_increase_ratio * usualHour) &&
          c >= slotRatio * expected;
      } else {
        rose = c >= SCREEN_FACTOR * p.new_spender_hourly_usd;
      }
      if (rose) hours.push(hourIso(grid.start + i * HOUR_MS));
    }
    if (hours.length > 0) out.set(account, hours);
  }
  return out;
}

/** The rule's parameters from the `watch` configuration block. */
export function watchRuleParams(watch: WatchRuleParams & Record<string, unknown>): WatchRuleParams {
  return {
    baseline_days: watch.baseline_days,
    recent_hours: watch.recent_hours,
    min_hourly_increase_usd: watch.min_hourly_increase_usd,
    min_increase_ratio: watch.min_increase_ratio,
    min_slot_ratio: watch.min_slot_ratio,
    min_baseline_hourly_usd: watch.min_baseline_hourly_usd,
    min_baseline_hours: watch.min_baseline_hours,
    new_spender_hourly_usd: watch.new_spender_hourly_usd,
    context_growth_ratio: watch.context_growth_ratio,
    context_growth_hours: watch.context_growth_hours,
    context_max_invocation_ratio: watch.context_max_invocation_ratio,
    context_min_hourly_usd: watch.context_min_hourly_usd,
  };
}
