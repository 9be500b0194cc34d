/**
 * Detector `runaway-inference` (docs/detection.md "Runaway inference"): an account's daily Bedrock
 * inference spend far above its own baseline — the QB15 query, made correct. Its statement is
 * sql/runaway-inference.sql; this module turns its rows into findings and tells its episode.
 */
import { z } from 'zod';
import type { EpisodeBand, EpisodeDay } from '../../cases/episode.js';
import { daysBetween } from '../../dates.js';
import { money } from '../../format.js';
import type { Breakdown, FindingKind, IsoDate, RunawayFinding, SeriesPoint } from '../../types.js';
import type { DetectorModule } from '../detector.js';
import {
  classDaily,
  driverNotes,
  envelopeOf,
  roundOrNull,
  roundUsd,
  severityOf,
  severityOn,
  times,
} from '../findings.js';

/** The highest day of a finding's recent window (null when its series does not reach it). */
function highestDay(f: RunawayFinding): SeriesPoint | null {
  let best: SeriesPoint | null = null;
  for (const p of f.series) {
    if (p.date < f.recent_start || p.date > f.recent_end) continue;
    if (best === null || p.cost_usd > best.cost_usd) best = p;
  }
  return best;
}

const roundRatioOrNull = (v: number): number | null => (Number.isFinite(v) ? roundOrNull(v) : null);

/** The recurring look-back: a recent-window mean ending any day of D−34 … D−27 (about a month before). */
export const RECURRING_NEAR_DAYS = 27;
export const RECURRING_FAR_DAYS = 34;

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

export function roundRunawayNumbers(n: RunawayNumbers): RunawayNumbers {
  return {
    spike_ratio: roundOrNull(n.spike_ratio),
    sigma: roundOrNull(n.sigma),
    excess_daily_usd: roundUsd(n.excess_daily_usd),
    projected_30d_excess_usd: roundUsd(n.projected_30d_excess_usd),
  };
}

/** The band a day must exceed to count as above the baseline: baseline + k·σ, or + $1.00 where σ is 0. */
export const bandLimit = (baselineAvg: number, baselineStddev: number, k: number): number =>
  baselineStddev > 0 ? baselineAvg + k * baselineStddev : baselineAvg + 1.0;

/**
 * The first day the spend left the baseline band: take L, the latest day of the recent window above
 * the band, and go back while each day stays above it, never before the series start (D−29).
 */
export function startedOn(
  series: SeriesPoint[],
  recentStart: IsoDate,
  band: { baselineAvg: number; baselineStddev: number; k: number },
): IsoDate | null {
  const threshold = bandLimit(band.baselineAvg, band.baselineStddev, band.k);
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

const growth = (c: { recent: number; baseline: number } | undefined): string => {
  if (!c || c.recent <= 0) return 'stayed at zero';
  if (c.baseline <= 0) return `rose from nothing to ${money(c.recent)}/day`;
  return `rose ${times(c.recent / c.baseline)}`;
};

/** A sentence from the breakdown saying what the rise looks like (docs/findings.md `diagnosis`). */
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

/** sql/runaway-inference.sql's columns (typed by the QueryEngine contract; NULL where SQL gives it). */
const rowSchema = z.object({
  account_id: z.string(),
  account_name: z.string().nullable(),
  as_of: z.string(),
  kind: z.enum(['runaway', 'new-spender']),
  recent_avg: z.number(),
  baseline_avg: z.number(),
  baseline_stddev: z.number().nullable(),
  baseline_days_covered: z.number(),
  last_month_peak_avg: z.number().nullable(),
  recurring: z.boolean().nullable(),
});

interface RunawayFigures {
  kind: 'runaway' | 'new-spender';
  recent_avg: number;
  baseline_avg: number;
  baseline_stddev: number;
}

export const runawayInference: DetectorModule<RunawayFinding, RunawayFigures> = {
  id: 'runaway-inference',
  kinds: ['runaway', 'new-spender'],
  subject: 'account',
  peakMetric: 'daily_cost_usd',
  contextRank: 'increase',
  seriesHitRatio: false,
  allBedrockCharges: false,
  readsStagingDetail: false,
  stoppedLiftsRecurringExemption: true,
  sqlFile: 'runaway-inference',
  partial: 'runaway-inference',

  windows(config) {
    const c = config.detectors['runaway-inference'];
    const baselineNear = c.recent_days + c.guard_days;
    const baselineFar = baselineNear + c.baseline_days - 1;
    return {
      recentDays: c.recent_days,
      recentPreceding: c.recent_days - 1,
      baselineNear,
      baselineFar,
      // Baseline, plus the recurring look-back's recent windows (ending D−34 at the earliest).
      lookback: Math.max(baselineFar, RECURRING_FAR_DAYS + c.recent_days - 1),
    };
  },

  minBaselineDays: (config) => config.detectors['runaway-inference'].min_baseline_days,

  sqlParams(config, input) {
    const c = config.detectors['runaway-inference'];
    return {
      k: c.k,
      min_baseline_daily_usd: c.min_baseline_daily_usd,
      min_daily_increase_usd: c.min_daily_increase_usd,
      min_spike_ratio: c.min_spike_ratio,
      new_spender_daily_usd: c.new_spender_daily_usd,
      min_baseline_days: c.min_baseline_days,
      recurring_match: c.recurring_match,
      recurring_near: RECURRING_NEAR_DAYS,
      recurring_far: RECURRING_FAR_DAYS,
      recurring_exempt_accounts: input.recurringExemptAccounts,
    };
  },

  readRow(raw) {
    const row = rowSchema.parse(raw);
    const accountName = row.account_name ?? row.account_id;
    return {
      as_of: row.as_of,
      account_id: row.account_id,
      account_name: accountName,
      model: null,
      key: null,
      kind: row.kind,
      baseline_days_covered: row.baseline_days_covered,
      recent_days: null,
      held:
        row.recurring === true
          ? {
              reason: 'recurring',
              candidate: {
                detector: 'runaway-inference',
                account_id: row.account_id,
                account_name: accountName,
                as_of: row.as_of,
                recent_avg_daily_usd: roundUsd(row.recent_avg),
                month_earlier_avg_daily_usd: roundUsd(row.last_month_peak_avg ?? 0),
              },
            }
          : null,
      figures: {
        kind: row.kind,
        recent_avg: row.recent_avg,
        baseline_avg: row.baseline_avg,
        baseline_stddev: row.baseline_stddev ?? 0,
      },
    };
  },

  buildFinding(row, context, config, run) {
    const envelope = envelopeOf(this, row, context, config, run);
    const { figures } = row;
    const recentAvg = roundUsd(figures.recent_avg);
    const baselineAvg = roundUsd(figures.baseline_avg);
    const stddev = roundUsd(figures.baseline_stddev);
    const numbers = roundRunawayNumbers(runawayNumbers(figures.kind, recentAvg, baselineAvg, stddev));
    const k = config.detectors['runaway-inference'].k;
    return {
      ...envelope.fields,
      detector: 'runaway-inference',
      kind: figures.kind,
      model: null,
      severity: severityOf(numbers.projected_30d_excess_usd, config),
      recent_avg_daily_usd: recentAvg,
      baseline_avg_daily_usd: baselineAvg,
      baseline_stddev_usd: stddev,
      ...numbers,
      started_on:
        startedOn(envelope.fields.series, envelope.fields.recent_start, {
          baselineAvg,
          baselineStddev: stddev,
          k,
        }) ?? envelope.fields.recent_start,
      diagnosis: runawayDiagnosis({
        kind: figures.kind,
        breakdown: envelope.fields.breakdown,
        recentDays: envelope.recentDays,
        baselineDays: envelope.baselineDays,
        computeRecentDaily: envelope.fields.compute_recent_avg_daily_usd,
        computeBaselineDaily: envelope.fields.compute_baseline_avg_daily_usd,
      }),
    };
  },

  peakText: (value) => `${money(value)}/day`,
  // The peak of an episode is its highest day (docs/emails.md "The episode"), never a 3-day mean.
  peakValue: (f) => highestDay(f)?.cost_usd ?? f.recent_avg_daily_usd,
  peakDay: (f) => highestDay(f)?.date ?? f.as_of,
  peakRank: (f) => f.recent_avg_daily_usd,
  episodeStart: (peak) => peak.started_on ?? peak.recent_start,

  aboveBand(peak, band: EpisodeBand) {
    const limit = bandLimit(peak.baseline_avg_daily_usd, peak.baseline_stddev_usd ?? 0, band.k);
    return (d) => d.cost_usd > limit;
  },

  dailyAvoidable: () => () => null,

  excessSoFar: (days, peak) => days.reduce((s, d) => s + (d.cost_usd - peak.baseline_avg_daily_usd), 0),

  /**
   * The detector fires on the 3-day mean (QB15); the owner reads the spend as it is: the newest day's
   * cost with the mean since the start beside it, severity and projection on the newest day's excess
   * while ongoing, on the excess so far once ended (docs/emails.md "The episode").
   */
  tell({ peak, latest, days, ongoing, newest, spikeFrom, spikeTo, excessSoFar }, band) {
    const told = ongoing ? latest : peak;
    const baseline = told.baseline_avg_daily_usd;
    const costOn = (date: IsoDate): number | null =>
      days.find((d) => d.date === date)?.cost_usd ??
      latest.series.find((p) => p.date === date)?.cost_usd ??
      null;
    const latestDaily = costOn(newest) ?? latest.recent_avg_daily_usd;
    const spike = days.filter((d) => d.date >= spikeFrom && d.date <= spikeTo);
    const mean =
      spike.length > 0
        ? spike.reduce((sum, d) => sum + d.cost_usd, 0) / spike.length
        : told.recent_avg_daily_usd;
    // The peak is the episode's highest recorded day (the first, on a tie).
    const highest = spike.reduce<EpisodeDay | null>(
      (best, d) => (best === null || d.cost_usd > best.cost_usd ? d : best),
      null,
    );
    const peakValue = highest?.cost_usd ?? highestDay(peak)?.cost_usd ?? peak.recent_avg_daily_usd;
    const peakDay = highest?.date ?? highestDay(peak)?.date ?? peak.as_of;
    const over = (v: number) =>
      told.kind === 'new-spender' || baseline <= 0 ? null : roundRatioOrNull(v / baseline);
    const excess = ongoing ? roundUsd(latestDaily - baseline) : null;
    const projected = excess === null ? null : roundUsd(30 * excess);
    return {
      latest_day: newest,
      latest_daily_usd: roundUsd(latestDaily),
      mean_daily_usd: roundUsd(mean),
      spike_days: daysBetween(spikeFrom, spikeTo) + 1,
      baseline_daily_usd: baseline,
      latest_ratio: over(latestDaily),
      mean_ratio: over(mean),
      peak_ratio: over(peakValue),
      excess_daily_usd: excess,
      projected_30d_excess_usd: projected,
      severity: severityOn(projected ?? excessSoFar, band),
      peak_value: roundUsd(peakValue),
      peak_day: peakDay,
      band_daily_usd: roundUsd(bandLimit(peak.baseline_avg_daily_usd, peak.baseline_stddev_usd ?? 0, band.k)),
      band_hit_ratio: null,
      expected_hit_ratio: null,
    };
  },

  emailWords: (peak, basis) => ({
    chartSubject: 'Bedrock inference',
    chartLine: 'baseline',
    markedLegend: 'above the baseline',
    dayFigure: (day) => `${money(day.cost_usd)}/day`,
    bandWords:
      basis.bandDailyUsd === null
        ? 'above the baseline'
        : `above ${money(basis.bandDailyUsd)}/day (the baseline plus twice its day-to-day spread)`,
    askQuestion:
      'is this spend stopped or bounded? If it is expected, say it is legitimate and the new level becomes the accepted baseline.',
    flags: { isNewSpender: peak.kind === 'new-spender', isRunaway: peak.kind === 'runaway' },
  }),

  chartMarks: (latest, endDay) => ({
    elevated: (p) => p.date >= latest.started_on && (endDay === null || p.date < endDay),
    highlighted: () => false,
    splitAtBaseline: true,
    hitStrip: false,
  }),

  describe(f) {
    const ratio =
      f.spike_ratio === null
        ? 'no baseline'
        : `${f.spike_ratio.toFixed(2)}× ${money(f.baseline_avg_daily_usd)}/day`;
    return `${money(f.recent_avg_daily_usd)}/day (${ratio}), since ${f.started_on}, +${money(f.projected_30d_excess_usd)} per 30 days`;
  },

  describeEpisode(e) {
    const times = (r: number | null) =>
      r === null ? 'no baseline' : `${r.toFixed(2)}× ${money(e.baseline_daily_usd)}/day`;
    if (e.ongoing) {
      return `${money(e.latest_daily_usd)}/day on ${e.latest_day} (${times(e.latest_ratio)}), averaging ${money(e.mean_daily_usd)}/day since ${e.spike_from}, +${money(e.projected_30d_excess_usd ?? 0)} per 30 days`;
    }
    const since = e.rate_since_usd === null ? '' : `, ${money(e.rate_since_usd)}/day since`;
    return `ended ${e.end_day}${since}; ran ${money(e.mean_daily_usd)}/day (${times(e.mean_ratio)}) ${e.spike_from} … ${e.spike_to}, highest ${money(e.peak_value)} on ${e.peak_day}; ${money(e.excess_so_far_usd)} above baseline so far`;
  },
};
