/**
 * The tuning grid: the detector statements re-run over the staged rows with other thresholds.
 * A grid point runs only its detector's statement (no context, no finding records), keeping the
 * rows `runDetection` keeps (not held back as recurring, not unpriced); `agreesWithRunDetection`
 * checks on every batch that this gives exactly the findings `runDetection` gives at the defaults.
 */
import type { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { parseConfig, type SentinelConfig } from '../../functions/core/config.js';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { detectorSql, STAGING_TABLE, stagingSql } from '../../functions/core/detect/statement-sql.js';
import type { DetectorId, IsoDate } from '../../functions/core/types.js';
import { BENCH_FOCUS } from './focus-table.js';
import type { Alarm } from './systems.js';

export interface GridPoint {
  /** A detector over the bill (the hourly benchmark grids the watch's rule). */
  detector: Exclude<DetectorId, 'runaway-watch'>;
  /** The knob varied and its value, e.g. `k = 2.5`; several for a joint grid. */
  name: string;
  knobs: Record<string, number>;
  config: SentinelConfig;
}

const runawayPoint = (knobs: Record<string, number>): GridPoint => ({
  detector: 'runaway-inference',
  name: Object.entries(knobs)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', '),
  knobs,
  config: parseConfig({ detectors: { 'runaway-inference': knobs } }),
});

const cachePoint = (knobs: Record<string, number>): GridPoint => ({
  detector: 'cache-miss',
  name: Object.entries(knobs)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', '),
  knobs,
  config: parseConfig({ detectors: { 'cache-miss': knobs } }),
});

/** The cache-miss detector as it was before the short window: the 7-day rule alone. */
export const WEEK_ONLY_POINT: GridPoint = cachePoint({ short_days: 0 });

/**
 * One knob at a time around the shipped defaults (every other knob keeps its default from
 * config.ts), plus k × min_spike_ratio and the cache-miss short window's days × daily drop jointly.
 */
export function gridPoints(): GridPoint[] {
  const points: GridPoint[] = [];
  const seen = new Set<string>();
  const add = (p: GridPoint) => {
    const key = `${p.detector}|${JSON.stringify(p.config.detectors[p.detector])}`;
    if (seen.has(key)) return;
    seen.add(key);
    points.push(p);
  };
  add(runawayPoint({}));
  for (const k of [1.5, 2, 2.5, 3, 4]) {
    for (const ratio of [1.25, 1.5, 1.75, 2, 2.5]) add(runawayPoint({ k, min_spike_ratio: ratio }));
  }
  for (const v of [5, 10, 20, 40]) add(runawayPoint({ min_daily_increase_usd: v }));
  for (const v of [0, 0.5, 0.67, 0.8, 0.9]) add(runawayPoint({ recurring_match: v }));
  for (const v of [25, 50, 100]) add(runawayPoint({ new_spender_daily_usd: v }));
  for (const v of [0.5, 1, 2, 5]) add(runawayPoint({ min_baseline_daily_usd: v }));
  add(cachePoint({}));
  for (const v of [0.1, 0.15, 0.2, 0.25, 0.3]) add(cachePoint({ min_hit_ratio_drop: v }));
  for (const v of [50, 100, 200]) add(cachePoint({ min_weekly_prompt_usd: v }));
  for (const v of [25, 50, 100, 200]) add(cachePoint({ min_avoidable_usd: v }));
  for (const v of [0.02, 0.05, 0.1]) add(cachePoint({ cache_absent_max_hit_ratio: v }));
  for (const v of [25e6, 50e6, 100e6]) add(cachePoint({ cache_absent_min_tokens: v }));
  // The short window: off, and its length × its daily drop jointly; then how much climb it tolerates.
  add(cachePoint({ short_days: 0 }));
  for (const days of [1, 2, 3]) {
    for (const drop of [0.08, 0.1, 0.12, 0.15, 0.2, 0.25]) {
      add(cachePoint({ short_days: days, min_daily_hit_ratio_drop: drop }));
    }
  }
  for (const v of [0, 0.02, 0.05, 0.1, 0.2, 1]) add(cachePoint({ max_hit_ratio_recovery: v }));
  return points;
}

/** Materializes the staging rows the detector statements read (thresholds do not change them). */
export async function stageForGrid(
  engine: DuckDbQueryEngine,
  config: SentinelConfig,
  range: { from: IsoDate; to: IsoDate },
): Promise<void> {
  const window = dataWindow(['runaway-inference', 'cache-miss'], config, [range.from, range.to]);
  await engine.execute(
    `CREATE OR REPLACE TEMP TABLE ${STAGING_TABLE} AS\n${stagingSql(BENCH_FOCUS, config, window, false)}`,
    { label: 'grid staging' },
  );
}

export async function gridAlarms(
  engine: DuckDbQueryEngine,
  point: Pick<GridPoint, 'detector' | 'config'>,
  range: { from: IsoDate; to: IsoDate },
): Promise<Alarm[]> {
  const rows = await engine.query(
    detectorSql(point.detector, BENCH_FOCUS, point.config, {
      asOfStart: range.from,
      asOfEnd: range.to,
      firstCoveredDay: null,
      recurringExemptAccounts: [],
    }),
    { label: `grid ${point.detector}` },
  );
  return rows
    .filter((row) => row.recurring !== true && row.unpriced !== true)
    .map((row) => ({
      detector: point.detector,
      kind: String(row.kind),
      account_id: String(row.account_id),
      model: point.detector === 'cache-miss' ? String(row.model) : null,
      as_of: String(row.as_of),
      diagnosis: null,
    }));
}

const alarmKey = (a: Alarm) => `${a.detector}|${a.account_id}|${a.model ?? ''}|${a.as_of}|${a.kind}`;

/** Differences between two alarm sets (empty when they agree). */
export function alarmDifference(expected: Alarm[], actual: Alarm[]): string[] {
  const want = new Set(expected.map(alarmKey));
  const got = new Set(actual.map(alarmKey));
  return [
    ...[...want].filter((k) => !got.has(k)).map((k) => `missing ${k}`),
    ...[...got].filter((k) => !want.has(k)).map((k) => `extra ${k}`),
  ];
}
