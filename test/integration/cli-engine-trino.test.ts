/**
 * `--engine trino` as a user runs it: `sentinel detect` through the composition root against the
 * real Trino of this test run, over a Hive table of a generated export, finds what the embedded
 * DuckDB finds over the same files; a table that does not exist is exit 2 naming it.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { recordOf } from '../../functions/core/detect/findings.js';
import type { Finding } from '../../functions/core/types.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';
import {
  createManagedSchema,
  hiveTableOverParquet,
  localDir,
  trinoEngine,
  trinoServer,
} from '../sql/trino-tables.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const BIN = resolve('bin/sentinel.js');
const NOW = '2026-03-03T08:00:00Z';
let work: string;
let exportDir: string;
let configFile: string;

const sentinel = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const findings = (stdout: string): Finding[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Finding);

beforeAll(async () => {
  work = mkdtempSync(join(localDir(), 'cli-engine-'));
  const org = await writeSyntheticOrganization(join(work, 'gen'), {
    seed: 11,
    accounts: 12,
    days: 75,
    end: '2026-03-01',
  });
  exportDir = org.exportDir;
  const duckdb = await DuckDbQueryEngine.open();
  try {
    await hiveTableOverParquet(trinoEngine('cli'), duckdb, {
      schema: 'cli',
      table: 'focus_export',
      dataDir: join(exportDir, 'data'),
    });
    // Where a run creates (and drops) its CTAS staging tables.
    await createManagedSchema(trinoEngine('cli'), 'cli_sentinel');
  } finally {
    await duckdb.close();
  }
  const server = trinoServer();
  configFile = join(work, 'trino.yml');
  writeFileSync(
    configFile,
    `engine: trino\nfocus: cli.focus_export\ntrino:\n  server: ${server.url}\n  catalog: ${server.catalog}\n  schema: cli\n  user: sentinel-cli\n  sentinel_schema: cli_sentinel\n`,
  );
});

describe('sentinel detect --engine trino', () => {
  it('finds on Trino what DuckDB finds over the same export, field for field', () => {
    const days = ['--from', '2026-02-24', '--to', '2026-03-01', '--now', NOW, '--json'];
    const onDuckdb = sentinel('detect', '--focus', exportDir, '--out', join(work, 'out-duckdb'), ...days);
    expect(onDuckdb.status, onDuckdb.stderr).toBe(0);
    const onTrino = sentinel('detect', '--config', configFile, '--out', join(work, 'out-trino'), ...days);
    expect(onTrino.status, onTrino.stderr).toBe(0);
    const a = findings(onDuckdb.stdout);
    const b = findings(onTrino.stdout);
    expect(a.length).toBeGreaterThan(0);
    expect(b.map((f) => f.finding_id)).toEqual(a.map((f) => f.finding_id));
    for (const [i, f] of a.entries()) {
      const g = b[i]!;
      expect(g.kind).toBe(f.kind);
      expect(g.severity).toBe(f.severity);
      expect(recordOf(g).started_on).toBe(recordOf(f).started_on);
      expect(Math.abs(g.recent_avg_daily_usd - f.recent_avg_daily_usd)).toBeLessThan(1e-6);
      expect(Math.abs(g.projected_30d_excess_usd - f.projected_30d_excess_usd)).toBeLessThan(1e-6);
    }
  });

  it('creates its CTAS staging tables once per run and drops them at the end', async () => {
    const left = await trinoEngine('cli').query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'cli_sentinel'`,
    );
    expect(left).toEqual([]);
  });

  it("drops a crashed run's staging table (older than twice the detect timeout), never a younger one", async () => {
    const trino = trinoEngine('cli');
    // Named as the runs name them: the creation time (UTC) is in the name; NOW is 08:00:00.
    const crashed = 'sentinel_staging_20260303070000_0badc0de';
    const concurrent = 'sentinel_staging_20260303074500_c0ffee00';
    for (const name of [crashed, concurrent])
      await trino.execute(`CREATE TABLE "cli_sentinel"."${name}" AS SELECT 1 AS x`);
    try {
      const result = sentinel(
        'detect',
        '--config',
        configFile,
        '--out',
        join(work, 'out-stale'),
        '--as-of',
        '2026-03-01',
        '--now',
        NOW,
      );
      expect(result.status, result.stderr).toBe(0);
      const left = await trino.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'cli_sentinel'`,
      );
      expect(left.map((r) => r.table_name)).toEqual([concurrent]);
    } finally {
      for (const name of [crashed, concurrent])
        await trino.execute(`DROP TABLE IF EXISTS "cli_sentinel"."${name}"`);
    }
  });

  it('a FOCUS table that does not exist is exit 2 naming it', () => {
    const result = sentinel(
      'detect',
      '--config',
      configFile,
      '--focus',
      'cli.no_such_export',
      '--out',
      join(work, 'x'),
      '--now',
      NOW,
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cli\.no_such_export/);
  });
});
