/**
 * A billing period delivered twice (an export set to create new files instead of overwriting keeps
 * each delivery in a sub-folder of its period): on Trino, as on Athena, every file below the period
 * is read, so the run names the period and its folders in a warning (docs/detection.md "Input"), from `"$path"`.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { athenaFocusTable } from '../../functions/core/detect/statement-plan.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock } from '../../functions/core/ports.js';
import { focusRow, loadFocusTable } from '../fixtures/focus-rows.js';
import { testConfig } from './harness.js';
import { createManagedSchema, hiveTableOverParquet, localDir, trinoEngine } from './trino-tables.js';

const SCHEMA = 'deliveries';
const STAGING = 'deliveries_staging';
const AS_OF = '2026-03-20';

let trino: TrinoQueryEngine;
let duckdb: DuckDbQueryEngine;

/** One Bedrock row a day, 2026-02-01 … as-of; March written twice, in two delivery folders. */
async function layOut(dir: string): Promise<void> {
  await loadFocusTable(
    duckdb,
    dayRange('2026-02-01', AS_OF).map((d) => focusRow({ chargeperiodstart: d, billedcost: 2 })),
  );
  const copy = (where: string, file: string) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    return duckdb.execute(
      `COPY (SELECT * EXCLUDE (billing_period) FROM focus WHERE ${where}) TO '${join(dir, file)}' (FORMAT parquet)`,
    );
  };
  await copy("billing_period = '2026-02'", 'BILLING_PERIOD=2026-02/export-00001.snappy.parquet');
  await copy(
    "billing_period = '2026-03'",
    'BILLING_PERIOD=2026-03/20260319T0200Z/export-00001.snappy.parquet',
  );
  await copy(
    "billing_period = '2026-03'",
    'BILLING_PERIOD=2026-03/20260320T0200Z/export-00001.snappy.parquet',
  );
}

beforeAll(async () => {
  trino = trinoEngine(SCHEMA);
  duckdb = await DuckDbQueryEngine.open();
  const dir = mkdtempSync(join(localDir('fixtures'), 'deliveries-'));
  await layOut(dir);
  await hiveTableOverParquet(trino, duckdb, { schema: SCHEMA, table: 'focus_export', dataDir: dir });
  await createManagedSchema(trino, STAGING);
});

afterAll(async () => {
  await duckdb?.close();
});

describe('a billing period read from two delivery folders (Trino, the Athena SQL)', () => {
  it('warns naming the period, both folders and their rows, and reads each delivery once per file', async () => {
    const config = testConfig({ focus: `${SCHEMA}.focus_export` });
    const result = await runDetection(
      {
        engine: trino,
        focus: { ...athenaFocusTable(config, 'skumeter'), stagingSchema: STAGING },
        store: new LocalDirBlobStore(mkdtempSync(join(localDir('stores'), 'deliveries-'))),
        clock: fixedClock(`${addDays(AS_OF, 2)}T06:00:00Z`),
        log: silentLogger(),
      },
      config,
      {
        asOfDays: [AS_OF],
        detectors: ['runaway-inference'],
        runId: 'deliveries',
        command: 'detect',
        dryRun: true,
        recurringExemptionOff: [],
      },
    );
    expect(result.warnings).toContain(
      'billing period 2026-03 is read from 2 delivery folders: 20260319T0200Z (20 rows), 20260320T0200Z (20 rows); ' +
        'their rows are summed more than once — set the export to overwrite (DEPLOY.md) and delete the older deliveries',
    );
    expect(result.warnings.filter((w) => w.includes('delivery folders'))).toHaveLength(1);
    // The run dropped its staging table.
    const left = await trino.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${STAGING}'`,
    );
    expect(left).toEqual([]);
  });
});
