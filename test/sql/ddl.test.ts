/**
 * The Athena tables (sql/ddl/*.sql) against what the code writes: each DDL parses with a Hive
 * grammar, names exactly the fields of its records, and declares types those records read back
 * under (checked by reading real files with DuckDB using the declared types).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { LocalKillSwitch } from '../../functions/adapters/kill-switch/local.js';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { parseConfig } from '../../functions/core/config.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { FINDING_FIELDS } from '../../functions/core/detect/findings.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock } from '../../functions/core/ports.js';
import { ATHENA_TABLES, type AthenaTable, tableDdl, topLevel } from '../../functions/core/sql/ddl.js';
import { testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';
import { focusRow, tokenRow } from '../fixtures/focus-rows.js';
import { hiveSyntaxErrors } from './athena-trino.js';
import { DUCKDB_FOCUS, testConfig, withFocus } from './harness.js';

const ddl = (table: AthenaTable) =>
  tableDdl(table, { database: 'sentinel', location: 's3://sentinel-results/prod' });

interface Column {
  name: string;
  type: string;
}

function columnsOf(list: string): Column[] {
  return topLevel(list).map((part) => {
    const m = /^`([^`]+)`\s+([\s\S]+)$/.exec(part.replace(/\s+/g, ' '));
    if (!m) throw new Error(`cannot read column ${part}`);
    return { name: m[1]!, type: m[2]!.trim() };
  });
}

function parseDdl(sql: string): { columns: Column[]; partitions: Column[] } {
  const body = sql.replace(/^--.*$/gm, '');
  const open = body.indexOf('(', body.indexOf('CREATE EXTERNAL TABLE'));
  let depth = 0;
  let close = open;
  for (let i = open; i < body.length; i++) {
    if (body[i] === '(') depth++;
    if (body[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  const partitioned = /PARTITIONED BY \(([^)]*)\)/.exec(body);
  return {
    columns: columnsOf(body.slice(open + 1, close)),
    partitions: partitioned ? columnsOf(partitioned[1]!) : [],
  };
}

/** A Hive type as DuckDB spells it, so DuckDB reads our files under the declared types. */
function duckType(hive: string): string {
  const t = hive.trim();
  const inner = (prefix: string) => t.slice(prefix.length, -1);
  if (t.startsWith('array<')) return `${duckType(inner('array<'))}[]`;
  if (t.startsWith('map<')) return `MAP(${topLevel(inner('map<')).map(duckType).join(', ')})`;
  if (t.startsWith('struct<')) {
    const fields = topLevel(inner('struct<')).map((f) => {
      const m = /^`?([^`:]+)`?\s*:\s*([\s\S]+)$/.exec(f.trim());
      if (!m) throw new Error(`cannot read struct field ${f}`);
      return `"${m[1]}" ${duckType(m[2]!)}`;
    });
    return `STRUCT(${fields.join(', ')})`;
  }
  const scalar: Record<string, string> = {
    string: 'VARCHAR',
    double: 'DOUBLE',
    int: 'INTEGER',
    bigint: 'BIGINT',
    boolean: 'BOOLEAN',
  };
  if (!scalar[t]) throw new Error(`unmapped Hive type ${t}`);
  return scalar[t];
}

async function readTyped(file: string, columns: Column[]): Promise<Record<string, unknown>[]> {
  const engine = await DuckDbQueryEngine.open();
  try {
    const spec = columns.map((c) => `'${c.name}': '${duckType(c.type).replace(/'/g, "''")}'`).join(', ');
    return await engine.query(
      `SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {${spec}})`,
    );
  } finally {
    await engine.close();
  }
}

describe('Athena DDL', () => {
  it.each(ATHENA_TABLES)('%s parses with a Hive grammar', async (table) => {
    expect(await hiveSyntaxErrors(ddl(table))).toEqual([]);
  });

  it('the grammar check can fail', async () => {
    expect(await hiveSyntaxErrors(ddl('runs').replace('ROW FORMAT SERDE', 'ROW FORMAT SERDES'))).not.toEqual(
      [],
    );
  });

  it('refuses a location with a trailing slash or a bad database name', () => {
    expect(() => tableDdl('runs', { database: 'sentinel', location: 's3://b/p/' })).toThrow(/trailing slash/);
    expect(() => tableDdl('runs', { database: 'x; DROP', location: 's3://b/p' })).toThrow(/database/);
  });
});

describe('the findings table reads the findings the detectors write', () => {
  const D = '2026-03-20';
  let files: string[];

  beforeAll(async () => {
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
    const root = mkdtempSync(join(tmpdir(), 'sentinel-ddl-'));
    await withFocus(rows, (engine) =>
      runDetection(
        {
          engine,
          focus: DUCKDB_FOCUS,
          store: new LocalDirBlobStore(root),
          clock: fixedClock('2026-03-22T06:00:00Z'),
          log: silentLogger(),
        },
        testConfig(),
        {
          asOfDays: [D],
          detectors: ['runaway-inference', 'cache-miss'],
          runId: 'r',
          command: 'detect',
          dryRun: false,
          recurringExemptionOff: [],
        },
      ),
    );
    files = ['runaway-inference', 'cache-miss'].map((d) =>
      join(root, 'findings', `detector=${d}`, `as_of=${D}`, 'findings.jsonl'),
    );
  });

  it('names every finding field once: the partition keys only under PARTITIONED BY', () => {
    const { columns, partitions } = parseDdl(ddl('findings'));
    expect(partitions.map((c) => c.name)).toEqual(['detector', 'as_of']);
    expect(columns.map((c) => c.name)).toEqual(
      FINDING_FIELDS.filter((f) => f !== 'detector' && f !== 'as_of'),
    );
  });

  it('reads both detectors’ findings under the declared types', async () => {
    const { columns } = parseDdl(ddl('findings'));
    const runaway = (await readTyped(files[0]!, columns)).find((f) => f.account_id === '111111111111');
    const [cache] = await readTyped(files[1]!, columns);
    expect(runaway!.kind).toBe('runaway');
    expect(runaway!.spike_ratio as number).toBeCloseTo(132 / 7.3, 6);
    expect((runaway!.breakdown as { tags: { key: string }[] }).tags[0]!.key).toBe('agent-run-id=r-1');
    expect((runaway!.series as unknown[]).length).toBe(30);
    expect(cache!.kind).toBe('cache-regression');
    expect(cache!.model).toBe('Claude4.6Opus');
    expect(cache!.spike_ratio).toBeNull();
  });
});

describe('the case_events and runs tables read what the case pipeline writes', () => {
  let blobs: Map<string, string>;

  beforeAll(async () => {
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
  });

  const writeLines = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-ddl-'));
    mkdirSync(dir, { recursive: true });
    const lines = [...blobs].filter(([key]) => key.startsWith(prefix)).map(([, body]) => body.trim());
    expect(lines.length).toBeGreaterThan(0);
    const file = join(dir, 'records.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };

  it.each([
    ['case_events', 'case-events/', ['event_date']],
    ['runs', 'runs/', []],
  ] as const)(
    '%s names every field of its records and reads them under the declared types',
    async (table, prefix, partitionKeys) => {
      const { columns, partitions } = parseDdl(ddl(table));
      expect(partitions.map((c) => c.name)).toEqual(partitionKeys);
      const file = writeLines(prefix);
      const keys = new Set<string>();
      for (const [key, body] of blobs)
        if (key.startsWith(prefix)) for (const k of Object.keys(JSON.parse(body))) keys.add(k);
      expect(columns.map((c) => c.name).sort()).toEqual([...keys].sort());
      const rows = await readTyped(file, columns);
      expect(rows.length).toBeGreaterThan(0);
    },
  );
});
