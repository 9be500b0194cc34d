/**
 * The episode of a case in its current epoch (docs/emails.md "The episode"): what every email, the case
 * record, the case events and the digest say about it, computed once here from what detection runs
 * recorded on the case. Pure.
 *
 * - every run that evaluates the case's detector records the daily figure of each evaluated day not
 *   yet recorded, whether or not it fired (the quiet days after a spike are what "since" rests on);
 * - ongoing when the newest evaluated as-of day fired, else ended;
 * - the end day is the first day after the last day above the peak's band (runaway: the peak's
 *   baseline + k·σ, or + $1.00 where σ is 0; cache-miss: hit ratio below the peak's baseline hit
 *   ratio − min_hit_ratio_drop); the rate since is the mean daily figure from the end day through
 *   the newest evaluated day;
 * - excess so far: Σ from `started_on` (cache-miss: the peak's recent window start) to the day
 *   before the end day (or the newest day) of daily cost − the peak's baseline (runaway), or of the
 *   daily avoidable cost (cache-miss).
 */
import { addDays } from '../dates.js';
import { roundUsd } from '../detect/findings.js';
import { detectorFor } from '../detect/registry.js';
import type { DailyFigures, Finding, IsoDate, Severity } from '../types.js';

export type PeakMetric = 'recent_avg_daily_usd' | 'avoidable_cost_usd' | 'projected_30d_excess_usd';

/** The daily figure of one evaluated day: the account's Bedrock cost (cache-miss: prompt-token cost and hit ratio). */
export interface EpisodeDay {
  date: IsoDate;
  cost_usd: number;
  hit_ratio: number | null;
  /**
   * Cache-miss: the day's avoidable cost against the peak's expected hit ratio and prices. Null on
   * runaway, and on days recorded without token counts (case files from before it was recorded).
   */
  avoidable_usd: number | null;
}

export interface CaseEpisode {
  /** Newest as-of day a detection run evaluated for this case's detector (null: none yet). */
  newest_evaluated: IsoDate | null;
  ongoing: boolean;
  end_day: IsoDate | null;
  rate_since_usd: number | null;
  excess_so_far_usd: number;
  /** Daily figures recorded so far in the epoch, by date. */
  days: EpisodeDay[];
}

export interface EpisodeBand {
  /** Runaway band: baseline + k·σ (docs/detection.md "Runaway inference"). */
  k: number;
  /** Cache-miss: back above baseline hit ratio − this drop. */
  minHitRatioDrop: number;
  /** Cache-absent: the hit ratio a cached prompt would reach, the detector's expected ratio (docs/detection.md "Cache miss"). */
  cacheAbsentExpectedHitRatio: number;
}

export const DEFAULT_BAND: EpisodeBand = { k: 2, minHitRatioDrop: 0.2, cacheAbsentExpectedHitRatio: 0.5 };
const MAX_DAYS = 90;

export const peakMetricOf = (f: Pick<Finding, 'detector'>): PeakMetric => detectorFor(f).peakMetric;

/** What the peak measures: `recent_avg_daily_usd`, or a cache detector's `avoidable_cost_usd`. */
export const peakValueOf = (f: Finding): number => detectorFor(f).peakValue(f);

export function emptyEpisode(): CaseEpisode {
  return {
    newest_evaluated: null,
    ongoing: true,
    end_day: null,
    rate_since_usd: null,
    excess_so_far_usd: 0,
    days: [],
  };
}

const byDate = (a: EpisodeDay, b: EpisodeDay) => a.date.localeCompare(b.date);

/**
 * Days already recorded keep their figure; only a cache-miss day recorded from a finding's series
 * (no token counts, so no avoidable cost) is completed by a run's daily figures for it.
 */
function withDays(days: EpisodeDay[], added: EpisodeDay[]): EpisodeDay[] {
  const known = new Map(days.map((d) => [d.date, d]));
  for (const d of added) {
    const recorded = known.get(d.date);
    if (!recorded || (recorded.avoidable_usd === null && d.avoidable_usd !== null)) known.set(d.date, d);
  }
  return [...known.values()].sort(byDate).slice(-MAX_DAYS);
}

/** The day's avoidable cost of a cache detector's day (null for the others), against the peak. */
export const avoidableOf = (peak: Finding, band: EpisodeBand): ((d: DailyFigures) => number | null) =>
  detectorFor(peak).dailyAvoidable(peak, band);

/** Adds the daily figures a run read to the recorded days (days already recorded keep their figure). */
export function recordDays(
  days: EpisodeDay[],
  figures: DailyFigures[],
  peak: Finding,
  band: EpisodeBand = DEFAULT_BAND,
): EpisodeDay[] {
  const avoidable = avoidableOf(peak, band);
  return withDays(
    days,
    figures.map((f) => ({
      date: f.date,
      cost_usd: f.cost_usd,
      hit_ratio: f.hit_ratio,
      avoidable_usd: avoidable(f),
    })),
  );
}

/** Adds a finding's daily series to the recorded days (no token counts there: no avoidable cost). */
export function recordSeries(days: EpisodeDay[], finding: Finding): EpisodeDay[] {
  return withDays(
    days,
    finding.series.map((p) => ({
      date: p.date,
      cost_usd: p.cost_usd,
      hit_ratio: p.hit_ratio,
      avoidable_usd: null,
    })),
  );
}

/** The episode from the peak, the newest firing day and the recorded days. */
export function computeEpisode(
  input: { peak: Finding; lastFiring: IsoDate; newestEvaluated: IsoDate | null; days: EpisodeDay[] },
  band: EpisodeBand = DEFAULT_BAND,
): CaseEpisode {
  const { peak, lastFiring, days } = input;
  const newest = input.newestEvaluated ?? lastFiring;
  const ongoing = newest <= lastFiring;
  const known = days.filter((d) => d.date <= newest);
  const detector = detectorFor(peak);
  const above = detector.aboveBand(peak, band);
  const lastAbove = [...known].reverse().find(above)?.date ?? null;
  const endDay = ongoing ? null : lastAbove ? addDays(lastAbove, 1) : addDays(lastFiring, 1);
  const since = endDay ? known.filter((d) => d.date >= endDay) : [];
  const rateSince =
    since.length > 0 ? roundUsd(since.reduce((s, d) => s + d.cost_usd, 0) / since.length) : null;
  const from = detector.episodeStart(peak);
  const through = endDay ? addDays(endDay, -1) : newest;
  const episodeDays = known.filter((d) => d.date >= from && d.date <= through);
  const excess = detector.excessSoFar(episodeDays, peak);
  return {
    newest_evaluated: input.newestEvaluated,
    ongoing,
    end_day: endDay,
    rate_since_usd: rateSince,
    excess_so_far_usd: roundUsd(excess),
    days,
  };
}

/**
 * The episode's figures as every message, the case events and the digest state them (docs/emails.md):
 * one function, so an email and the event of the same transition cannot disagree.
 */
export interface EpisodeFigures {
  /** The peak's `recent_avg_daily_usd` (runaway) or `avoidable_cost_usd` (cache-miss). */
  peak_value: number;
  peak_metric: PeakMetric;
  /** The as-of day of the peak finding: its numbers, dates, severity and breakdown are the headline. */
  peak_as_of: IsoDate;
  /** The peak's severity, the one shown. */
  severity: Severity;
  /** The days the spike ran: the peak's `started_on` (or recent start) to its recent end, or to the day before the end day. */
  spike_from: IsoDate;
  spike_to: IsoDate;
  ongoing: boolean;
  end_day: IsoDate | null;
  rate_since_usd: number | null;
  excess_so_far_usd: number;
}

export function episodeFigures(c: {
  peak: Finding;
  peak_value: number;
  peak_metric: PeakMetric;
  episode: CaseEpisode;
}): EpisodeFigures {
  const { peak, episode: e } = c;
  const ended = !e.ongoing && e.end_day !== null;
  const spikeTo = ended ? addDays(e.end_day!, -1) : peak.recent_end;
  const spikeFrom = detectorFor(peak).episodeStart(peak);
  return {
    peak_value: c.peak_value,
    peak_metric: c.peak_metric,
    peak_as_of: peak.as_of,
    severity: peak.severity,
    spike_from: [spikeFrom, spikeTo].sort()[0]!,
    spike_to: spikeTo,
    ongoing: e.ongoing,
    end_day: e.ongoing ? null : e.end_day,
    rate_since_usd: e.ongoing ? null : e.rate_since_usd,
    excess_so_far_usd: e.excess_so_far_usd,
  };
}
