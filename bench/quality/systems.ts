/**
 * The systems the benchmark compares, run over the same `focus` table and the same as-of range:
 * ours (`runDetection`, every as-of day in one pass, both detectors) and the original QB15 query
 * as written and as intended (its SQL takes the as-of range itself).
 */
import type { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { SentinelConfig } from '../../functions/core/config.js';
import { dayRange } from '../../functions/core/dates.js';
import type { DetectResult } from '../../functions/core/detect/contract.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../functions/core/log.js';
import { type BlobStore, fixedClock } from '../../functions/core/ports.js';
import type { DetectorId, IsoDate } from '../../functions/core/types.js';
import { originalQuerySql } from '../qb15-original.js';
import { BENCH_FOCUS } from './focus-table.js';

export type SystemId = 'ours' | 'original-written' | 'original-intended' | 'original-intended-packed';
export const SYSTEMS: SystemId[] = [
  'ours',
  'original-written',
  'original-intended',
  'original-intended-packed',
];

/** One finding, reduced to what scoring reads. */
export interface Alarm {
  detector: DetectorId;
  kind: string;
  account_id: string;
  model: string | null;
  as_of: IsoDate;
  diagnosis: string | null;
}

/** Recent-window length per detector: which as-of days "see" an incident. */
// The watch is scored by the hourly benchmark (bench/quality/hourly/): it has no recent days here.
export const RECENT_DAYS: Record<SystemId, Record<DetectorId, number>> = {
  ours: { 'runaway-inference': 3, 'cache-miss': 7, budget: 3, 'runaway-watch': 0 },
  // The original's recent window is D−3 … D; it has no cache or budget detector.
  'original-written': { 'runaway-inference': 4, 'cache-miss': 7, budget: 3, 'runaway-watch': 0 },
  'original-intended': { 'runaway-inference': 4, 'cache-miss': 7, budget: 3, 'runaway-watch': 0 },
  'original-intended-packed': { 'runaway-inference': 4, 'cache-miss': 7, budget: 3, 'runaway-watch': 0 },
};

/** Nothing is stored: detection runs dry. */
export const noStore: BlobStore = {
  kind: 'store',
  get: async () => undefined,
  put: async () => {
    throw new Error('the quality benchmark runs detection dry');
  },
  list: async () => [],
  delete: async () => {},
  describe: () => '(none)',
};

export interface OursOutcome {
  alarms: Alarm[];
  result: DetectResult;
}

export async function runOurs(
  engine: DuckDbQueryEngine,
  config: SentinelConfig,
  range: { from: IsoDate; to: IsoDate },
  detectors: DetectorId[] = ['runaway-inference', 'cache-miss'],
): Promise<OursOutcome> {
  const result = await runDetection(
    {
      engine,
      focus: BENCH_FOCUS,
      store: noStore,
      clock: fixedClock(`${range.to}T12:00:00Z`),
      log: silentLogger(),
    },
    config,
    {
      asOfDays: dayRange(range.from, range.to),
      detectors,
      runId: 'bench-quality',
      command: 'detect',
      dryRun: true,
      recurringExemptionOff: [],
    },
  );
  return {
    result,
    alarms: result.findings.map((f) => ({
      detector: f.detector,
      kind: f.kind,
      account_id: f.account_id,
      model: f.model,
      as_of: f.as_of,
      diagnosis: f.diagnosis,
    })),
  };
}

/**
 * The original query over the accounts of one organization (`accounts`: a view over just those),
 * or over the whole packed table when `accounts` is omitted — where its LIMIT 25 per as-of day
 * binds, because hundreds of scenario accounts spike at once.
 */
export async function runOriginal(
  engine: DuckDbQueryEngine,
  range: { from: IsoDate; to: IsoDate },
  asIntended: boolean,
  accounts?: string[],
): Promise<Alarm[]> {
  let focus = BENCH_FOCUS;
  if (accounts) {
    const list = accounts.map((a) => `'${a.replace(/'/g, "''")}'`).join(', ');
    await engine.execute(
      `CREATE OR REPLACE TEMP VIEW focus_organization AS SELECT * FROM focus WHERE subaccountid IN (${list})`,
    );
    focus = { ...BENCH_FOCUS, name: 'focus_organization' };
  }
  const rows = await engine.query(
    originalQuerySql(focus, { asOfStart: range.from, asOfEnd: range.to, asIntended }),
    { label: asIntended ? 'original (as intended)' : 'original (as written)' },
  );
  return rows.map((row) => ({
    detector: 'runaway-inference' as const,
    kind: 'runaway',
    account_id: String(row.account_id),
    model: null,
    as_of: String(row.as_of),
    diagnosis: null,
  }));
}
