import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileMetricsSource } from '../../functions/adapters/metrics/file.js';
import { generateOrganization, type IncidentLabel } from '../../functions/synthetic/organization.js';
import { writeFocusCsv, writeFocusExport } from '../../functions/synthetic/write-export.js';

const BIN = resolve('bin/sentinel.js');
const END = '2026-03-10';
let work: string;

function sentinel(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'America/Los_Angeles' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

interface Manifest {
  exportArn: string;
  executionId: string;
  billingPeriod: string;
  columns: { name: string; type: string }[];
  dataFiles: string[];
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sentinel-generate-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('sentinel generate', () => {
  it('writes the AWS export layout, manifests, labels and owners', async () => {
    const out = join(work, 'org');
    const run = sentinel(
      'generate',
      '--out',
      out,
      '--accounts',
      '10',
      '--days',
      '50',
      '--end',
      END,
      '--seed',
      '7',
    );
    expect(run.stderr).toContain('generated');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');

    const periods = readdirSync(join(out, 'export', 'data')).sort();
    expect(periods).toEqual(['BILLING_PERIOD=2026-01', 'BILLING_PERIOD=2026-02', 'BILLING_PERIOD=2026-03']);
    for (const folder of periods) {
      expect(readdirSync(join(out, 'export', 'data', folder))).toEqual(['focus-export-00001.snappy.parquet']);
      const period = folder.slice('BILLING_PERIOD='.length);
      const manifest = JSON.parse(
        readFileSync(join(out, 'export', 'metadata', folder, 'focus-export-Manifest.json'), 'utf8'),
      ) as Manifest;
      expect(manifest.billingPeriod).toBe(period);
      expect(manifest.exportArn).toMatch(/^arn:aws:bcm-data-exports:us-east-1:\d{12}:export\/focus-export-/);
      expect(manifest.executionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(manifest.dataFiles).toHaveLength(1);
      expect(manifest.dataFiles[0]).toMatch(
        new RegExp(`^s3://[^/]+/.+/focus-export/data/${folder}/focus-export-00001\\.snappy\\.parquet$`),
      );
      const types = Object.fromEntries(manifest.columns.map((c) => [c.name, c.type]));
      expect(types).toMatchObject({
        chargeperiodstart: 'timestamp',
        billedcost: 'double',
        tags: 'map<string,string>',
        skumeter: 'string',
        subaccountid: 'string',
      });
    }

    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as IncidentLabel[];
    expect(labels.map((l) => l.family).sort()).toEqual([
      'cache-absent',
      'cache-regression',
      'midweek-spike',
      'new-spender',
      'output-runaway',
      'sudden-runaway',
    ]);
    const owners = readFileSync(join(out, 'owners.csv'), 'utf8').trim().split('\n');
    expect(owners[0]).toBe('account_id,owner_email,account_name,team,cc,environment');
    expect(owners).toHaveLength(1 + 10 - 3);

    const files = `'${join(out, 'export', 'data', '*', '*.parquet')}'`;
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${files})`);
    const columnTypes = Object.fromEntries(described.map((r) => [r.column_name, r.column_type]));
    expect(columnTypes).toMatchObject({
      chargeperiodstart: 'TIMESTAMP',
      billingperiodstart: 'TIMESTAMP',
      billedcost: 'DOUBLE',
      effectivecost: 'DOUBLE',
      consumedquantity: 'DOUBLE',
      tags: 'MAP(VARCHAR, VARCHAR)',
      skumeter: 'VARCHAR',
      chargeclass: 'VARCHAR',
      x_servicecode: 'VARCHAR',
    });
    expect(columnTypes).not.toHaveProperty('x_usagetype');

    const [summary] = await query(`SELECT count(*)::INTEGER AS n,
        count(*) FILTER (WHERE chargeclass = 'Regular')::INTEGER AS regular,
        count(DISTINCT subaccountid)::INTEGER AS accounts,
        min(chargeperiodstart)::DATE::VARCHAR AS first_day,
        max(chargeperiodstart)::DATE::VARCHAR AS last_day,
        count(*) FILTER (WHERE map_extract_value(tags, 'agent-run-id') IS NOT NULL)::INTEGER AS agent_rows
      FROM read_parquet(${files})`);
    expect(summary).toMatchObject({ regular: 0, accounts: 10, last_day: END });
    expect(summary?.first_day).toBe('2026-01-01');
    expect(Number(summary?.agent_rows)).toBeGreaterThan(0);

    // The sudden runaway reads back from Parquet as it was modelled: ~$7/day, then ~$130/day.
    const runaway = labels.find((l) => l.family === 'sudden-runaway');
    const daily = await query(`SELECT chargeperiodstart::DATE::VARCHAR AS day, sum(billedcost) AS cost
      FROM read_parquet(${files})
      WHERE subaccountid = '${runaway?.account_id}' AND x_servicecode = 'AmazonBedrock'
        AND chargecategory = 'Usage' AND chargeclass IS NULL
      GROUP BY 1 ORDER BY 1`);
    const costOn = (day: string) => Number(daily.find((d) => d.day === day)?.cost ?? 0);
    expect(costOn('2026-02-20')).toBeLessThan(9);
    expect(costOn(END)).toBeGreaterThan(110);

    // Bedrock's hourly metrics: the export's tokens per account, model id, day and class, by the hour.
    const metrics = join(out, 'metrics', 'hourly.jsonl');
    expect(run.stderr).toContain(`metrics:  ${metrics}`);
    const rows = await new FileMetricsSource(metrics).hourly({
      from: '2026-01-01T00:00:00Z',
      to: '2026-03-11T00:00:00Z',
    });
    expect(rows.length).toBeGreaterThan(1000);
    const daySums = (list: { key: string; tokens: number }[]) => {
      const m = new Map<string, number>();
      for (const { key, tokens } of list) m.set(key, (m.get(key) ?? 0) + tokens);
      return new Map([...m].filter(([, v]) => v > 0));
    };
    const fromHours = daySums(
      rows.flatMap((r) =>
        (['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens'] as const).map((c) => ({
          key: `${r.account_id}|${r.model_id}|${r.hour.slice(0, 10)}|${c}`,
          tokens: r[c] ?? 0,
        })),
      ),
    );
    const billed = await query(`SELECT subaccountid AS account,
        regexp_extract(resourceid, '[^/]+$') AS model_id,
        chargeperiodstart::DATE::VARCHAR AS day,
        CASE WHEN skumeter ILIKE '%cache-read%' OR skumeter ILIKE '%cacheread%' THEN 'cache_read_tokens'
             WHEN skumeter ILIKE '%cache-write%' OR skumeter ILIKE '%cachewrite%' THEN 'cache_write_tokens'
             WHEN skumeter ILIKE '%input%' THEN 'input_tokens' ELSE 'output_tokens' END AS column_name,
        sum(round(consumedquantity * CASE consumedunit WHEN '1K tokens' THEN 1e3 ELSE 1e6 END))::BIGINT AS tokens
      FROM read_parquet(${files})
      WHERE chargecategory = 'Usage' AND chargeclass IS NULL AND resourceid LIKE 'arn:aws:bedrock:%'
        AND skumeter ILIKE '%token%'
      GROUP BY ALL`);
    const fromBill = daySums(
      billed.map((b) => ({
        key: `${b.account}|${b.model_id}|${b.day}|${b.column_name}`,
        tokens: Number(b.tokens),
      })),
    );
    expect(fromHours).toEqual(fromBill);
  });

  it('writes the same export for the same seed', async () => {
    const digest = async (out: string) =>
      query(`SELECT count(*)::INTEGER AS n, round(sum(billedcost), 6) AS cost,
          md5(string_agg(subaccountid || skumeter || billedcost::VARCHAR, ',' ORDER BY subaccountid, chargeperiodstart, skumeter, billedcost)) AS h
        FROM read_parquet('${join(out, 'export', 'data', '*', '*.parquet')}') WHERE skumeter IS NOT NULL`);
    const a = join(work, 'same-a');
    const b = join(work, 'same-b');
    for (const out of [a, b]) {
      expect(
        sentinel('generate', '--out', out, '--accounts', '8', '--days', '45', '--end', END, '--seed', '3')
          .status,
      ).toBe(0);
    }
    expect(await digest(a)).toEqual(await digest(b));
    const manifest = (out: string) =>
      readFileSync(
        join(out, 'export', 'metadata', 'BILLING_PERIOD=2026-02', 'focus-export-Manifest.json'),
        'utf8',
      );
    expect(manifest(a).replaceAll(a, '')).toBe(manifest(b).replaceAll(b, ''));
    expect(readFileSync(join(a, 'labels.json'), 'utf8')).toBe(readFileSync(join(b, 'labels.json'), 'utf8'));
  });

  it('defaults --end to two days before --now', () => {
    const out = join(work, 'now');
    const run = sentinel(
      'generate',
      '--out',
      out,
      '--accounts',
      '8',
      '--days',
      '45',
      '--now',
      '2026-04-03T10:00:00Z',
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('.. 2026-04-01');
    expect(existsSync(join(out, 'export', 'data', 'BILLING_PERIOD=2026-04'))).toBe(true);
  });

  it('writes about the requested rows in scale mode, with the labelled accounts inside', async () => {
    const out = join(work, 'scale');
    const run = sentinel(
      'generate',
      '--out',
      out,
      '--scale',
      '60000',
      '--accounts',
      '60',
      '--days',
      '50',
      '--end',
      END,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('metrics:  not written in --scale mode');
    expect(existsSync(join(out, 'metrics'))).toBe(false);
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as IncidentLabel[];
    const [summary] =
      await query(`SELECT count(*)::INTEGER AS n, count(DISTINCT subaccountid)::INTEGER AS accounts,
        count(*) FILTER (WHERE subaccountid IN (${labels.map((l) => `'${l.account_id}'`).join(', ')}))::INTEGER AS labelled
      FROM read_parquet('${join(out, 'export', 'data', '*', '*.parquet')}')`);
    expect(Number(summary?.n)).toBeGreaterThan(57_000);
    expect(Number(summary?.n)).toBeLessThanOrEqual(60_000);
    expect(summary?.accounts).toBe(60);
    expect(Number(summary?.labelled)).toBeGreaterThan(0);
  });

  it.each([
    [['--accounts', 'many'], '--accounts'],
    [['--accounts', '3'], '--accounts'],
    [['--days', '10'], '--days'],
    [['--end', '2026-02-30'], '--end'],
    [['--seed', '-1'], '--seed'],
    [['--scale', '12abc'], '--scale'],
    [['--bogus', '1'], 'bogus'],
  ])('refuses %j with exit 2 naming the flag', (flags, named) => {
    const run = sentinel('generate', '--out', join(work, 'bad'), ...flags);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(named);
  });

  it('requires --out', () => {
    const run = sentinel('generate');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--out');
  });
});

describe('FOCUS export writer options', () => {
  const org = generateOrganization({ seed: 5, accounts: 8, days: 45, end: END });

  it('writes raw-export PascalCase names, FOCUS 1.0 usage types and TIMESTAMPTZ columns', async () => {
    const dir = join(work, 'pascal');
    const summary = await writeFocusExport(dir, org.rows, {
      columnNaming: 'pascal',
      focusVersion: '1.0',
      timestampType: 'TIMESTAMPTZ',
      exportName: 'raw-focus',
    });
    expect(summary.rows).toBe(org.rows.length);
    const file = join(dir, 'data', 'BILLING_PERIOD=2026-02', 'raw-focus-00001.snappy.parquet');
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(described.map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({
      ChargePeriodStart: 'TIMESTAMP WITH TIME ZONE',
      BilledCost: 'DOUBLE',
      x_ServiceCode: 'VARCHAR',
      x_UsageType: 'VARCHAR',
      SubAccountId: 'VARCHAR',
      Tags: 'MAP(VARCHAR, VARCHAR)',
    });
    expect(types).not.toHaveProperty('SkuMeter');
    const manifest = JSON.parse(
      readFileSync(join(dir, 'metadata', 'BILLING_PERIOD=2026-02', 'raw-focus-Manifest.json'), 'utf8'),
    ) as Manifest;
    expect(manifest.columns.map((c) => c.name)).toContain('x_UsageType');
  });

  it('writes CSV with the same columns and tags as a JSON object', async () => {
    const file = join(work, 'csv', 'focus.csv');
    const written = await writeFocusCsv(file, org.rows);
    expect(written.rows).toBe(org.rows.length);
    const [first] = await query(`SELECT chargeperiodstart, tags, skumeter
      FROM read_csv('${file}', header = true, all_varchar = true) WHERE tags LIKE '%agent-run-id%' LIMIT 1`);
    expect(String(first?.chargeperiodstart)).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
    expect(JSON.parse(String(first?.tags))).toHaveProperty('agent-run-id');
  });
});
