/**
 * Detector `cache-miss` (docs/detection.md "Cache miss"): prompt spend rising because prompt caching
 * stopped hitting (`cache-regression`) or is not used on a model that supports it (`cache-absent`).
 * Its statement is sql/cache-miss.sql; this module turns its rows into findings and tells its episode.
 */
import { z } from 'zod';
import type { EpisodeBand } from '../../cases/episode.js';
import { daysBetween } from '../../dates.js';
import { money } from '../../format.js';
import type { Breakdown, CacheMissFinding, DailyFigures, FindingKind } from '../../types.js';
import type { DetectorModule } from '../detector.js';
import {
  driverNotes,
  envelopeOf,
  percent,
  roundRatio,
  roundTokens,
  roundUsd,
  severityOf,
} from '../findings.js';

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

/** sql/cache-miss.sql's columns. */
const rowSchema = z.object({
  account_id: z.string(),
  account_name: z.string().nullable(),
  model: z.string(),
  as_of: z.string(),
  kind: z.enum(['cache-regression', 'cache-absent']),
  recent_days: z.number().int().positive(),
  recent_prompt_cost: z.number().nullable(),
  baseline_prompt_cost: z.number().nullable(),
  baseline_days_covered: z.number(),
  recent_prompt_tokens: z.number().nullable(),
  recent_input_tokens: z.number().nullable(),
  recent_input_cost: z.number().nullable(),
  recent_cache_read_tokens: z.number().nullable(),
  recent_cache_write_tokens: z.number().nullable(),
  recent_output_tokens: z.number().nullable(),
  cache_hit_ratio: z.number().nullable(),
  baseline_cache_hit_ratio: z.number().nullable(),
  avoidable_cost: z.number().nullable(),
  unpriced: z.boolean().nullable(),
});
type CacheMissRow = z.infer<typeof rowSchema>;

const n = (v: number | null) => v ?? 0;
const percentWord = (r: number | null): string => (r === null ? 'n/a' : `${(r * 100).toFixed(0)}%`);

/** The hit ratio a prompt of this finding would reach with the cache working: its baseline, or the configured one. */
const expectedHitRatio = (peak: CacheMissFinding, band: EpisodeBand): number =>
  peak.kind === 'cache-absent' || peak.baseline_cache_hit_ratio === null
    ? band.cacheAbsentExpectedHitRatio
    : peak.baseline_cache_hit_ratio;

export const cacheMiss: DetectorModule<CacheMissFinding, CacheMissRow> = {
  id: 'cache-miss',
  kinds: ['cache-regression', 'cache-absent'],
  subject: 'account-model',
  peakMetric: 'avoidable_cost_usd',
  contextRank: 'uncached_input',
  seriesHitRatio: true,
  allBedrockCharges: false,
  readsStagingDetail: false,
  stoppedLiftsRecurringExemption: false,
  sqlFile: 'cache-miss',
  partial: 'cache-miss',

  windows(config) {
    const c = config.detectors['cache-miss'];
    const baselineFar = c.recent_days + c.baseline_days - 1;
    return {
      recentDays: c.recent_days,
      recentPreceding: c.recent_days - 1,
      baselineNear: c.recent_days,
      baselineFar,
      lookback: baselineFar,
    };
  },

  minBaselineDays: () => null,

  sqlParams(config) {
    const c = config.detectors['cache-miss'];
    return {
      window_columns: [
        'input_tokens',
        'input_cost',
        'cache_read_tokens',
        'cache_read_cost',
        'cache_write_tokens',
        'cache_write_cost',
        'output_tokens',
      ],
      model_window_columns: [
        'input_tokens',
        'input_cost',
        'cache_read_tokens',
        'cache_read_cost',
        'cache_write_tokens',
      ],
      min_weekly_prompt_usd: c.min_weekly_prompt_usd,
      min_hit_ratio_drop: c.min_hit_ratio_drop,
      cache_absent_max_hit_ratio: c.cache_absent_max_hit_ratio,
      cache_absent_min_tokens: c.cache_absent_min_tokens,
      cache_absent_expected_hit_ratio: c.cache_absent_expected_hit_ratio,
      min_avoidable_usd: c.min_avoidable_usd,
      short_days: c.short_days,
      short_preceding: Math.max(0, c.short_days - 1),
      min_daily_hit_ratio_drop: c.min_daily_hit_ratio_drop,
      max_hit_ratio_recovery: c.max_hit_ratio_recovery,
    };
  },

  readRow(raw) {
    const row = rowSchema.parse(raw);
    return {
      as_of: row.as_of,
      account_id: row.account_id,
      account_name: row.account_name ?? row.account_id,
      model: row.model,
      key: row.model,
      kind: row.kind,
      baseline_days_covered: row.baseline_days_covered,
      recent_days: row.recent_days,
      held: row.unpriced === true ? { reason: 'unpriced' } : null,
      figures: row,
    };
  },

  buildFinding(row, context, config, run) {
    const envelope = envelopeOf(this, row, context, config, run);
    const f = row.figures;
    const { recentDays, baselineDays } = envelope;
    const avoidable = roundUsd(n(f.avoidable_cost));
    const projected = roundUsd((avoidable * 30) / recentDays);
    const hitRatio = roundRatio(n(f.cache_hit_ratio));
    const baselineHit = f.baseline_cache_hit_ratio === null ? null : roundRatio(f.baseline_cache_hit_ratio);
    return {
      ...envelope.fields,
      detector: 'cache-miss',
      kind: f.kind,
      model: f.model,
      severity: severityOf(projected, config),
      recent_avg_daily_usd: roundUsd(n(f.recent_prompt_cost) / recentDays),
      baseline_avg_daily_usd: roundUsd(n(f.baseline_prompt_cost) / baselineDays),
      excess_daily_usd: roundUsd(avoidable / recentDays),
      projected_30d_excess_usd: projected,
      diagnosis: cacheDiagnosis({
        kind: f.kind,
        hitRatio,
        baselineHitRatio: baselineHit,
        breakdown: envelope.fields.breakdown,
      }),
      cache_hit_ratio: hitRatio,
      baseline_cache_hit_ratio: baselineHit,
      uncached_input_cost_usd: roundUsd(n(f.recent_input_cost)),
      avoidable_cost_usd: avoidable,
      input_tokens: roundTokens(n(f.recent_input_tokens)),
      cache_read_tokens: roundTokens(n(f.recent_cache_read_tokens)),
      cache_write_tokens: roundTokens(n(f.recent_cache_write_tokens)),
      output_tokens: roundTokens(n(f.recent_output_tokens)),
    };
  },

  peakText: (value) => `${money(value)} avoidable`,
  peakValue: (f) => f.avoidable_cost_usd ?? 0,
  peakDay: (f) => f.recent_end,
  peakRank: (f) => f.avoidable_cost_usd ?? 0,
  episodeStart: (peak) => peak.recent_start,

  aboveBand(peak, band) {
    const floor = (peak.baseline_cache_hit_ratio ?? 1) - band.minHitRatioDrop;
    return (d) => d.hit_ratio !== null && d.hit_ratio < floor;
  },

  /**
   * The day's avoidable cost by the detector's formula, (expected hit ratio − hit ratio) · prompt
   * tokens · (input − cache-read unit price), with the peak's expected ratio and prices. The price
   * difference is the one the peak's avoidable cost was computed with — avoidable / (expected · prompt
   * tokens − cache-read tokens) over its window — so the days of the peak's window sum to its
   * `avoidable_cost_usd`. A day above the expected ratio counts negative, as in the detector's window sum.
   */
  dailyAvoidable(peak, band) {
    const expected = expectedHitRatio(peak, band);
    const prompt = peak.input_tokens + peak.cache_read_tokens + peak.cache_write_tokens;
    const shortfall = expected * prompt - peak.cache_read_tokens;
    const saving = shortfall > 0 ? (peak.avoidable_cost_usd ?? 0) / shortfall : 0;
    return (d: DailyFigures) => roundUsd((expected * d.prompt_tokens - d.cache_read_tokens) * saving);
  },

  excessSoFar(days, peak) {
    const priced = days.filter((d) => d.avoidable_usd !== null);
    // Days recorded before the daily avoidable cost was: the peak's own avoidable cost, as then.
    return priced.length > 0
      ? priced.reduce((s, d) => s + (d.avoidable_usd ?? 0), 0)
      : (peak.avoidable_cost_usd ?? 0);
  },

  /**
   * A cache miss is told by its peak window (a whole window's avoidable cost, never diluted): the
   * peak's severity, the latest finding's projection while ongoing.
   */
  tell({ peak, latest, days, ongoing, newest, spikeFrom, spikeTo }, band) {
    const told = ongoing ? latest : peak;
    const latestDaily = days.find((d) => d.date === newest)?.cost_usd ?? latest.recent_avg_daily_usd;
    const spike = days.filter((d) => d.date >= spikeFrom && d.date <= spikeTo);
    const mean =
      spike.length > 0
        ? spike.reduce((sum, d) => sum + d.cost_usd, 0) / spike.length
        : told.recent_avg_daily_usd;
    return {
      latest_day: newest,
      latest_daily_usd: roundUsd(latestDaily),
      mean_daily_usd: roundUsd(mean),
      spike_days: daysBetween(spikeFrom, spikeTo) + 1,
      baseline_daily_usd: told.baseline_avg_daily_usd,
      latest_ratio: null,
      mean_ratio: null,
      peak_ratio: null,
      excess_daily_usd: ongoing ? latest.excess_daily_usd : null,
      projected_30d_excess_usd: ongoing ? latest.projected_30d_excess_usd : null,
      severity: peak.severity,
      peak_value: peak.avoidable_cost_usd ?? 0,
      peak_day: peak.recent_end,
      band_daily_usd: null,
      band_hit_ratio: roundRatio((peak.baseline_cache_hit_ratio ?? 1) - band.minHitRatioDrop),
      expected_hit_ratio: expectedHitRatio(peak, band),
    };
  },

  emailWords: (peak, basis) => ({
    chartSubject: 'prompt-token',
    chartLine: 'baseline',
    markedLegend:
      peak.kind === 'cache-absent'
        ? 'the days the avoidable cost is counted on'
        : 'on days the hit ratio was down',
    dayFigure: (day) => `hit ratio ${day.hit_ratio === null ? 'n/a' : percentWord(day.hit_ratio)}`,
    bandWords:
      basis.bandHitRatio === null
        ? 'still below the baseline hit ratio'
        : `still below ${percentWord(basis.bandHitRatio)}, the hit ratio a working cache stays above`,
    askQuestion:
      peak.kind === 'cache-absent'
        ? 'will prompt caching be turned on for this model, or is the cost bounded?'
        : 'is caching working again, or is the cost bounded? If this model is meant to run uncached, say it is legitimate and this level will be accepted.',
    flags: { isCacheAbsent: peak.kind === 'cache-absent' },
  }),

  chartMarks: (latest) => ({
    elevated: (p) =>
      p.hit_ratio !== null &&
      latest.baseline_cache_hit_ratio !== null &&
      p.hit_ratio < latest.baseline_cache_hit_ratio - 0.1,
    // A model that never cached has no drop to mark: the days its avoidable cost is counted on are.
    highlighted: (_p, inRecent) =>
      inRecent && (latest.kind === 'cache-absent' || latest.baseline_cache_hit_ratio === null),
    splitAtBaseline: false,
    hitStrip: true,
  }),

  describe(f) {
    const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);
    const days = Math.round((Date.parse(f.recent_end) - Date.parse(f.recent_start)) / 86_400_000) + 1;
    // A model that never cached has no baseline to compare with (docs/emails.md "The episode").
    const before =
      f.kind === 'cache-absent' ? 'caching unused' : `baseline ${pct(f.baseline_cache_hit_ratio)}`;
    return `hit ratio ${pct(f.cache_hit_ratio)} (${before}), avoidable ${money(f.avoidable_cost_usd ?? 0)} per ${days} days, +${money(f.projected_30d_excess_usd)} per 30 days`;
  },

  describeEpisode(e, peak, latest) {
    if (e.ongoing) return this.describe(latest);
    return `ended ${e.end_day} (hit ratio back); peak avoidable ${money(peak.avoidable_cost_usd ?? 0)} as-of ${peak.as_of}; ${money(e.excess_so_far_usd)} avoidable so far`;
  },
};
