/**
 * The tables of sql/ddl/ on a real Trino: each is created from its Trino rendering (derived from the
 * Athena DDL, OpenX JSON serde as Trino's OPENX_JSON format) over files the code wrote in their own
 * layout, its partitions registered, and every record reads back field for field.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { LocalKillSwitch } from '../../functions/adapters/kill-switch/local.js';
import type { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { parseConfig } from '../../functions/core/config.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock, type Row } from '../../functions/core/ports.js';
import { ATHENA_TABLES, type AthenaTable, tableDdl, trinoTableDdl } from '../../functions/core/sql/ddl.js';
import { testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';
import { focusRow, tokenRow } from '../fixtures/focus-rows.js';
import { DUCKDB_FOCUS, testConfig, withFocus } from './harness.js';
import { createSchema, localDir, localUri, trinoEngine } from './trino-tables.js';

const SCHEMA = 'sentinel_ddl';
const D = '2026-03-20';

/** Equal field by field; numbers to 1e-6 (the JSON holds them rounded, Trino reads doubles). */
function expectSameRecord(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    if (Math.abs((actual as number) - expected) > 1e-6) expect(actual, path).toBe(expected);
    return;
  }
  if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((v, i) => {
      expectSameRecord((actual as unknown[])[i], v, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) {
      expectSameRecord((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}

async function createTable(trino: TrinoQueryEngine, table: AthenaTable, root: string): Promise<void> {
  await trino.execute(`DROP TABLE IF EXISTS hive."${SCHEMA}"."${table}"`);
  await trino.execute(trinoTableDdl(table, { catalog: 'hive', schema: SCHEMA, location: localUri(root) }), {
    label: `create ${table}`,
  });
  if (/PARTITIONED BY/.test(tableDdl(table, { database: SCHEMA, location: 's3://b/p' }))) {
    await trino.execute(`CALL hive.system.sync_partition_metadata('${SCHEMA}', '${table}', 'ADD')`);
  }
}

describe('Trino rendering of the Athena DDL', () => {
  it.each(ATHENA_TABLES)('%s: Trino types, the OpenX serde as OPENX_JSON, partition keys last', (table) => {
    const sql = trinoTableDdl(table, { catalog: 'hive', schema: 'sentinel', location: 's3://results/prod' });
    expect(sql).toContain(`CREATE TABLE IF NOT EXISTS "hive"."sentinel"."${table}" (`);
    expect(sql).toContain("format = 'OPENX_JSON'");
    expect(sql).not.toMatch(/\bstring\b|struct<|`/);
    if (table === 'findings') {
      expect(sql).toMatch(/"as_of" varchar\n\)/);
      expect(sql).toContain("partitioned_by = ARRAY['detector', 'as_of']");
      expect(sql).toContain(`"series" array(row("date" varchar, "cost_usd" double, "hit_ratio" double))`);
    }
  });

  it('refuses a location with a trailing slash or a bad schema name', () => {
    expect(() => trinoTableDdl('runs', { catalog: 'hive', schema: 's', location: 's3://b/p/' })).toThrow(
      /slash/,
    );
    expect(() => trinoTableDdl('runs', { catalog: 'hive', schema: 'x; DROP', location: 's3://b/p' })).toThrow(
      /schema/,
    );
  });
});

describe('the findings table on Trino reads the findings the detectors write', () => {
  let trino: TrinoQueryEngine;
  let root: string;
  let written: Row[];

  beforeAll(async () => {
    trino = trinoEngine(SCHEMA);
    await createSchema(trino, SCHEMA);
    root = mkdtempSync(join(localDir('ddl'), 'findings-'));
    const rows = [
      ...dayRange(addDays(D, -59), D).map((day) =>
        focusRow({
          chargeperiodstart: day,
          billedcost: day >= addDays(D, -2) ? 132 : 7.3,
          tags: { 'agent-run-id': 'r-1' },
        }),
      ),
      ...dayRange(addDays(D, -40), D).flatMap((day) => [
        tokenRow(day, 'input', day >= addDays(D, -6) ? 900e6 : 90e6, 5.5, { subaccountid: '222222222222' }),
        tokenRow(day, 'cache-read', day >= addDays(D, -6) ? 100e6 : 900e6, 0.55, {
          subaccountid: '222222222222',
        }),
      ]),
    ];
    const store = new LocalDirBlobStore(root);
    const result = await withFocus(rows, (engine) =>
      runDetection(
        {
          engine,
          focus: DUCKDB_FOCUS,
          store,
          clock: fixedClock('2026-03-22T06:00:00Z'),
          log: silentLogger(),
        },
        testConfig(),
        {
          asOfDays: [addDays(D, -1), D],
          detectors: ['runaway-inference', 'cache-miss'],
          runId: 'r',
          command: 'detect',
          dryRun: false,
          recurringExemptionOff: [],
        },
      ),
    );
    written = result.findings.map((f) => JSON.parse(JSON.stringify(f)) as Row);
    await createTable(trino, 'findings', root);
  });

  it('reads every finding of both detectors back, field for field', async () => {
    expect(written.map((f) => f.detector)).toEqual(
      expect.arrayContaining(['runaway-inference', 'cache-miss']),
    );
    const rows = await trino.query(`SELECT * FROM hive."${SCHEMA}"."findings"`);
    expect(rows).toHaveLength(written.length);
    for (const finding of written) {
      const row = rows.find((r) => r.finding_id === finding.finding_id);
      expect(row, String(finding.finding_id)).toBeDefined();
      expectSameRecord(row, finding, String(finding.finding_id));
    }
  });

  it('prunes by the partition keys', async () => {
    const rows = await trino.query(
      `SELECT detector, as_of, count(*) AS n FROM hive."${SCHEMA}"."findings" WHERE as_of = '${D}' GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(rows.map((r) => r.detector)).toEqual(['cache-miss', 'runaway-inference']);
  });
});

describe('the case_events and runs tables on Trino read what the case pipeline writes', () => {
  let trino: TrinoQueryEngine;
  let root: string;
  let blobs: Map<string, string>;

  beforeAll(async () => {
    trino = trinoEngine(SCHEMA);
    await createSchema(trino, SCHEMA);
    const findings = [
      makeFinding({ asOf: '2026-03-01' }),
      makeFinding({ asOf: '2026-03-01', detector: 'cache-miss', account: '222222222222' }),
      // A critical runaway the kill switch stops: its case events carry `kill_switch`.
      makeFinding({ asOf: '2026-03-01', account: '333333333333', recent: 500, baseline: 10 }),
    ];
    const { ports, config, store, clock } = testPorts({
      now: '2026-03-03T08:00:00Z',
      findings,
      config: parseConfig({ kill_switch: { mode: 'enforce', accounts: ['333333333333'] } }),
    });
    await runPipeline({ ...ports, killSwitch: new LocalKillSwitch(store, { clock }) }, config, {});
    blobs = store.blobs;
    // The files as the store lays them out under its prefix.
    root = mkdtempSync(join(localDir('ddl'), 'cases-'));
    for (const [key, body] of blobs) {
      mkdirSync(dirname(join(root, key)), { recursive: true });
      writeFileSync(join(root, key), body);
    }
  });

  it.each([
    ['case_events', 'case-events/', 'event_id'],
    ['runs', 'runs/', 'run_id'],
  ] as const)('%s reads every record back, field for field', async (table, prefix, id) => {
    await createTable(trino, table, root);
    const records = [...blobs]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, body]) => ({ key, record: JSON.parse(body) as Row }));
    expect(records.length).toBeGreaterThan(0);
    const rows = await trino.query(`SELECT * FROM hive."${SCHEMA}"."${table}"`);
    expect(rows).toHaveLength(records.length);
    for (const { key, record } of records) {
      const row = rows.find((r) => r[id] === record[id]);
      expect(row, key).toBeDefined();
      expectSameRecord(row, record, key);
      if (table === 'case_events') expect(key).toContain(`event_date=${String(row!.event_date)}/`);
    }
  });
});
