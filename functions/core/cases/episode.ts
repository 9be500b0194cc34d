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
 *   daily avoidable cost (cache-miss);
 * - what the owner reads (the telling): the detector says it from the recorded days — runaway: the
 *   newest day's cost and the mean since the start, never the detector's 3-day mean; severity and
 *   projection on the newest day's excess while ongoing, on the excess so far once ended.
 */
import { addDays } from '../dates.js';
import { roundUsd } from '../detect/findings.js';
import { detectorFor } from '../detect/registry.js';
import type { DailyFigures, Finding, IsoDate, Severity } from '../types.js';

/** What `peak_value` measures: a runaway episode's highest day, a cache detector's avoidable cost, a budget's excess. */
export type PeakMetric = 'daily_cost_usd' | 'avoidable_cost_usd' | 'projected_30d_excess_usd';

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

/**
 * What the owner reads of the episode (docs/emails.md "The episode"), told by its detector from the
 * recorded days with the run's settings, and stored on the case so a reminder tells what the run saw.
 */
export interface EpisodeTelling {
  /** The newest evaluated day and its daily figure (runaway: that day's Bedrock cost). */
  latest_day: IsoDate;
  latest_daily_usd: number;
  /** The mean daily figure over the spike's days (`spike_from` through `spike_to`). */
  mean_daily_usd: number;
  /** Days from `spike_from` through `spike_to`. */
  spike_days: number;
  /** The baseline the figures are told against: the latest finding's while ongoing, the peak's once ended. */
  baseline_daily_usd: number;
  /** latest, mean and peak ÷ baseline (null without a baseline to divide by: a new spender). */
  latest_ratio: number | null;
  mean_ratio: number | null;
  peak_ratio: number | null;
  /** Ongoing: the latest day's excess over the baseline and 30 × it (cache-miss: the latest finding's); null once ended. */
  excess_daily_usd: number | null;
  projected_30d_excess_usd: number | null;
  /** The severity shown: on the projection while ongoing, on the excess so far once ended (runaway). */
  severity: Severity;
  /** The peak (runaway: the highest recorded day of the spike; cache-miss: the peak window's avoidable cost) and its day. */
  peak_value: number;
  peak_day: IsoDate;
  /** Runaway: what a day must cost to count as above the baseline (the peak's baseline + k·σ). */
  band_daily_usd: number | null;
  /** Cache-miss: a day below this hit ratio still misses; the hit ratio the avoidable cost assumes. */
  band_hit_ratio: number | null;
  expected_hit_ratio: number | null;
}

export interface CaseEpisode {
  /** Newest as-of day a detection run evaluated for this case's detector (null: none yet). */
  newest_evaluated: IsoDate | null;
  ongoing: boolean;
  end_day: IsoDate | null;
  rate_since_usd: number | null;
  excess_so_far_usd: number;
  /** The days the spike ran: its first day above the band through the newest day, or the day before the end day. */
  spike_from: IsoDate | null;
  spike_to: IsoDate | null;
  /** What the owner reads; null before a run recorded the epoch (or in a case file from before it was stored). */
  told: EpisodeTelling | null;
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
  /** Severity thresholds (`severity.critical_usd`, `severity.high_usd`). */
  criticalUsd: number;
  highUsd: number;
}

export const DEFAULT_BAND: EpisodeBand = {
  k: 2,
  minHitRatioDrop: 0.2,
  cacheAbsentExpectedHitRatio: 0.5,
  criticalUsd: 10_000,
  highUsd: 1_000,
};
const MAX_DAYS = 90;

export const peakMetricOf = (f: Pick<Finding, 'detector'>): PeakMetric => detectorFor(f).peakMetric;

/** What the peak measures: a runaway finding's highest day in its recent window, or a cache detector's `avoidable_cost_usd`. */
export const peakValueOf = (f: Finding): number => detectorFor(f).peakValue(f);

export function emptyEpisode(): CaseEpisode {
  return {
    newest_evaluated: null,
    ongoing: true,
    end_day: null,
    rate_since_usd: null,
    excess_so_far_usd: 0,
    spike_from: null,
    spike_to: null,
    told: null,
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

/**
 * The episode from the peak, the latest finding, the newest firing day and the recorded days. The
 * spike starts at the earliest first day above the band any finding of the epoch saw (`start`), but
 * after `after`: a re-opened epoch's `resolved_on` (docs/cases.md).
 */
export function computeEpisode(
  input: {
    peak: Finding;
    latest?: Finding;
    lastFiring: IsoDate;
    newestEvaluated: IsoDate | null;
    days: EpisodeDay[];
    /** The spike's first day as recorded so far in the epoch (an earlier finding may have seen it start sooner). */
    start?: IsoDate | null;
    after?: IsoDate | null;
  },
  band: EpisodeBand = DEFAULT_BAND,
): CaseEpisode {
  const { peak, lastFiring, days } = input;
  const latest = input.latest ?? peak;
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
  const starts = [
    detector.episodeStart(peak),
    detectorFor(latest).episodeStart(latest),
    ...(input.start ? [input.start] : []),
  ].sort();
  let from = starts[0]!;
  if (input.after && from <= input.after) from = addDays(input.after, 1);
  const through = endDay ? addDays(endDay, -1) : newest;
  if (from > through) from = through;
  const episodeDays = known.filter((d) => d.date >= from && d.date <= through);
  const excess = roundUsd(detector.excessSoFar(episodeDays, peak));
  return {
    newest_evaluated: input.newestEvaluated,
    ongoing,
    end_day: endDay,
    rate_since_usd: rateSince,
    excess_so_far_usd: excess,
    spike_from: from,
    spike_to: through,
    told: detector.tell(
      { peak, latest, days: known, ongoing, newest, spikeFrom: from, spikeTo: through, excessSoFar: excess },
      band,
    ),
    days,
  };
}

/**
 * The episode's figures as every message, the case record, the case events and the digest state
 * them (docs/emails.md "The episode"): one function, so an email and the event of the same
 * transition cannot disagree.
 */
export interface EpisodeFigures {
  /** Runaway: the epoch's highest day; cache-miss: the peak's avoidable cost. */
  peak_value: number;
  peak_metric: PeakMetric;
  /** The as-of day of the peak finding: its breakdown and diagnosis are the headline's. */
  peak_as_of: IsoDate;
  /** The day the peak value was reached. */
  peak_day: IsoDate;
  /** The severity shown (the telling's): on the projection while ongoing, on the excess so far once ended. */
  severity: Severity;
  /** The days the spike ran: its first day above the band to the newest day, or to the day before the end day. */
  spike_from: IsoDate;
  spike_to: IsoDate;
  ongoing: boolean;
  end_day: IsoDate | null;
  rate_since_usd: number | null;
  excess_so_far_usd: number;
  /** The newest evaluated day and its figure; the mean over the spike's days; the baseline they are told against. */
  latest_day: IsoDate;
  latest_daily_usd: number;
  mean_daily_usd: number;
  spike_days: number;
  baseline_daily_usd: number;
  latest_ratio: number | null;
  mean_ratio: number | null;
  peak_ratio: number | null;
  /** Ongoing only: the latest day's excess per day and over 30 days. */
  excess_daily_usd: number | null;
  projected_30d_excess_usd: number | null;
  band_daily_usd: number | null;
  band_hit_ratio: number | null;
  expected_hit_ratio: number | null;
}

export function episodeFigures(c: {
  peak: Finding;
  latest: Finding;
  last_as_of: IsoDate;
  episode: CaseEpisode;
  resolved_on?: IsoDate | null;
}): EpisodeFigures {
  const { peak } = c;
  // A case recorded before the telling was stored (or before any run recorded it) is told from what it holds.
  const e =
    c.episode.told && c.episode.spike_from && c.episode.spike_to
      ? c.episode
      : computeEpisode({
          peak,
          latest: c.latest,
          lastFiring: c.last_as_of,
          newestEvaluated: c.episode.newest_evaluated,
          days: c.episode.days,
        });
  const told = e.told!;
  return {
    peak_value: told.peak_value,
    peak_metric: peakMetricOf(peak),
    peak_as_of: peak.as_of,
    peak_day: told.peak_day,
    severity: told.severity,
    spike_from: e.spike_from!,
    spike_to: e.spike_to!,
    ongoing: e.ongoing,
    end_day: e.ongoing ? null : e.end_day,
    rate_since_usd: e.ongoing ? null : e.rate_since_usd,
    excess_so_far_usd: e.excess_so_far_usd,
    latest_day: told.latest_day,
    latest_daily_usd: told.latest_daily_usd,
    mean_daily_usd: told.mean_daily_usd,
    spike_days: told.spike_days,
    baseline_daily_usd: told.baseline_daily_usd,
    latest_ratio: told.latest_ratio,
    mean_ratio: told.mean_ratio,
    peak_ratio: told.peak_ratio,
    excess_daily_usd: e.ongoing ? told.excess_daily_usd : null,
    projected_30d_excess_usd: e.ongoing ? told.projected_30d_excess_usd : null,
    band_daily_usd: told.band_daily_usd,
    band_hit_ratio: told.band_hit_ratio,
    expected_hit_ratio: told.expected_hit_ratio,
  };
}
