/**
 * Given/expect harness for the SQL files: fixture rows are loaded into a DuckDB table `focus`
 * shaped like the Glue table, and the rendered DuckDB statements run over it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { parseConfig, type SentinelConfig } from '../../functions/core/config.js';
import type { DetectResult } from '../../functions/core/detect/contract.js';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import {
  detectorSql,
  type FocusTable,
  STAGING_TABLE,
  stagingSql,
} from '../../functions/core/detect/statement-sql.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock, type Row } from '../../functions/core/ports.js';
import type { CaseSubject, DetectorId, IsoDate } from '../../functions/core/types.js';
import { type FixtureRow, loadFocusTable } from '../fixtures/focus-rows.js';

export const DUCKDB_FOCUS: FocusTable = {
  dialect: 'duckdb',
  name: 'focus',
  usageType: 'coalesce(skumeter, x_usagetype)',
};

export function testConfig(overrides: Record<string, unknown> = {}): SentinelConfig {
  return parseConfig(overrides);
}

export async function withFocus<T>(
  rows: FixtureRow[],
  body: (engine: DuckDbQueryEngine) => Promise<T>,
): Promise<T> {
  const engine = await DuckDbQueryEngine.open();
  try {
    await loadFocusTable(engine, rows);
    return await body(engine);
  } finally {
    await engine.close();
  }
}

/** Loads rows, materializes staging for the data window of the as-of days, hands the engine over. */
export async function withStagedFocus<T>(
  rows: FixtureRow[],
  asOfDays: IsoDate[],
  body: (engine: DuckDbQueryEngine, config: SentinelConfig) => Promise<T>,
  options: { config?: SentinelConfig; detectors?: DetectorId[] } = {},
): Promise<T> {
  const config = options.config ?? testConfig();
  return withFocus(rows, async (engine) => {
    const window = dataWindow(options.detectors ?? ['runaway-inference', 'cache-miss'], config, asOfDays);
    await engine.execute(
      `CREATE TEMP TABLE ${STAGING_TABLE} AS ${stagingSql(DUCKDB_FOCUS, config, window, true)}`,
    );
    return body(engine, config);
  });
}

/** The detector statement's rows for a range of as-of days (first covered day = earliest fixture day). */
export async function detectorRows(
  detector: DetectorId,
  rows: FixtureRow[],
  asOf: { from: IsoDate; to: IsoDate },
  options: { config?: SentinelConfig; recurringExempt?: string[] } = {},
): Promise<Row[]> {
  const config = options.config ?? testConfig();
  const firstDay = rows.map((r) => r.chargeperiodstart.slice(0, 10)).sort()[0] ?? null;
  return withStagedFocus(
    rows,
    [asOf.from, asOf.to],
    async (engine) =>
      engine.query(
        detectorSql(detector, DUCKDB_FOCUS, config, {
          asOfStart: asOf.from,
          asOfEnd: asOf.to,
          firstCoveredDay: firstDay,
          recurringExemptAccounts: options.recurringExempt ?? [],
        }),
      ),
    { config, detectors: [detector] },
  );
}

/** The whole detection run (coverage, staging, detectors, context, findings) over fixture rows. */
export async function detectOver(
  rows: FixtureRow[],
  asOfDays: IsoDate[],
  options: {
    config?: SentinelConfig;
    detectors?: DetectorId[];
    recurringExempt?: string[];
    /** A run that records on these live cases (docs/emails.md "The episode"); absent: a manual detect. */
    episodeCases?: CaseSubject[];
    /** Daily budget caps (the owners file's, docs/detection.md "Budget"). */
    accountCaps?: { account_id: string; cap_usd: number }[];
  } = {},
): Promise<DetectResult> {
  const config = options.config ?? testConfig();
  return withFocus(rows, async (engine) => {
    const store = new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-sql-')));
    return runDetection(
      { engine, focus: DUCKDB_FOCUS, store, clock: fixedClock('2026-06-01T00:00:00Z'), log: silentLogger() },
      config,
      {
        asOfDays,
        detectors: options.detectors ?? ['runaway-inference', 'cache-miss'],
        runId: 'test-run',
        command: 'detect',
        dryRun: false,
        recurringExemptionOff: options.recurringExempt ?? [],
        ...(options.episodeCases ? { episodeCases: options.episodeCases } : {}),
        ...(options.accountCaps ? { accountCaps: options.accountCaps } : {}),
      },
    );
  });
}
