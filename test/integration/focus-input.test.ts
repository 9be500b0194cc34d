/**
 * Reading a local export (docs/detection.md "Input"), through the CLI as a user runs it: every odd-but-valid shape of
 * the same data gives the same findings, and every bad input stops with exit 2 naming the problem.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';
import { generateOrganization } from '../../functions/synthetic/organization.js';
import { writeFocusCsv, writeFocusExport } from '../../functions/synthetic/write-export.js';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'sentinel.js');
const END = '2026-03-20';
const RANGE = ['--from', '2026-03-14', '--to', END];

let work: string;
let rows: FocusRow[];
let plain: string;

function sentinel(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: work,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Findings of a detect run, run id aside. */
function detectJson(focus: string, env: Record<string, string> = {}, extra: string[] = []): unknown[] {
  const out = mkdtempSync(join(work, 'out-'));
  const r = sentinel(['detect', '--focus', focus, ...RANGE, '--out', out, '--json', ...extra], env);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { run_id: _run, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

/**
 * Paths where two finding lists differ. Numbers are rounded to 1e-6 (docs/findings.md) and compare within
 * one step of it: DuckDB sums in parallel, so a sum that lands on a rounding boundary may round
 * either way depending on the order the files are read (docs/findings.md: engines agree within 1e-6 USD).
 */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1.000001e-6 ? [] : [`${path}: ${a} vs ${b}`];
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

const expectSame = (actual: unknown[], expected: unknown[]) => {
  expect(actual.length).toBe(expected.length);
  expect(differences(actual, expected).slice(0, 5)).toEqual([]);
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sentinel-input-'));
  rows = generateOrganization({ seed: 7, accounts: 10, days: 70, end: END }).rows;
  plain = join(work, 'plain');
  await writeFocusExport(plain, rows);
});

describe('odd but valid inputs give the same findings as the plain export', () => {
  let expected: unknown[];
  beforeAll(() => {
    expected = detectJson(plain);
  });

  it('finds the injected incidents in the plain export', () => {
    expect(expected.length).toBeGreaterThan(3);
  });

  it('reads the data/ folder as well as the export folder', () => {
    expectSame(detectJson(join(plain, 'data')), expected);
  });

  it('reads PascalCase column names (raw export files)', async () => {
    const dir = join(work, 'pascal');
    await writeFocusExport(dir, rows, { columnNaming: 'pascal' });
    expectSame(detectJson(dir), expected);
  });

  it('reads FOCUS 1.0 (usage type in x_usagetype)', async () => {
    const dir = join(work, 'focus10');
    await writeFocusExport(dir, rows, { focusVersion: '1.0' });
    expectSame(detectJson(dir), expected);
  });

  it('reads one CSV file (tags as JSON), and one Parquet file', async () => {
    const csv = join(work, 'export.csv');
    await writeFocusCsv(csv, rows);
    expectSame(detectJson(csv), expected);
    const one = join(work, 'one.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM read_parquet('${plain}/data/*/*.parquet')) TO '${one}' (FORMAT parquet)`,
    );
    connection.closeSync();
    expectSame(detectJson(one), expected);
  });

  it('reads a glob of Parquet files', () => {
    expectSame(detectJson(join(plain, 'data', 'BILLING_PERIOD=*', '*.parquet')), expected);
  });

  it('reads TIMESTAMPTZ columns the same under another TZ', async () => {
    const dir = join(work, 'tz');
    await writeFocusExport(dir, rows, { timestampType: 'TIMESTAMPTZ' });
    expectSame(detectJson(dir, { TZ: 'America/Los_Angeles' }), expected);
    expectSame(detectJson(plain, { TZ: 'Asia/Kolkata' }), expected);
  });

  it('reads exactly the files the manifests list (a stray file beside them is ignored)', () => {
    const dir = join(work, 'manifested');
    cpSync(plain, dir, { recursive: true });
    const period = readdirSync(join(dir, 'data')).sort().at(-1)!;
    const file = readdirSync(join(dir, 'data', period))[0]!;
    copyFileSync(join(dir, 'data', period, file), join(dir, 'data', period, 'stray-copy.parquet'));
    expectSame(detectJson(dir), expected);
  });

  it('reads only the newest delivery of a period and warns about the others', () => {
    const dir = join(work, 'deliveries');
    cpSync(plain, dir, { recursive: true });
    rmSync(join(dir, 'metadata'), { recursive: true });
    const period = readdirSync(join(dir, 'data')).sort().at(-1)!;
    const file = readdirSync(join(dir, 'data', period))[0]!;
    for (const delivery of ['20260301T000000Z', '20260321T000000Z']) {
      mkdirSync(join(dir, 'data', period, delivery));
      copyFileSync(join(dir, 'data', period, file), join(dir, 'data', period, delivery, file));
    }
    rmSync(join(dir, 'data', period, file));
    expectSame(detectJson(dir), expected);
    const r = sentinel(['detect', '--focus', dir, ...RANGE, '--out', join(work, 'o-deliv')]);
    expect(r.stderr).toContain(
      'several deliveries: reading only 20260321T000000Z, ignoring 20260301T000000Z',
    );
  });

  it('skips rows with a NULL account or a NULL/NaN cost, with one warning per column', async () => {
    const dir = join(work, 'nulls');
    const broken: FocusRow[] = [
      ...rows,
      { ...rows.at(-1)!, subaccountid: null },
      { ...rows.at(-2)!, billedcost: null },
      { ...rows.at(-3)!, billedcost: Number.NaN },
    ];
    await writeFocusExport(dir, broken);
    expectSame(detectJson(dir), expected);
    const r = sentinel(['detect', '--focus', dir, ...RANGE, '--out', join(work, 'o-nulls')]);
    expect(r.stderr).toContain('1 rows with a NULL subaccountid were skipped');
    expect(r.stderr).toContain('2 rows with a NULL or NaN billedcost were skipped');
  });
});

describe('bad input: exit 2 with a message naming the problem', () => {
  const expectExit2 = (args: string[], message: RegExp) => {
    const r = sentinel(args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  };

  it('a missing path', () => {
    expectExit2(
      ['detect', '--focus', join(work, 'nope'), '--as-of', END],
      /--focus .*nope: nothing at that path/,
    );
  });

  it('an empty directory', () => {
    const dir = mkdtempSync(join(work, 'empty-'));
    expectExit2(['detect', '--focus', dir, '--as-of', END], /no Parquet or CSV files below/);
  });

  it('a file that is neither Parquet nor CSV', () => {
    const file = join(work, 'bill.xlsx');
    writeFileSync(file, 'not a bill');
    expectExit2(['detect', '--focus', file, '--as-of', END], /bill\.xlsx: not a Parquet or CSV file/);
  });

  it('a corrupt (truncated) Parquet file', () => {
    const file = join(work, 'truncated.parquet');
    writeFileSync(file, Buffer.from('PAR1 this is not really parquet'));
    expectExit2(['detect', '--focus', file, '--as-of', END], /cannot read the export/);
  });

  it('a Parquet file corrupt inside (a damaged data page)', () => {
    const file = join(work, 'damaged.parquet');
    const source = readdirSync(join(plain, 'data')).sort().at(-1)!;
    const bytes = readFileSync(join(plain, 'data', source, readdirSync(join(plain, 'data', source))[0]!));
    for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 3) + 4000; i++) {
      bytes[i] = (bytes[i]! * 7 + 13) % 256;
    }
    writeFileSync(file, bytes);
    expectExit2(
      ['detect', '--focus', file, '--as-of', END],
      /a file of the export cannot be read: .*damaged\.parquet/,
    );
  });

  it('a missing column', async () => {
    const file = join(work, 'no-cost.csv');
    writeFileSync(file, 'chargeperiodstart,subaccountid\n2026-03-01,111111111111\n');
    expectExit2(['detect', '--focus', file, '--as-of', END], /missing columns .*billedcost/);
  });

  it('a cost that is not a number, a timestamp that is not one', async () => {
    const csv = join(work, 'good.csv');
    await writeFocusCsv(csv, rows.slice(0, 50));
    const text = readFileSync(csv, 'utf8').split('\n');
    const header = text[0]!.split(',');
    const bad = (column: string, value: string, name: string) => {
      const index = header.indexOf(column);
      const file = join(work, name);
      const cells = text[1]!.split(',');
      // The first data row gets the bad value (the generator writes no commas inside the first cells used here).
      cells[index] = value;
      writeFileSync(file, [text[0], cells.join(','), ...text.slice(2)].join('\n'));
      return file;
    };
    expectExit2(
      ['detect', '--focus', bad('billedcost', 'twelve', 'cost.csv'), '--as-of', END],
      /column billedcost holds 'twelve', which is not a number/,
    );
    expectExit2(
      ['detect', '--focus', bad('chargeperiodstart', 'yesterday', 'ts.csv'), '--as-of', END],
      /column chargeperiodstart holds 'yesterday', which is not a timestamp/,
    );
  });

  it('tags that are not a JSON object in a CSV', async () => {
    const csv = join(work, 'tags.csv');
    await writeFocusCsv(csv, [{ ...rows[0]!, tags: {}, chargedescription: 'plain' }]);
    const [header, line] = readFileSync(csv, 'utf8').split('\n');
    writeFileSync(csv, `${header}\n${line!.replace('{}', 'agent-run-id:42')}\n`);
    expectExit2(
      ['detect', '--focus', csv, '--as-of', END],
      /column tags holds 'agent-run-id:42', which is not a JSON object of tags/,
    );
  });

  it.each([
    [['--as-of', '2026-02-30'], /--as-of '2026-02-30' is not a calendar date/],
    [['--as-of', 'tomorrow'], /--as-of 'tomorrow' is not a date/],
    [['--from', '2026-03-10', '--to', '2026-03-01'], /--from 2026-03-10 is after --to 2026-03-01/],
    [['--from', '2026-03-10'], /--from and --to go together/],
    [['--as-of', END, '--from', END, '--to', END], /exclude each other/],
    [['--as-of', END, '--detector', 'spend-spike'], /--detector 'spend-spike' is not a detector/],
    [['--as-of', END, '--bogus'], /Unknown option '--bogus'/],
    [['--as-of', END, '--now', 'noon'], /--now 'noon' is not a date-time/],
  ])('flags %j', (flags, message) => {
    expectExit2(['detect', '--focus', plain, ...(flags as string[])], message as RegExp);
  });

  it.each([
    ['detectors:\n  runaway-inference:\n    k: -1\n', /detectors\.runaway-inference\.k/],
    ['detector:\n  runaway-inference: {}\n', /unknown key 'detector'; the keys here are engine, /],
    ['cost_column: amortizedcost\n', /cost_column/],
    ['[1, 2\n', /not valid YAML/],
  ])('config %j', (text, message) => {
    const file = join(work, `cfg-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    expectExit2(['detect', '--focus', plain, '--as-of', END, '--config', file], message);
  });

  it('a config file that does not exist', () => {
    expectExit2(
      ['detect', '--focus', plain, '--as-of', END, '--config', join(work, 'missing.yaml')],
      /cannot read the file/,
    );
  });
});

describe('stale data', () => {
  it('evaluates the covered days, names the rest, exits 3 and publishes Data Stale', () => {
    const out = join(work, 'o-stale');
    const r = sentinel([
      'detect',
      '--focus',
      plain,
      '--from',
      '2026-03-19',
      '--to',
      '2026-03-22',
      '--out',
      out,
    ]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/does not reach as-of 2026-03-21, 2026-03-22; its newest charge is 2026-03-20/);
    expect(r.stdout).toMatch(/over 2 as-of day\(s\)/);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8');
    expect(events).toContain('"detail-type":"Data Stale"');
  });
});
