/** Runs the rendered DuckDB statements of a detection over fixture rows loaded as table `focus`. */
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { parseConfig, type SentinelConfig } from '../../functions/core/config.js';
import { dataWindow } from '../../functions/core/detect/plan.js';
import {
  COMPUTE_TABLE,
  computeSql,
  type FocusTable,
  STAGED_TABLE,
  stagingSql,
} from '../../functions/core/detect/statements.js';
import type { DetectorId, IsoDate } from '../../functions/core/types.js';
import { type FixtureRow, loadFocusTable } from '../fixtures/focus-rows.js';

export const DUCKDB_FOCUS: FocusTable = {
  dialect: 'duckdb',
  name: 'focus',
  usageType: 'skumeter',
};

export function testConfig(overrides: Record<string, unknown> = {}): SentinelConfig {
  return parseConfig(overrides);
}

/** Loads rows, materializes staging for the data window of the as-of days, hands the engine over. */
export async function withStagedFocus<T>(
  rows: FixtureRow[],
  asOfDays: IsoDate[],
  body: (engine: DuckDbQueryEngine, config: SentinelConfig) => Promise<T>,
  options: { config?: SentinelConfig; detectors?: DetectorId[] } = {},
): Promise<T> {
  const config = options.config ?? testConfig();
  const engine = await DuckDbQueryEngine.open();
  try {
    await loadFocusTable(engine, rows);
    const window = dataWindow(options.detectors ?? ['runaway-inference', 'cache-miss'], config, asOfDays);
    await engine.execute(
      `CREATE TEMP TABLE ${STAGED_TABLE} AS ${stagingSql(DUCKDB_FOCUS, config, window, true)}`,
    );
    await engine.execute(`CREATE TEMP TABLE ${COMPUTE_TABLE} AS ${computeSql(DUCKDB_FOCUS, config, window)}`);
    return await body(engine, config);
  } finally {
    await engine.close();
  }
}
