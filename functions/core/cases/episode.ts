/**
 * The episode of a case in its current epoch (SPEC §9 "The episode"): what every email, the case
 * record, the case events and the digest say about it, computed once here from what detection runs
 * recorded on the case. Pure.
 *
 * - ongoing when the newest evaluated as-of day fired, else ended;
 * - the end day is the first day after the last day above the peak's band (runaway: the peak's
 *   baseline + k·σ, or + $1.00 where σ is 0; cache-miss: hit ratio below the peak's baseline hit
 *   ratio − min_hit_ratio_drop); the rate since is the mean daily figure from the end day through
 *   the newest evaluated day;
 * - excess so far: Σ from `started_on` to the day before the end day (or the newest day) of daily
 *   cost − the peak's baseline (runaway); cache-miss: the peak's avoidable cost (the daily avoidable
 *   cost is not recorded per day).
 */
import { addDays } from '../dates.js';
import { roundUsd } from '../detect/findings.js';
import type { Finding, IsoDate } from '../types.js';

export type PeakMetric = 'recent_avg_daily_usd' | 'avoidable_cost_usd';

/** The daily figure of one evaluated day: the account's Bedrock cost (cache-miss: prompt-token cost and hit ratio). */
export interface EpisodeDay {
  date: IsoDate;
  cost_usd: number;
  hit_ratio: number | null;
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
  /** Runaway band: baseline + k·σ (SPEC §4). */
  k: number;
  /** Cache-miss: back above baseline hit ratio − this drop. */
  minHitRatioDrop: number;
}

export const DEFAULT_BAND: EpisodeBand = { k: 2, minHitRatioDrop: 0.2 };
const MAX_DAYS = 90;

export const peakMetricOf = (f: Pick<Finding, 'detector'>): PeakMetric =>
  f.detector === 'cache-miss' ? 'avoidable_cost_usd' : 'recent_avg_daily_usd';

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

/** Adds a finding's daily series to the recorded days (days already recorded keep their figure). */
export function recordSeries(days: EpisodeDay[], finding: Finding): EpisodeDay[] {
  const byDate = new Map(days.map((d) => [d.date, d]));
  for (const p of finding.series) {
    if (!byDate.has(p.date))
      byDate.set(p.date, { date: p.date, cost_usd: p.cost_usd, hit_ratio: p.hit_ratio });
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date)).slice(-MAX_DAYS);
}

function aboveBand(peak: Finding, band: EpisodeBand): (d: EpisodeDay) => boolean {
  if (peak.detector === 'cache-miss') {
    const floor = (peak.baseline_cache_hit_ratio ?? 1) - band.minHitRatioDrop;
    return (d) => d.hit_ratio !== null && d.hit_ratio < floor;
  }
  const sigma = peak.baseline_stddev_usd ?? 0;
  const limit = peak.baseline_avg_daily_usd + (sigma > 0 ? band.k * sigma : 1);
  return (d) => d.cost_usd > limit;
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
  const above = aboveBand(peak, band);
  const lastAbove = [...known].reverse().find(above)?.date ?? null;
  const endDay = ongoing ? null : lastAbove ? addDays(lastAbove, 1) : addDays(lastFiring, 1);
  const since = endDay ? known.filter((d) => d.date >= endDay) : [];
  const rateSince =
    since.length > 0 ? roundUsd(since.reduce((s, d) => s + d.cost_usd, 0) / since.length) : null;
  let excess: number;
  if (peak.detector === 'cache-miss') {
    excess = peak.avoidable_cost_usd ?? 0;
  } else {
    const from = peak.started_on ?? peak.recent_start;
    const through = endDay ? addDays(endDay, -1) : newest;
    excess = known
      .filter((d) => d.date >= from && d.date <= through)
      .reduce((s, d) => s + (d.cost_usd - peak.baseline_avg_daily_usd), 0);
  }
  return {
    newest_evaluated: input.newestEvaluated,
    ongoing,
    end_day: endDay,
    rate_since_usd: rateSince,
    excess_so_far_usd: roundUsd(excess),
    days,
  };
}
