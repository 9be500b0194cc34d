/**
 * The Athena (Trino) rendering of every statement a run sends, for both detectors and as-of days
 * chosen at month and year edges: it parses as Trino, holds no DuckDB-only construct, prunes every
 * read of the export to the billing periods of its data window, differs from the DuckDB rendering
 * only in the dialect seam's macros, and — mapped back through those macros — finds on DuckDB
 * fixtures exactly what the DuckDB run finds.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { originalQuerySql } from '../../bench/qb15-original.js';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { formatPlan, run as sqlCommand } from '../../functions/cli/sql.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import type { DetectResult } from '../../functions/core/detect/contract.js';
import { recordOf } from '../../functions/core/detect/findings.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { printedPlan } from '../../functions/core/detect/run-plan.js';
import { athenaFocusTable } from '../../functions/core/detect/statement-plan.js';
import type { FocusTable } from '../../functions/core/detect/statement-sql.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock } from '../../functions/core/ports.js';
import { MACROS } from '../../functions/core/sql/dialect.js';
import type { DetectorId, Finding, IsoDate } from '../../functions/core/types.js';
import { type FixtureRow, focusRow, tokenRow } from '../fixtures/focus-rows.js';
import {
  athenaToDuckDb,
  DUCKDB_ONLY,
  daysBefore,
  duckdbOnlyConstructs,
  monthsOfDays,
  periodFilters,
  RecordingEngine,
} from './athena-sql.js';
import { trinoSyntaxErrors } from './athena-trino.js';
import { testConfig, withFocus } from './harness.js';

const ATHENA_TABLE = '"cur"."focus_export"';
const config = testConfig({ focus: 'cur.focus_export' });
const ATHENA: FocusTable = athenaFocusTable(config);
const DUCKDB_TABLES: FocusTable = { dialect: 'duckdb', name: 'focus', usageType: 'skumeter' };
const DUCKDB_CTES: FocusTable = { ...DUCKDB_TABLES, staging: 'ctes' };
const toDuckDb = (sql: string) => athenaToDuckDb(sql, ATHENA_TABLE, 'focus');

/** Data window of each detector, in days before the as-of day (docs/detection.md "Input"). */
const LOOKBACK: Record<Exclude<DetectorId, 'runaway-watch'>, number> = {
  'runaway-inference': 36,
  'cache-miss': 34,
  budget: 6,
};

const AS_OF_CASES: { name: string; days: IsoDate[] }[] = [
  { name: 'mid-month 2026-03-18', days: ['2026-03-18'] },
  ...['01', '02', '03', '04', '05'].map((d) => ({
    name: `2026-04-${d}, after a 31-day month`,
    days: [`2026-04-${d}`],
  })),
  { name: '2025-12-28 … 2026-01-03, across a year boundary', days: dayRange('2025-12-28', '2026-01-03') },
];

// ---- Fixtures: an organization whose numbers are known on the last as-of day E ------------------

const SPIKY = '111111111111';
const STEADY = '222222222222';
const NEWCOMER = '333333333333';
const BASELINE_NOISE = [0.21, -0.21, 0.13, -0.13, 0.05, -0.05, 0.17, -0.17, 0.09, -0.09, 0.11];
const EC2_DAILY = 12;

const offsetsBefore = (end: IsoDate, days: number) =>
  dayRange(addDays(end, -(days - 1)), end).map((day) => ({ day, offset: -dayRange(day, end).length + 1 }));

/** Side traffic every account has: compute (read by context) and storage (read by nothing). */
function sideRows(day: IsoDate, account: string): FixtureRow[] {
  const common = { chargeperiodstart: day, subaccountid: account, x_operation: 'RunInstances', tags: {} };
  return [
    focusRow({
      ...common,
      servicename: 'Amazon Elastic Compute Cloud',
      x_servicecode: 'AmazonEC2',
      skumeter: 'USE1-BoxUsage:m7g.large',
      billedcost: EC2_DAILY,
      effectivecost: EC2_DAILY,
      consumedunit: 'Hrs',
      pricingunit: 'Hrs',
      resourceid: `i-${account}`,
    }),
    focusRow({
      ...common,
      servicename: 'Amazon Simple Storage Service',
      x_servicecode: 'AmazonS3',
      skumeter: 'USE1-TimedStorage-ByteHrs',
      billedcost: 3,
      effectivecost: 3,
      consumedunit: 'GB-Mo',
      pricingunit: 'GB-Mo',
      resourceid: `bucket-${account}`,
    }),
  ];
}

/**
 * docs/detection.md "Reference numbers" runaway on E: baseline $7.32/day (23 noisy days), recent 3 days averaging $132.05; a
 * steady account at $20/day; a new spender at $80/day over the last 3 days only.
 */
function runawayOrganization(end: IsoDate): FixtureRow[] {
  const rows: FixtureRow[] = [];
  for (const { day, offset } of offsetsBefore(end, 60)) {
    const i = -offset - 7;
    const spiky =
      offset >= -2
        ? [130.0, 132.05, 134.1][offset + 2]!
        : i >= 0 && i < 22
          ? 7.32 + BASELINE_NOISE[i % 11]! * (Math.floor(i / 11) % 2 === 0 ? 1 : -1)
          : 7.32;
    const inference = (account: string, cost: number) =>
      focusRow({
        chargeperiodstart: day,
        subaccountid: account,
        subaccountname: `team-${account.slice(0, 3)}`,
        billedcost: cost,
        effectivecost: cost,
        consumedquantity: cost / 5.5,
        tags: { 'agent-run-id': `run-${account.slice(0, 1)}` },
      });
    rows.push(
      inference(SPIKY, spiky),
      inference(STEADY, 20),
      ...sideRows(day, SPIKY),
      ...sideRows(day, STEADY),
    );
    if (offset >= -2) rows.push(inference(NEWCOMER, 80));
  }
  return rows;
}

const PRICE = { input: 5.5, 'cache-read': 0.55, 'cache-write': 6.875, output: 27.5 } as const;

/** docs/detection.md "Reference numbers" cache incident in the 7 days ending E (baseline hit ratio 0.90); a steady cached account. */
function cacheOrganization(end: IsoDate): FixtureRow[] {
  const rows: FixtureRow[] = [];
  const tokens = (day: IsoDate, account: string, mix: Partial<Record<keyof typeof PRICE, number>>) => {
    for (const [cls, n] of Object.entries(mix) as [keyof typeof PRICE, number][]) {
      rows.push(tokenRow(day, cls, n, PRICE[cls], { subaccountid: account }));
    }
  };
  for (const { day, offset } of offsetsBefore(end, 41)) {
    if (offset >= -6) {
      tokens(day, SPIKY, {
        input: 6.47e9 / 7,
        'cache-read': 1.67e9 / 7,
        'cache-write': 101e6 / 7,
        output: 25e6 / 7,
      });
    } else {
      tokens(day, SPIKY, { input: 90e6, 'cache-write': 10e6, 'cache-read': 900e6, output: 5e6 });
    }
    tokens(day, STEADY, { input: 50e6, 'cache-write': 5e6, 'cache-read': 450e6, output: 3e6 });
    rows.push(...sideRows(day, SPIKY));
  }
  return rows;
}

const organization = (detector: DetectorId, end: IsoDate) =>
  detector === 'runaway-inference' ? runawayOrganization(end) : cacheOrganization(end);

// ---- Runs: the same detection over the same rows, three ways ------------------------------------

interface Recorded {
  result: DetectResult;
  sent: { label: string; sql: string }[];
}

async function detectWith(
  focus: FocusTable,
  rows: FixtureRow[],
  detector: DetectorId,
  asOfDays: IsoDate[],
  translate?: (sql: string) => string,
): Promise<Recorded> {
  return withFocus(rows, async (duckdb) => {
    const engine = new RecordingEngine(focus.dialect, duckdb, translate);
    const result = await runDetection(
      {
        engine,
        focus,
        store: new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-athena-'))),
        clock: fixedClock('2026-06-01T00:00:00Z'),
        log: silentLogger(),
      },
      config,
      {
        asOfDays,
        detectors: [detector],
        runId: 'test-run',
        command: 'detect',
        dryRun: true,
        recurringExemptionOff: [],
      },
    );
    return { result, sent: engine.sent };
  });
}

interface Runs {
  /** DuckDB as a run sends it: staging materialized into tables. */
  duckdb: Recorded;
  /** DuckDB with staging as the first CTE of each statement: the shape of the Athena statements. */
  duckdbCtes: Recorded;
  /** The Athena statements, mapped back through the seam macros and run on DuckDB. */
  athena: Recorded;
}

const runs = new Map<string, Promise<Runs>>();

function runsFor(detector: DetectorId, asOfDays: IsoDate[]): Promise<Runs> {
  const key = `${detector} ${asOfDays.join(',')}`;
  let pending = runs.get(key);
  if (!pending) {
    const rows = organization(detector, asOfDays[asOfDays.length - 1]!);
    pending = (async () => ({
      duckdb: await detectWith(DUCKDB_TABLES, rows, detector, asOfDays),
      duckdbCtes: await detectWith(DUCKDB_CTES, rows, detector, asOfDays),
      athena: await detectWith(ATHENA, rows, detector, asOfDays, toDuckDb),
    }))();
    runs.set(key, pending);
  }
  return pending;
}

/** Deep equality with numbers compared to 1e-9 relative (sums may run in another order). */
function expectSameValues(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(1, Math.abs(expected));
    if (Math.abs(actual - expected) > 1e-9 * scale) expect(actual, path).toBe(expected);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((v, i) => {
      expectSameValues((actual as unknown[])[i], v, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) {
      expectSameValues((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}

function expectReferenceFindings(detector: DetectorId, findings: Finding[], lastDay: IsoDate): void {
  const onLastDay = findings.filter((f) => f.as_of === lastDay);
  if (detector === 'runaway-inference') {
    expect(onLastDay.map((f) => [f.account_id, f.kind])).toEqual([
      [SPIKY, 'runaway'],
      [NEWCOMER, 'new-spender'],
    ]);
    const spike = recordOf(onLastDay[0]!);
    expect(spike.baseline_avg_daily_usd).toBeCloseTo(7.32, 2);
    expect(spike.recent_avg_daily_usd).toBeCloseTo(132.05, 2);
    expect(Number(spike.spike_ratio!.toFixed(2))).toBe(18.04);
    expect(spike.excess_daily_usd).toBeCloseTo(124.73, 2);
    expect(spike.projected_30d_excess_usd).toBeCloseTo(3741.9, 1);
    expect(spike.severity).toBe('high');
    expect(spike.compute_recent_avg_daily_usd).toBeCloseTo(EC2_DAILY, 9);
    expect(spike.compute_baseline_avg_daily_usd).toBeCloseTo(EC2_DAILY, 9);
    expect(spike.breakdown.tags.map((t) => t.key)).toEqual(['agent-run-id=run-1']);
    expect(spike.series).toHaveLength(30);
    expect(onLastDay[1]!.recent_avg_daily_usd).toBeCloseTo(80, 9);
  } else {
    expect(onLastDay.map((f) => [f.account_id, f.model, f.kind])).toEqual([
      [SPIKY, 'Claude4.6Opus', 'cache-regression'],
    ]);
    const incident = recordOf(onLastDay[0]!);
    expect(incident.cache_hit_ratio).toBe(0.202645); // 1.67 / 8.241 to 6 decimals (docs/findings.md)
    expect(incident.baseline_cache_hit_ratio).toBeCloseTo(0.9, 12);
    expect(incident.uncached_input_cost_usd).toBeCloseTo(35585.0, 2);
    expect(Math.abs(incident.avoidable_cost_usd! - 28447.155)).toBeLessThan(0.01);
    expect(incident.severity).toBe('critical');
  }
}

// ---- The checks ---------------------------------------------------------------------------------

describe.each(['runaway-inference', 'cache-miss'] as const)('Athena statements of %s', (detector) => {
  describe.each(AS_OF_CASES)('as-of $name', ({ days }) => {
    const first = days[0]!;
    const last = days[days.length - 1]!;

    it('sends coverage, the detector statement (staging as its first CTE) and the context', async () => {
      const { athena } = await runsFor(detector, days);
      expect(athena.sent.map((s) => s.label)).toEqual(['coverage', detector, 'context']);
      // --inline: every statement holds the staging query itself (coverage as a sub-query).
      expect(athena.sent[0]!.sql).toMatch(/^\) AS staging$/m);
      for (const statement of athena.sent.slice(1)) {
        expect(statement.sql).toMatch(/^WITH staging AS \(/m);
        expect(statement.sql).toMatch(/^staged AS \(/m);
      }
    });

    it('parses every statement with the Trino grammar', async () => {
      const { athena } = await runsFor(detector, days);
      for (const statement of athena.sent) {
        expect(await trinoSyntaxErrors(statement.sql), statement.label).toEqual([]);
      }
    });

    it('uses no DuckDB-only construct', async () => {
      const { athena } = await runsFor(detector, days);
      for (const statement of athena.sent) {
        expect(duckdbOnlyConstructs(statement.sql), statement.label).toEqual([]);
      }
    });

    it(`reads only the billing periods of D−${LOOKBACK[detector]} … D`, async () => {
      const { athena } = await runsFor(detector, days);
      const windowStart = daysBefore(first, LOOKBACK[detector]);
      const months = monthsOfDays(windowStart, last);
      for (const statement of athena.sent) {
        const filters = periodFilters(statement.sql, ATHENA_TABLE);
        expect(filters.length, statement.label).toBeGreaterThan(0);
        for (const periods of filters) expect(periods, statement.label).toEqual(months);
      }
      // The staging rows are cut to the data window's days too, not just its months.
      expect(athena.sent[1]!.sql).toContain(`day BETWEEN DATE '${windowStart}' AND DATE '${last}'`);
    });

    it('differs from the DuckDB rendering only in the dialect seam macros', async () => {
      const { athena, duckdbCtes } = await runsFor(detector, days);
      expect(athena.sent.map((s) => s.label)).toEqual(duckdbCtes.sent.map((s) => s.label));
      athena.sent.forEach((statement, i) => {
        expect(toDuckDb(statement.sql), statement.label).toBe(duckdbCtes.sent[i]!.sql);
      });
    });

    it('finds on the Athena text, run on DuckDB, what the DuckDB run finds (docs/detection.md "Reference numbers" numbers)', async () => {
      const { athena, duckdb, duckdbCtes } = await runsFor(detector, days);
      expectReferenceFindings(detector, duckdb.result.findings, last);
      expectSameValues(athena.result, duckdb.result);
      expectSameValues(duckdbCtes.result, duckdb.result);
    });

    it('prints, with `sentinel sql`, the statements the run sends, as one valid Trino script', async () => {
      const { athena } = await runsFor(detector, days);
      const plan = printedPlan(ATHENA, config, { detector, asOfDays: days });
      expect(plan.map((s) => s.step)).toEqual(['coverage', 'detector', 'context']);
      // The fixture covers the whole window, so the run's coverage and detector text are the printed ones.
      expect(plan[0]!.sql).toBe(athena.sent[0]!.sql);
      expect(plan[1]!.sql).toBe(athena.sent[1]!.sql);
      expect(plan[2]!.sql).toContain("('EXAMPLE', '000000000000', ");
      const script = formatPlan(plan, {
        detector,
        dialect: 'athena',
        focus: ATHENA,
        asOfDays: days,
        config,
        usageType: 'skumeter',
      });
      expect(script.match(/^-- \d+\. /gm)).toEqual(['-- 1. ', '-- 2. ', '-- 3. ']);
      expect(script.match(/;$/gm)).toHaveLength(3);
      expect(await trinoSyntaxErrors(script)).toEqual([]);
      expect(duckdbOnlyConstructs(script)).toEqual([]);
    });
  });
});

describe('the original QB15 query in Athena dialect (benchmarks)', () => {
  it.each([false, true])(
    'parses as Trino and differs from DuckDB only in the macros (as intended: %s)',
    async (asIntended) => {
      const input = { asOfStart: '2026-04-01', asOfEnd: '2026-04-07', asIntended };
      const athena = originalQuerySql(ATHENA, input);
      expect(await trinoSyntaxErrors(athena)).toEqual([]);
      expect(duckdbOnlyConstructs(athena)).toEqual([]);
      expect(toDuckDb(athena)).toBe(originalQuerySql(DUCKDB_TABLES, input));
    },
  );
});

describe('the DuckDB-only construct check', () => {
  it.each([
    ['SELECT x::DOUBLE FROM t', ':: cast'],
    ["SELECT * FROM t WHERE a ILIKE '%x%'", 'ILIKE'],
    ['SELECT a FROM t QUALIFY row_number() OVER () = 1', 'QUALIFY'],
    ['SELECT a, sum(b) FROM t GROUP BY ALL', 'GROUP BY ALL'],
    ['SELECT * EXCLUDE (a) FROM t', '* EXCLUDE'],
    ["SELECT * FROM read_parquet('x.parquet')", 'read_parquet'],
    ["SELECT * FROM read_csv('x.csv')", 'read_csv'],
    ["SELECT DATE '2026-03-01' - 2", 'date literal ± integer'],
    ['SELECT day + 1 FROM t', 'date column ± integer'],
    ['SELECT as_of - 7 FROM t', 'date column ± integer'],
    [
      "SELECT * FROM generate_series(DATE '2026-01-01', DATE '2026-01-03', INTERVAL '1' DAY)",
      'generate_series',
    ],
    ["SELECT strftime(d, '%Y-%m') FROM t", 'strftime'],
    ["SELECT regexp_matches(a, 'x') FROM t", 'regexp_matches'],
    ["SELECT map_extract_value(tags, 'k') FROM t", 'map_extract_value'],
    ['SELECT isnan(c) FROM t', 'isnan('],
    ["SELECT tags['agent-run-id'] FROM t", "map subscript m['k']"],
    ['SELECT [1, 2, 3]', 'list literal'],
    ["SELECT {'a': 1}", 'struct literal'],
    ['SELECT d + INTERVAL 1 DAY FROM t', 'unquoted INTERVAL'],
    ["SELECT regexp_replace(a, 'x', '', 'g') FROM t", "regexp 'g' option"],
    ["SELECT concat(regionid, ':', resourceid) FROM t", 'concat('],
    ["SELECT format('%s', a) FROM t", 'format('],
    ["SELECT contains(a, 'x') FROM t", 'contains('],
  ])('flags %s', (sql, construct) => {
    expect(duckdbOnlyConstructs(sql).join('\n')).toContain(construct);
  });

  it('ignores what sits inside strings and comments', () => {
    const sql = `-- a comment: x::int, tags['k'], GROUP BY ALL, INTERVAL 1 DAY
SELECT regexp_replace(usage_type, '^[A-Z]{2,4}[0-9]*-', ''), 'a::b' FROM t WHERE ARRAY[1, 2] IS NOT NULL`;
    expect(duckdbOnlyConstructs(sql)).toEqual([]);
  });

  it('has a pattern for every construct it names and finds the DuckDB seam output', async () => {
    expect(DUCKDB_ONLY.length).toBeGreaterThan(15);
    const { duckdb } = await runsFor('runaway-inference', ['2026-03-18']);
    const found = duckdb.sent.flatMap((s) => duckdbOnlyConstructs(s.sql)).join('\n');
    for (const construct of ['generate_series', 'unquoted INTERVAL', 'isnan(', "regexp 'g' option"]) {
      expect(found).toContain(construct);
    }
  });
});

describe('mapping the Athena seam output back to DuckDB', () => {
  it('maps each macro of the seam to its DuckDB output', () => {
    const { athena, duckdb } = MACROS;
    const pairs: [string, string][] = [
      [athena.map_get('tags', 'agent-run-id'), duckdb.map_get('tags', 'agent-run-id')],
      [athena.is_nan('billedcost'), duckdb.is_nan('billedcost')],
      [
        athena.regexp_replace_all("lower(x, 'a)')", '(?i)-(a|b)$', ''),
        duckdb.regexp_replace_all("lower(x, 'a)')", '(?i)-(a|b)$', ''),
      ],
      [
        athena.regexp_replace_all(athena.regexp_replace_all('u', '^A-', ''), 'b', 'c'),
        duckdb.regexp_replace_all(duckdb.regexp_replace_all('u', '^A-', ''), 'b', 'c'),
      ],
      [athena.date_spine('2025-12-30', '2026-01-02'), duckdb.date_spine('2025-12-30', '2026-01-02')],
    ];
    for (const [from, to] of pairs) expect(toDuckDb(from)).toBe(to);
  });
});

describe('athena focus table (docs/configuration.md)', () => {
  it('quotes database.table, and puts a bare table in athena.database', () => {
    expect(athenaFocusTable(testConfig({ focus: 'cur.focus_export' })).name).toBe('"cur"."focus_export"');
    expect(
      athenaFocusTable(testConfig({ focus: 'focus_export', athena: { database: 'billing' } })).name,
    ).toBe('"billing"."focus_export"');
  });

  it('reads the usage type from skumeter (FOCUS 1.2) unless told otherwise', () => {
    expect(athenaFocusTable(config).usageType).toBe('skumeter');
    expect(athenaFocusTable(config, 'x_usagetype').usageType).toBe('x_usagetype');
    expect(athenaFocusTable(config, 'coalesce').usageType).toBe('coalesce(skumeter, x_usagetype)');
  });

  it('refuses a path as the Athena table, naming the key', () => {
    expect(() => athenaFocusTable(testConfig({ focus: './export' }))).toThrow(
      /focus '.\/export' is not an Athena table/,
    );
  });
});

describe('sentinel sql', () => {
  async function sql(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    try {
      return { code: await sqlCommand(argv), out, err };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  it('prints the Athena statements of a detector, numbered and terminated', async () => {
    const { code, out } = await sql([
      '--detector',
      'cache-miss',
      '--dialect',
      'athena',
      '--focus',
      'cur.focus_export',
      '--as-of',
      '2026-04-02',
    ]);
    expect(code).toBe(0);
    // One scan per run (docs/architecture.md): the CTAS of staging, read by coverage, the detector and
    // context, then dropped; the statements sent only on a condition are printed under it.
    expect(out.match(/^-- \d+\. [\w ,']+?:/gm)).toEqual([
      '-- 1. staging tables:',
      "-- 3. staging, the run's one read of the export:",
      '-- 4. coverage:',
      '-- 5. export bounds:',
      '-- 6. missing days:',
      '-- 7. delivery folders:',
      '-- 8. unit check:',
      '-- 10. prices for the hourly watch:',
    ]);
    expect(out.match(/^-- \d+\. (drop|detector|context)/gm)).toEqual([
      '-- 2. drop',
      '-- 9. detector',
      '-- 11. context',
      '-- 12. drop',
    ]);
    expect(out.match(/^-- Sent only /gm)).toHaveLength(9);
    expect(out).toContain(
      `CREATE TABLE "sentinel"."sentinel_staging_YYYYMMDDHHMMSS_XXXXXXXX" WITH (format = 'PARQUET') AS`,
    );
    // Athena runs the DROP through Hive's grammar: backticks.
    expect(out).toContain('DROP TABLE IF EXISTS `sentinel`.`sentinel_staging_YYYYMMDDHHMMSS_XXXXXXXX`');
    // Only staging names the FOCUS table, and the export bounds, sent only for an as-of day in question.
    expect(out.split('FROM "cur"."focus_export"').length - 1).toBe(2);
    expect(out).toContain("WHERE billing_period IN ('2026-02', '2026-03', '2026-04')");
    expect(out).toContain('usage type skumeter (FOCUS 1.2');
    expect(out).toContain('as if the export covers the whole data window');
    expect(out).toContain('EXAMPLE: the flagged VALUES row is one example finding');
  });

  it("prints the budget detector's statements (sentinel sql --detector budget) as one valid Trino script", async () => {
    const { code, out } = await sql([
      '--detector',
      'budget',
      '--dialect',
      'athena',
      '--focus',
      'cur.focus_export',
      '--as-of',
      '2026-04-18',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/^-- 9\. detector budget, as-of 2026-04-18/m);
    // Its calendar: last month whole, the month to date, the 7-day run rate, the 3-day cap window.
    expect(out).toContain("(DATE '2026-04-18', DATE '2026-04-01', DATE '2026-03-01', DATE '2026-03-31',");
    // A budget counts every Bedrock charge: the staging kinds 'inference' and 'bedrock'.
    expect(out).toContain("WHERE kind IN ('inference', 'bedrock')");
    const withoutDrops = out.replace(/^DROP TABLE IF EXISTS `[^`]+`\.`[^`]+`;$/gm, '');
    expect(await trinoSyntaxErrors(withoutDrops)).toEqual([]);
    expect(duckdbOnlyConstructs(out)).toEqual([]);
  });

  it('with --inline prints each detector as one self-contained statement (staging as its first CTE)', async () => {
    const { code, out } = await sql([
      '--detector',
      'cache-miss',
      '--dialect',
      'athena',
      '--focus',
      'cur.focus_export',
      '--as-of',
      '2026-04-02',
      '--inline',
    ]);
    expect(code).toBe(0);
    expect(out.match(/^-- \d+\. \w+/gm)).toEqual(['-- 1. coverage', '-- 2. detector', '-- 3. context']);
    expect(out).not.toContain('CREATE TABLE');
  });

  it('prints the DuckDB statements with the staging tables, as-of the default day of --now', async () => {
    const { code, out } = await sql(['--detector', 'runaway-inference', '--now', '2026-03-20T08:00:00Z']);
    expect(code).toBe(0);
    expect(out).toContain('as-of 2026-03-18');
    expect(out.match(/^-- \d+\. [\w ,']+?:/gm)).toEqual([
      // DuckDB's staging shape: only the rows a detector reads; coverage reads the export itself.
      '-- 1. staging, the rows the detectors read:',
      '-- 2. coverage:',
      '-- 3. export bounds:',
      '-- 4. missing days:',
      '-- 5. delivery folders:',
      '-- 6. unit check:',
      '-- 8. prices for the hourly watch:',
    ]);
    expect(out).toContain('CREATE OR REPLACE TABLE run_staging AS');
    const coverage = out.slice(out.indexOf('-- 2. coverage:'), out.indexOf('-- 3. export bounds:'));
    expect(coverage).toContain('read from the export');
    expect(coverage).toMatch(/FROM focus\n/);
    expect(out.match(/^-- \d+\. /gm)).toHaveLength(9);
  });

  it.each([
    [['--detector', 'runaway'], "--detector 'runaway' is not a detector"],
    [['--detector', 'cache-miss', '--dialect', 'postgres'], "--dialect 'postgres' is not a dialect"],
    [[], '--detector is required'],
    [['--detector', 'cache-miss', '--dialect', 'athena'], "focus './export' is not an Athena table"],
    [['--detector', 'cache-miss', '--as-of', '2026-04-01', '--from', '2026-03-01'], 'exclude each other'],
  ])('exits 2 for %j, naming the value', async (argv, message) => {
    const { code, err } = await sql(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});
