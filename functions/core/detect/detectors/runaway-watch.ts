/**
 * Detector `runaway-watch` (docs/watch.md): the hourly watch over Bedrock's usage metrics. It has no
 * statement: the rule (watch-rule.ts) judges hours, and this module turns what the rule returns into
 * findings (the envelope every finding carries, with hourly figures and `source: metrics`), says which
 * case they join — a `runaway` or `new-spender` joins the account's bill-based `runaway-inference` case,
 * `context-growth` has its own — and tells their episode and email words. Every figure is an estimate.
 */
import type { EpisodeBand, EpisodeDay } from '../../cases/episode.js';
import type { SentinelConfig } from '../../config.js';
import { addDays } from '../../dates.js';
import { count, hourDateTime, hourLabel, money, ratio, tokens as tokenWords } from '../../format.js';
import { addHours, dayOfHour, HOUR_MS, hourMs, type IsoHour } from '../../hours.js';
import type { HourlyUsage } from '../../ports.js';
import type { Breakdown, FindingKind, HourlyPoint, RunawayWatchFinding } from '../../types.js';
import type { CaseDetector } from '../detector.js';
import { caseKey, findingId, roundTokens, roundUsd, severityOn, times } from '../findings.js';
import { PRICE_CLASSES, type PriceBasis, type PriceClass, type Pricing } from '../prices.js';
import type { WatchFinding } from '../watch-rule.js';

/** The bill's detector whose case a watch runaway or new spender joins (one case, two sources). */
const SHARED_CASE_DETECTOR = 'runaway-inference' as const;

/** What a finding's kind joins: the bill's runaway case, or the watch's own (context growth). */
function joinsBillCase(kind: FindingKind): boolean {
  return kind === 'runaway' || kind === 'new-spender';
}

/** The case key of a watch finding (docs/cases.md "One case, two sources"). */
export const watchCaseKey = (accountId: string, kind: FindingKind): string =>
  joinsBillCase(kind)
    ? caseKey(SHARED_CASE_DETECTOR, accountId, null)
    : caseKey('runaway-watch', accountId, null);

/** Tokens and estimated cost of some hours of one account, per class and per model id. */
export interface WindowUsage {
  hours: number;
  tokens: Record<PriceClass, number>;
  cost: Record<PriceClass, number>;
  models: { model_id: string; cost_usd: number; tokens: number }[];
}

const zeros = (): Record<PriceClass, number> => ({ input: 0, output: 0, cache_read: 0, cache_write: 0 });

/** The usage of one account's rows from `from` (inclusive) to `to` (exclusive), priced as the rule prices it. */
export function usageOver(
  rows: readonly HourlyUsage[],
  pricing: Pricing,
  from: IsoHour,
  to: IsoHour,
): WindowUsage {
  const start = hourMs(from);
  const end = hourMs(to);
  const usage: WindowUsage = {
    hours: Math.max(0, (end - start) / HOUR_MS),
    tokens: zeros(),
    cost: zeros(),
    models: [],
  };
  const models = new Map<string, { model_id: string; cost_usd: number; tokens: number }>();
  for (const row of rows) {
    const at = hourMs(row.hour);
    if (at < start || at >= end) continue;
    const price = pricing.resolve(row.account_id, row.model_id).usd_per_million;
    const model = models.get(row.model_id) ?? { model_id: row.model_id, cost_usd: 0, tokens: 0 };
    for (const [cls, n] of [
      ['input', row.input_tokens],
      ['output', row.output_tokens],
      ['cache_read', row.cache_read_tokens],
      ['cache_write', row.cache_write_tokens],
    ] as const) {
      if (!n) continue;
      usage.tokens[cls] += n;
      model.tokens += n;
      const perMillion = price[cls];
      if (perMillion === null) continue;
      usage.cost[cls] += (n * perMillion) / 1e6;
      model.cost_usd += (n * perMillion) / 1e6;
    }
    models.set(row.model_id, model);
  }
  usage.models = [...models.values()].sort(
    (a, b) => b.cost_usd - a.cost_usd || (a.model_id < b.model_id ? -1 : 1),
  );
  return usage;
}

const CLASS_WORDS: Record<PriceClass, string> = {
  input: 'input',
  output: 'output',
  cache_read: 'cache-read',
  cache_write: 'cache-write',
};

const perHour = (usage: WindowUsage, cls: PriceClass | 'cache'): number => {
  const cost = cls === 'cache' ? usage.cost.cache_read + usage.cost.cache_write : usage.cost[cls];
  return usage.hours > 0 ? cost / usage.hours : 0;
};

/** A sentence from the recent window's token mix against the baseline's (docs/findings.md `diagnosis`). */
export function watchDiagnosis(
  kind: FindingKind,
  recent: WindowUsage,
  baseline: WindowUsage,
  context: { ipi: number | null; baselineIpi: number | null; invocationRatio: number | null },
): string {
  const lead = 'an estimate from Bedrock usage metrics';
  if (kind === 'context-growth') {
    const growth = context.ipi !== null && context.baselineIpi ? context.ipi / context.baselineIpi : null;
    return `Prompt tokens per call ${tokenWords(context.ipi ?? 0)} against a usual ${tokenWords(context.baselineIpi ?? 0)} for these hours${growth === null ? '' : ` (${times(growth)})`} while calls ran ${context.invocationRatio === null ? 'at their usual rate' : `${times(context.invocationRatio)} the usual`}: a conversation or agent that carries its whole history (context accumulation); ${lead}.`;
  }
  const rate = (cls: PriceClass | 'cache') => {
    const r = perHour(recent, cls);
    const b = perHour(baseline, cls);
    return { r, b, growth: r <= 0 ? 0 : b > 0 ? r / b : Number.POSITIVE_INFINITY };
  };
  const rose = (x: { r: number; b: number; growth: number }) =>
    x.r <= 0
      ? 'stayed at zero'
      : x.b <= 0
        ? `rose from nothing to ${money(x.r)}/hour`
        : `rose ${times(x.growth)}`;
  const output = rate('output');
  const input = rate('input');
  const cache = rate('cache');
  const baselineTotal = output.b + input.b + cache.b;
  let what: string;
  if (baselineTotal <= 0) {
    const top = (['output', 'input', 'cache_read', 'cache_write'] as const)
      .map((cls) => [cls, perHour(recent, cls)] as const)
      .sort((a, b) => b[1] - a[1])[0]!;
    what = `no Bedrock usage in the baseline hours; now ${money(perHour(recent, 'input') + perHour(recent, 'output') + perHour(recent, 'cache'))}/hour, mostly ${CLASS_WORDS[top[0]]} tokens`;
  } else if (output.r - output.b >= input.r - input.b && output.growth >= 2 * input.growth) {
    what = `output tokens ${rose(output)} while input ${rose(input)}: a generation loop (an agent or retry loop producing output)`;
  } else if (input.r - input.b >= cache.r - cache.b && input.growth >= 2 * output.growth) {
    what = `uncached input tokens ${rose(input)} while output ${rose(output)}: growing context or a prompt-cache miss`;
  } else if (cache.growth >= 2 * output.growth) {
    what = `cached prompt tokens ${rose(cache)} while output ${rose(output)}: calls reusing a growing cached prefix`;
  } else {
    what = `input ${rose(input)} and output ${rose(output)} together: more calls of the same shape (a loop, a retry storm or new traffic)`;
  }
  const top = recent.models[0];
  const model = top && top.cost_usd > 0 ? `; top model id ${top.model_id}` : '';
  const prefix = kind === 'new-spender' ? 'New Bedrock inference spender: ' : '';
  return `${prefix}${what}${model}; ${lead}.`;
}

function breakdownOf(recent: WindowUsage, baseline: WindowUsage): Breakdown {
  // The baseline's cost over as many hours as the recent window, so the two compare.
  const scale = baseline.hours > 0 ? recent.hours / baseline.hours : 0;
  return {
    token_classes: PRICE_CLASSES.filter((c) => recent.tokens[c] > 0 || baseline.tokens[c] > 0).map((c) => ({
      key: c,
      recent_cost_usd: roundUsd(recent.cost[c]),
      baseline_cost_usd: roundUsd(baseline.cost[c] * scale),
      recent_tokens: roundTokens(recent.tokens[c]),
    })),
    usage_types: [],
    resources: recent.models.slice(0, 10).map((m) => ({
      key: m.model_id,
      recent_cost_usd: roundUsd(m.cost_usd),
      baseline_cost_usd: roundUsd(
        (baseline.models.find((b) => b.model_id === m.model_id)?.cost_usd ?? 0) * scale,
      ),
      recent_tokens: roundTokens(m.tokens),
    })),
    regions: [],
    tags: [],
  };
}

/** A finding from what the rule returned, with the usage of its recent window and of the baseline hours. */
export function watchFinding(
  w: WatchFinding,
  input: {
    accountName: string;
    runId: string;
    config: Pick<SentinelConfig, 'watch'>;
    recent: WindowUsage;
    baseline: WindowUsage;
  },
): RunawayWatchFinding {
  const baselineHourly = w.baseline_hourly_usd;
  return {
    finding_id: findingId('runaway-watch', w.account_id, w.kind, w.as_of),
    case_key: watchCaseKey(w.account_id, w.kind),
    detector: 'runaway-watch',
    source: 'metrics',
    kind: w.kind,
    as_of: w.as_of,
    recent_start: w.recent_start,
    recent_end: w.recent_end,
    baseline_start: addDays(w.as_of, -input.config.watch.baseline_days),
    baseline_end: addDays(w.as_of, -1),
    account_id: w.account_id,
    account_name: input.accountName,
    model: null,
    severity: w.severity,
    recent_avg_daily_usd: roundUsd(w.recent_avg_daily_usd),
    baseline_avg_daily_usd: roundUsd(24 * (baselineHourly ?? 0)),
    excess_daily_usd: roundUsd(24 * w.excess_hourly_usd),
    projected_30d_excess_usd: roundUsd(w.projected_30d_excess_usd),
    diagnosis: watchDiagnosis(w.kind, input.recent, input.baseline, {
      ipi: w.prompt_tokens_per_invocation,
      baselineIpi: w.baseline_prompt_tokens_per_invocation,
      invocationRatio: w.invocation_ratio,
    }),
    input_tokens: roundTokens(input.recent.tokens.input),
    cache_read_tokens: roundTokens(input.recent.tokens.cache_read),
    cache_write_tokens: roundTokens(input.recent.tokens.cache_write),
    output_tokens: roundTokens(input.recent.tokens.output),
    // The metrics know nothing of compute or of the month: the bill's findings say those.
    compute_recent_avg_daily_usd: 0,
    compute_baseline_avg_daily_usd: 0,
    last_month_usd: null,
    mtd_usd: null,
    forecast_month_usd: null,
    // No daily series: a day the watch has seen only part of is no figure for the case's days (docs/watch.md).
    series: [],
    breakdown: breakdownOf(input.recent, input.baseline),
    data_through: dayOfHour(w.observed_through),
    run_id: input.runId,
    first_hour: w.first_hour,
    observed_through: w.observed_through,
    recent_avg_hourly_usd: roundUsd(w.recent_avg_hourly_usd),
    baseline_hourly_usd: baselineHourly === null ? null : roundUsd(baselineHourly),
    expected_hourly_usd: w.expected_hourly_usd === null ? null : roundUsd(w.expected_hourly_usd),
    excess_hourly_usd: roundUsd(w.excess_hourly_usd),
    spike_ratio: w.spike_ratio,
    hours_fired: w.hours_fired,
    hourly_series: w.hourly_series.map((p) => ({ ...p })),
    price_basis: w.price_basis,
    prompt_tokens_per_invocation: w.prompt_tokens_per_invocation,
    baseline_prompt_tokens_per_invocation: w.baseline_prompt_tokens_per_invocation,
    invocation_ratio: w.invocation_ratio,
  };
}

/** How a price basis reads in an email. */
export const PRICE_BASIS_WORDS: Record<PriceBasis, string> = {
  account: "the account's own prices from the bill",
  organization: "the organization's prices from the bill",
  list: 'list prices (the bill has not priced these models for this account yet)',
};

/**
 * The estimate's excess so far: the trailing run of hours above the expected hour in the 48 hours the
 * finding holds, their cost minus the expected cost.
 */
export function estimatedExcess(series: readonly HourlyPoint[]): number {
  let sum = 0;
  for (let i = series.length - 1; i >= 0; i--) {
    const p = series[i]!;
    if (p.cost_usd === null) continue;
    const excess = p.cost_usd - (p.expected_usd ?? 0);
    if (excess <= 0) break;
    sum += excess;
  }
  return roundUsd(sum);
}

export const WATCH_CHART_HEIGHT_PX = 80;
const TEXT_CHART_HOURS = 12;
const TEXT_CHART_WIDTH = 30;

/** One hour of the email's hourly chart (table cells, as the daily chart). */
export interface HourBar {
  hour: string;
  label: string;
  costUsd: number | null;
  expectedUsd: number | null;
  spacePx: number;
  excessPx: number;
  basePx: number;
  /** The hour could not be read: a grey stub. */
  unknown: boolean;
}

/** The hourly chart of a watch finding (the last 48 hours): the geometry, computed here, printed by its partial. */
export function hourlyChart(series: readonly HourlyPoint[]) {
  const maxUsd = Math.max(0, ...series.map((p) => Math.max(p.cost_usd ?? 0, p.expected_usd ?? 0)));
  const scale = maxUsd > 0 ? WATCH_CHART_HEIGHT_PX / maxUsd : 0;
  const bars: HourBar[] = series.map((p) => {
    const cost = p.cost_usd ?? 0;
    const height = cost > 0 ? Math.max(2, Math.round(cost * scale)) : 0;
    const expected = p.expected_usd ?? 0;
    // Red above the expected hour only where the hour is at least twice it and a dollar over.
    const marked = p.cost_usd !== null && cost - expected >= Math.max(1, expected);
    const basePx = marked ? Math.min(height, Math.round(expected * scale)) : height;
    const unknownPx = p.cost_usd === null ? 2 : 0;
    return {
      hour: p.hour,
      label: hourLabel(p.hour),
      costUsd: p.cost_usd,
      expectedUsd: p.expected_usd,
      spacePx: WATCH_CHART_HEIGHT_PX - height - unknownPx,
      excessPx: marked ? height - basePx : 0,
      basePx: p.cost_usd === null ? unknownPx : basePx,
      unknown: p.cost_usd === null,
    };
  });
  const textLines = series.slice(-TEXT_CHART_HOURS).map((p) => {
    const width =
      maxUsd > 0 && p.cost_usd !== null ? Math.round((p.cost_usd / maxUsd) * TEXT_CHART_WIDTH) : 0;
    const cost = p.cost_usd === null ? 'not read' : money(p.cost_usd);
    const expected = p.expected_usd === null ? '' : `  (expected ${money(p.expected_usd)})`;
    return `${hourLabel(p.hour).padEnd(10)}${cost.padStart(10)}  ${'#'.repeat(width)}${expected}`;
  });
  return {
    bars,
    heightPx: WATCH_CHART_HEIGHT_PX,
    maxUsd,
    hours: series.length,
    firstLabel: bars[0]?.label ?? '',
    middleLabel: bars[Math.floor(bars.length / 2)]?.label ?? '',
    lastLabel: bars[bars.length - 1]?.label ?? '',
    hasMarked: bars.some((b) => b.excessPx > 0),
    hasUnknown: bars.some((b) => b.unknown),
    textLines,
  };
}

/** Whole hours from the end of the newest hour read to `now` (how old the estimate is when read). */
export function hoursOld(observedThrough: string, now: string | null | undefined): number | null {
  if (!now) return null;
  const end = hourMs(observedThrough) + HOUR_MS;
  const at = Date.parse(now);
  if (!Number.isFinite(end) || !Number.isFinite(at)) return null;
  return Math.max(0, Math.floor((at - end) / HOUR_MS));
}

/** The figures a watch section prints, computed once (docs/emails.md "A watch finding"). */
export function watchFacts(
  f: RunawayWatchFinding,
  now: string | null | undefined,
  firstFired: string | null = null,
) {
  const age = hoursOld(f.observed_through, now);
  const recentHours = Math.round((hourMs(f.recent_end) - hourMs(f.recent_start)) / HOUR_MS) + 1;
  // The case's first hour that fired (a finding holds its own day's only): the window of that hour began it.
  const first = firstFired && firstFired < f.first_hour ? firstFired : f.first_hour;
  return {
    recentHourlyUsd: f.recent_avg_hourly_usd,
    expectedHourlyUsd: f.expected_hourly_usd,
    usualHourlyUsd: f.baseline_hourly_usd,
    excessHourlyUsd: f.excess_hourly_usd,
    projected30dUsd: f.projected_30d_excess_usd,
    spikeRatio: f.spike_ratio,
    recentHours,
    // When the hours that fired first began: the first firing hour's own window.
    since: hourDateTime(addHours(first, -(recentHours - 1))),
    recentFrom: hourDateTime(f.recent_start),
    recentTo: hourDateTime(addHours(f.recent_end, 1)),
    firstHour: hourDateTime(f.first_hour),
    observedThrough: hourDateTime(addHours(f.observed_through, 1)),
    hoursFired: f.hours_fired,
    hoursOld: age,
    ageWords:
      age === null
        ? `read through ${hourDateTime(addHours(f.observed_through, 1))}`
        : age === 0
          ? 'less than an hour old'
          : `${count(age)} ${age === 1 ? 'hour' : 'hours'} old`,
    priceBasis: f.price_basis,
    priceBasisWords: f.price_basis
      ? PRICE_BASIS_WORDS[f.price_basis]
      : 'no prices (the tokens could not be priced)',
    excessSoFarUsd: estimatedExcess(f.hourly_series),
    topModel: f.breakdown.resources[0] ?? null,
    promptPerCall: f.prompt_tokens_per_invocation,
    usualPromptPerCall: f.baseline_prompt_tokens_per_invocation,
    promptGrowth:
      f.prompt_tokens_per_invocation !== null && f.baseline_prompt_tokens_per_invocation
        ? f.prompt_tokens_per_invocation / f.baseline_prompt_tokens_per_invocation
        : null,
    invocationRatio: f.invocation_ratio,
    chart: hourlyChart(f.hourly_series),
  };
}

export const runawayWatch: CaseDetector<RunawayWatchFinding> = {
  id: 'runaway-watch',
  source: 'metrics',
  kinds: ['runaway', 'new-spender', 'context-growth'],
  subject: 'account',
  // Comparable with the bill's in the shared case: 24 × the estimated hourly rate is a $/day figure.
  peakMetric: 'daily_cost_usd',
  stoppedLiftsRecurringExemption: false,
  partial: 'runaway-watch',

  caseDetector: (kind) => (joinsBillCase(kind) ? SHARED_CASE_DETECTOR : null),

  peakText: (value) => `${money(value / 24)}/hour (estimate)`,
  peakValue: (f) => f.recent_avg_daily_usd,
  peakDay: (f) => f.as_of,
  peakRank: (f) => f.recent_avg_daily_usd,
  episodeStart: (peak) => dayOfHour(peak.first_hour),

  aboveBand(peak) {
    const limit = Math.max(2 * peak.baseline_avg_daily_usd, peak.baseline_avg_daily_usd + 1);
    return (d) => d.cost_usd > limit;
  },

  dailyAvoidable: () => () => null,

  excessSoFar: (_days: EpisodeDay[], peak) => estimatedExcess(peak.hourly_series),

  /**
   * What the owner reads of a case only the watch has seen: the newest finding's estimated rate (24 × the
   * hourly rate where a $/day figure is asked), its projection and severity; the bill's figures replace
   * these once its finding arrives (docs/cases.md "One case, two sources").
   */
  tell({ peak, latest, ongoing, newest, excessSoFar }, band: EpisodeBand) {
    const told = ongoing ? latest : peak;
    const baseline = told.baseline_avg_daily_usd;
    const over = (v: number) =>
      told.kind === 'new-spender' || baseline <= 0 ? null : roundUsd(v / baseline);
    const projected = ongoing ? told.projected_30d_excess_usd : null;
    return {
      latest_day: ongoing ? latest.as_of : newest,
      latest_daily_usd: told.recent_avg_daily_usd,
      mean_daily_usd: told.recent_avg_daily_usd,
      spike_days: 1,
      baseline_daily_usd: baseline,
      latest_ratio: over(told.recent_avg_daily_usd),
      mean_ratio: over(told.recent_avg_daily_usd),
      peak_ratio: over(peak.recent_avg_daily_usd),
      excess_daily_usd: ongoing ? told.excess_daily_usd : null,
      projected_30d_excess_usd: projected,
      severity: told.kind === 'context-growth' ? 'medium' : severityOn(projected ?? excessSoFar, band),
      peak_value: peak.recent_avg_daily_usd,
      peak_day: peak.as_of,
      band_daily_usd: null,
      band_hit_ratio: null,
      expected_hit_ratio: null,
    };
  },

  emailWords: (peak, basis) => ({
    chartSubject: 'estimated Bedrock inference',
    chartLine: 'expected hour',
    markedLegend: 'above the expected hour',
    dayFigure: (day) => `${money(day.cost_usd)}/day`,
    bandWords: 'above twice the usual day',
    askQuestion:
      peak.kind === 'context-growth'
        ? 'are these prompts meant to grow (a longer context by design), or does a conversation or agent carry its whole history? Say whether it is stopped or bounded, or legitimate.'
        : 'is this spend stopped or bounded? If it is expected, say it is legitimate and the new level becomes the accepted baseline.',
    flags: {
      isNewSpender: peak.kind === 'new-spender',
      isRunaway: peak.kind === 'runaway',
      isContextGrowth: peak.kind === 'context-growth',
    },
    facts: { watch: watchFacts(peak, basis.now, basis.sources?.metrics?.first_covered ?? null) },
  }),

  chartMarks: () => ({
    elevated: () => false,
    highlighted: () => false,
    splitAtBaseline: false,
    hitStrip: false,
  }),

  describe(f) {
    if (f.kind === 'context-growth') {
      return `prompt ${tokenWords(f.prompt_tokens_per_invocation ?? 0)}/call (${ratio(
        f.prompt_tokens_per_invocation !== null && f.baseline_prompt_tokens_per_invocation
          ? f.prompt_tokens_per_invocation / f.baseline_prompt_tokens_per_invocation
          : null,
      )} usual), ${money(f.recent_avg_hourly_usd)}/h estimated, since ${f.first_hour}`;
    }
    const against =
      f.expected_hourly_usd === null ? 'no baseline' : `expected ${money(f.expected_hourly_usd)}/h`;
    return `${money(f.recent_avg_hourly_usd)}/h estimated (${against}), since ${f.first_hour}, +${money(f.projected_30d_excess_usd)} per 30 days`;
  },

  describeEpisode(_e, peak, latest) {
    const f = latest.kind === peak.kind ? latest : peak;
    return `estimate from usage metrics through ${addHours(f.observed_through, 1)}: ${runawayWatch.describe(f)}`;
  },
};
