/**
 * DuckDB and a real Trino agree: the same FOCUS files, read by DuckDB the normal local way and by
 * Trino as a Hive table partitioned by billing_period, give the same detection result field by
 * field (money to 1e-6 USD, ratios to 1e-6), and every statement a run sends (coverage, missing
 * days, staging, compute, both detectors, context, and the original QB15 query) returns the same
 * rows. The Trino side receives the Athena rendering of the statements, byte for byte what Athena
 * would. Data: small fixture organizations with the docs/detection.md "Reference numbers" incidents, ending on as-of days early,
 * mid and late in a month and across a year boundary, and a generated 40-account organization over
 * 120 days with its injected incidents, in AWS's export layout.
 */

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { originalQuerySql } from '../../bench/qb15-original.js';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { resolveExport } from '../../functions/adapters/focus-export/resolve-files.js';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { attachFocusExport } from '../../functions/adapters/query-engine/duckdb-focus.js';
import type { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import type { SentinelConfig } from '../../functions/core/config.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import type { DetectResult } from '../../functions/core/detect/contract.js';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import {
  athenaFocusTable,
  contextRequest,
  seriesRequest,
} from '../../functions/core/detect/statement-plan.js';
import {
  type ContextRequest,
  computeSql,
  contextSql,
  coverageRowsSql,
  coverageSql,
  deliveriesSql,
  detectorSql,
  type FocusTable,
  missingDaysSql,
  stagedInferenceSql,
  stagingSql,
} from '../../functions/core/detect/statement-sql.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock, type QueryEngine, type Row } from '../../functions/core/ports.js';
import type { DetectorId, IsoDate } from '../../functions/core/types.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';
import { type FixtureRow, focusRow, loadFocusTable, tokenRow } from '../fixtures/focus-rows.js';
import { testConfig } from './harness.js';
import { hiveTableOverParquet, localDir, trinoEngine } from './trino-tables.js';

// The first statements of a run meet a cold JVM on the test server.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const SCHEMA = 'agreement';
const DETECTORS: DetectorId[] = ['runaway-inference', 'cache-miss', 'budget'];
/** Every budget rule on: a workflow cap, and a daily cap on every account (docs/detection.md "Budget"). */
const BUDGET = { detectors: { budget: { max_uncached_input_tokens_per_day: 100e6 } } };
const capsFor = (accounts: string[]) => accounts.map((account_id) => ({ account_id, cap_usd: 5 }));

// ---- Comparing results --------------------------------------------------------------------------

/** Money and ratios to 1e-6 absolute (one rounding step); token counts (billions) to 1e-12 relative. */
// Both engines' figures are rounded to 1e-6 USD (docs/findings.md): sums that differ in the ninth digit can
// round one step apart, so one step (plus float noise) is the agreement docs/findings.md asks for.
const closeEnough = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-6 + 1e-12 * Math.max(1, Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b));

type Entry = { key: string; recent_cost_usd: number; baseline_cost_usd: number; recent_tokens: number };
/** Two figures one rounding step apart, relative to their size (sums of many rows). */
const near = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)) + 1e-6;
const nearTie = (a: Entry, b: Entry) =>
  near(a.recent_cost_usd, b.recent_cost_usd) && near(a.baseline_cost_usd, b.baseline_cost_usd);

/**
 * A breakdown ranks its entries by their change; two entries whose figures agree to one rounding step
 * (the generator prices cache reads and writes of one model to the same cent) may come out in either
 * order on two engines. Put the actual list in the expected order where, and only where, the entries
 * that trade places are such near-ties; any other difference in order still fails.
 */
function alignNearTies(actual: unknown[], expected: unknown[]): unknown[] {
  const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && 'key' in v;
  if (!actual.every(isEntry) || !expected.every(isEntry)) return actual;
  const aligned = [...actual];
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] as Entry;
    const at = aligned.findIndex((e, j) => j >= i && (e as Entry).key === want.key);
    if (at <= i) continue;
    const displaced = aligned.slice(i, at) as Entry[];
    if (!displaced.every((e) => nearTie(e, aligned[at] as Entry))) return actual;
    aligned.splice(i, 0, ...aligned.splice(at, 1));
  }
  return aligned;
}

function expectAgree(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (!closeEnough(actual, expected)) expect(actual, path).toBe(expected);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is a list`).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    const list = path.includes('.breakdown.') ? alignNearTies(actual as unknown[], expected) : actual;
    expected.forEach((v, i) => {
      expectAgree((list as unknown[])[i], v, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path} is an object`).toBe(true);
    expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) {
      expectAgree((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}

/** Rows in a canonical order: by every non-numeric value, then by numbers rounded to 1e-4. */
function canonical(rows: Row[]): Row[] {
  const key = (row: Row) =>
    Object.keys(row)
      .sort()
      .map((k) => {
        const v = row[k];
        return typeof v === 'number' ? `~${v.toFixed(4)}` : JSON.stringify(v);
      })
      .join('|');
  const strictKey = (row: Row) =>
    Object.keys(row)
      .sort()
      .map((k) => (typeof row[k] === 'number' ? '' : JSON.stringify(row[k])))
      .join('|');
  return [...rows].sort((a, b) => strictKey(a).localeCompare(strictKey(b)) || key(a).localeCompare(key(b)));
}

// ---- The two sides ------------------------------------------------------------------------------

interface Sides {
  duckdb: DuckDbQueryEngine;
  duckdbFocus: FocusTable;
  trino: TrinoQueryEngine;
  trinoFocus: FocusTable;
  config: SentinelConfig;
  accountCaps: { account_id: string; cap_usd: number }[];
}

async function detectOn(
  engine: QueryEngine,
  focus: FocusTable,
  config: SentinelConfig,
  asOfDays: IsoDate[],
  accountCaps: Sides['accountCaps'],
) {
  return runDetection(
    {
      engine,
      focus,
      store: new LocalDirBlobStore(mkdtempSync(join(localDir('stores'), 'run-'))),
      clock: fixedClock('2026-06-01T00:00:00Z'),
      log: silentLogger(),
    },
    config,
    {
      asOfDays,
      detectors: DETECTORS,
      runId: 'agreement',
      command: 'detect',
      dryRun: true,
      recurringExemptionOff: [],
      accountCaps,
    },
  );
}

async function bothDetect(
  sides: Sides,
  asOfDays: IsoDate[],
): Promise<{ duckdb: DetectResult; trino: DetectResult }> {
  const duckdb = await detectOn(sides.duckdb, sides.duckdbFocus, sides.config, asOfDays, sides.accountCaps);
  const trino = await detectOn(sides.trino, sides.trinoFocus, sides.config, asOfDays, sides.accountCaps);
  return { duckdb, trino };
}

interface Statement {
  label: string;
  sql(focus: FocusTable): string;
}

/**
 * Every statement of a run over these as-of days, self-contained (staging as the first CTE on both
 * engines), and the context of the findings the DuckDB detector rows flag.
 */
async function statementsOf(
  sides: Sides,
  asOfDays: IsoDate[],
  firstCoveredDay: IsoDate | null,
  original: { asIntended: boolean },
): Promise<Statement[]> {
  const { config } = sides;
  const window = dataWindow(DETECTORS, config, asOfDays);
  const asOf = { asOfStart: asOfDays[0]!, asOfEnd: asOfDays[asOfDays.length - 1]! };
  const ctes = (focus: FocusTable): FocusTable => ({ ...focus, staging: 'ctes' });
  const detectorInput = {
    ...asOf,
    firstCoveredDay,
    recurringExemptAccounts: [],
    accountCaps: sides.accountCaps,
  };
  const statements: Statement[] = [
    { label: 'coverage', sql: (f) => coverageSql(ctes(f), config, window) },
    {
      label: 'missing days',
      sql: (f) => missingDaysSql(ctes(f), config, window, { start: window.start, end: window.end }),
    },
    { label: 'deliveries', sql: (f) => deliveriesSql(ctes(f), config, window) },
    // One scan per run (Athena, Trino): every row of the periods, 'other' rows kept for coverage.
    { label: 'staging', sql: (f) => stagingSql(ctes(f), config, window, true) },
    { label: 'staging (no detail)', sql: (f) => stagingSql(ctes(f), config, window, false) },
    // Each engine's own shape (DuckDB keeps only the rows a detector reads): the same detector rows.
    {
      label: "staging, each engine's shape, detector rows",
      sql: (f) => `SELECT * FROM (\n${stagingSql(f, config, window, true)}\n) AS s WHERE kind <> 'other'`,
    },
    // DuckDB's coverage input, read from the export itself: the same groups on both engines.
    { label: 'coverage rows', sql: (f) => coverageRowsSql(f, config, window) },
    { label: 'staged inference', sql: (f) => stagedInferenceSql(ctes(f), config, window, true) },
    { label: 'compute', sql: (f) => computeSql(ctes(f), config, window) },
    ...DETECTORS.map((d) => ({
      label: d,
      sql: (f: FocusTable) => detectorSql(d, ctes(f), config, detectorInput),
    })),
    {
      label: `QB15 original${original.asIntended ? ' as intended' : ''}`,
      sql: (f: FocusTable) => originalQuerySql(f, { ...asOf, asIntended: original.asIntended }),
    },
  ];
  const requests: ContextRequest[] = [];
  for (const detector of DETECTORS) {
    const rows = await sides.duckdb.query(
      detectorSql(detector, ctes(sides.duckdbFocus), config, detectorInput),
    );
    for (const row of rows.filter((r) => r.recurring !== true && r.unpriced !== true)) {
      requests.push(
        contextRequest(
          detector,
          config,
          {
            as_of: String(row.as_of),
            account_id: String(row.account_id),
            model: row.model === null || row.model === undefined ? null : String(row.model),
            baseline_days_covered: Number(row.baseline_days_covered),
          },
          String(requests.length),
          { windowStart: window.start, firstCoveredDay },
        ),
      );
    }
  }
  // A live case's series-only request rides in the same statement (docs/emails.md "The episode").
  for (const detector of DETECTORS) {
    const flagged = requests.find((r) => (r.rank_by === 'uncached_input') === (detector === 'cache-miss'));
    if (flagged) {
      const subject = { detector, account_id: flagged.account_id, model: flagged.model };
      requests.push(seriesRequest(subject, asOf.asOfEnd, `series-${requests.length}`));
    }
  }
  if (requests.length > 0) {
    statements.push({ label: 'context', sql: (f) => contextSql(ctes(f), config, window, requests) });
  }
  return statements;
}

async function expectStatementsAgree(
  sides: Sides,
  asOfDays: IsoDate[],
  firstCoveredDay: IsoDate | null,
  original: { asIntended: boolean },
) {
  const statements = await statementsOf(sides, asOfDays, firstCoveredDay, original);
  const counts: Record<string, number> = {};
  for (const statement of statements) {
    const expected = await sides.duckdb.query(statement.sql(sides.duckdbFocus), { label: statement.label });
    const actual = await sides.trino.query(statement.sql(sides.trinoFocus), { label: statement.label });
    expectAgree(canonical(actual), canonical(expected), statement.label);
    counts[statement.label] = expected.length;
  }
  return counts;
}

// ---- Small fixture organizations ----------------------------------------------------------------

const SPIKY = '111111111111';
const STEADY = '222222222222';
const NEWCOMER = '333333333333';
const CACHED = '444444444444';
const NOISE = [0.21, -0.21, 0.13, -0.13, 0.05, -0.05, 0.17, -0.17, 0.09, -0.09, 0.11];
const PRICE = { input: 5.5, 'cache-read': 0.55, 'cache-write': 6.875, output: 27.5 } as const;

/**
 * 60 days ending E: the docs/detection.md "Reference numbers" runaway (baseline $7.32/day, recent $132.05/day), a steady account,
 * a new spender, the docs/detection.md "Reference numbers" cache incident, compute and storage side traffic, and the rows the
 * population rules must drop or keep (a correction, AgentCore, a NULL account, a NaN cost, a
 * Marketplace model, a 1K-token unit, tags). `missingDay` drops every charge of one day.
 */
function fixtureOrganization(end: IsoDate, missingDay?: IsoDate): FixtureRow[] {
  const rows: FixtureRow[] = [];
  for (const day of dayRange(addDays(end, -59), end)) {
    if (day === missingDay) continue;
    const offset = -dayRange(day, end).length + 1;
    const i = -offset - 7;
    const spiky =
      offset >= -2
        ? [130.0, 132.05, 134.1][offset + 2]!
        : i >= 0 && i < 22
          ? 7.32 + NOISE[i % 11]! * (Math.floor(i / 11) % 2 === 0 ? 1 : -1)
          : 7.32;
    const inference = (account: string, cost: number, overrides: Partial<FixtureRow> = {}) =>
      focusRow({
        chargeperiodstart: day,
        subaccountid: account,
        subaccountname: `team-${account.slice(0, 3)}`,
        billedcost: cost,
        effectivecost: cost,
        consumedquantity: cost / 5.5,
        tags: { 'agent-run-id': `run-${account.slice(0, 1)}`, team: 'ml' },
        ...overrides,
      });
    rows.push(inference(SPIKY, spiky), inference(STEADY, 20));
    if (offset >= -2) rows.push(inference(NEWCOMER, 80, { tags: {} }));
    // Output tokens on a 1K-token unit, regional endpoint suffix.
    rows.push(
      inference(STEADY, 3, {
        skumeter: 'USE1-Claude4.6Opus-output-tokens-cross-region-global',
        consumedunit: '1K tokens',
        pricingunit: '1K tokens',
        consumedquantity: 120,
      }),
    );
    // Marketplace model, Units = millions of tokens.
    rows.push(
      inference(STEADY, 4, {
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        x_servicecode: 'prod-abc123',
        skumeter: 'USE1-MP:USE1_InputTokenCount_Global-Units',
        consumedunit: 'Units',
        pricingunit: 'Units',
        consumedquantity: 0.8,
        resourceid: null,
      }),
    );
    // Dropped by the population rules: a correction, AgentCore, a NULL account, a NaN cost.
    rows.push(
      inference(STEADY, 500, { chargeclass: 'Correction' }),
      inference(STEADY, 500, {
        x_servicecode: 'AmazonBedrockAgentCore',
        servicename: 'Amazon Bedrock AgentCore',
      }),
      inference(STEADY, 1, { subaccountid: null }),
      inference(STEADY, Number.NaN),
    );
    // The cache incident in the last 7 days; a baseline hit ratio of 0.90 before.
    const mix: Partial<Record<keyof typeof PRICE, number>> =
      offset >= -6
        ? { input: 6.47e9 / 7, 'cache-read': 1.67e9 / 7, 'cache-write': 101e6 / 7, output: 25e6 / 7 }
        : { input: 90e6, 'cache-write': 10e6, 'cache-read': 900e6, output: 5e6 };
    for (const [cls, n] of Object.entries(mix) as [keyof typeof PRICE, number][]) {
      rows.push(tokenRow(day, cls, n, PRICE[cls], { subaccountid: CACHED, subaccountname: 'team-cache' }));
    }
    for (const account of [SPIKY, CACHED]) {
      const side = { chargeperiodstart: day, subaccountid: account, x_operation: 'RunInstances', tags: {} };
      rows.push(
        focusRow({
          ...side,
          servicename: 'Amazon Elastic Compute Cloud',
          x_servicecode: 'AmazonEC2',
          skumeter: 'USE1-BoxUsage:m7g.large',
          billedcost: 12,
          effectivecost: 12,
          consumedunit: 'Hrs',
          pricingunit: 'Hrs',
          resourceid: `i-${account}`,
        }),
        focusRow({
          ...side,
          servicename: 'Amazon Simple Storage Service',
          x_servicecode: 'AmazonS3',
          skumeter: 'USE1-TimedStorage-ByteHrs',
          billedcost: 3,
          effectivecost: 3,
          consumedunit: 'GB-Mo',
          pricingunit: 'GB-Mo',
          resourceid: `bucket-${account}`,
        }),
      );
    }
  }
  return rows;
}

/** Writes the rows as Parquet in billing_period=YYYY-MM/ folders below the Trino local root. */
async function writeFixtureParquet(rows: FixtureRow[], name: string): Promise<string> {
  const dir = localDir('fixtures', name);
  const scratch = await DuckDbQueryEngine.open();
  try {
    await loadFocusTable(scratch, rows);
    await scratch.execute(
      `COPY focus TO '${dir}' (FORMAT parquet, PARTITION_BY (billing_period), OVERWRITE_OR_IGNORE true)`,
    );
  } finally {
    await scratch.close();
  }
  return dir;
}

async function fixtureSides(name: string, rows: FixtureRow[]): Promise<Sides> {
  const dir = await writeFixtureParquet(rows, name);
  const duckdb = await DuckDbQueryEngine.open();
  await duckdb.execute(
    `CREATE VIEW focus AS SELECT * FROM read_parquet('${dir}/*/*.parquet', hive_partitioning = true, hive_types = {'billing_period': VARCHAR})`,
  );
  const trino = trinoEngine(SCHEMA);
  await hiveTableOverParquet(trino, duckdb, { schema: SCHEMA, table: name, dataDir: dir });
  const config = testConfig({ focus: `${SCHEMA}.${name}`, ...BUDGET });
  return {
    duckdb,
    duckdbFocus: { dialect: 'duckdb', name: 'focus', usageType: 'coalesce(skumeter, x_usagetype)' },
    trino,
    trinoFocus: athenaFocusTable(config, 'coalesce'),
    config,
    accountCaps: capsFor([...new Set(rows.flatMap((r) => (r.subaccountid ? [r.subaccountid] : [])))].sort()),
  };
}

function expectReferenceNumbers(result: DetectResult, lastDay: IsoDate): void {
  const onLastDay = result.findings.filter((f) => f.as_of === lastDay);
  // The cache incident's account spends more on tokens too, so it is a runaway as well.
  const runaway = onLastDay.filter((f) => f.detector === 'runaway-inference');
  expect(runaway.map((f) => [f.account_id, f.kind])).toEqual([
    [CACHED, 'runaway'],
    [SPIKY, 'runaway'],
    [NEWCOMER, 'new-spender'],
  ]);
  const spike = runaway[1]!;
  expect(spike.baseline_avg_daily_usd).toBeCloseTo(7.32, 2);
  expect(spike.recent_avg_daily_usd).toBeCloseTo(132.05, 2);
  expect(Number(spike.spike_ratio!.toFixed(2))).toBe(18.04);
  expect(spike.excess_daily_usd).toBeCloseTo(124.73, 2);
  expect(spike.projected_30d_excess_usd).toBeCloseTo(3741.9, 1);
  expect(spike.severity).toBe('high');
  expect(spike.compute_recent_avg_daily_usd).toBeCloseTo(12, 6);
  const cache = onLastDay.filter((f) => f.detector === 'cache-miss');
  // The runaway account's input tokens, uncached, are a cache-absent finding of their own.
  expect(cache.map((f) => [f.account_id, f.model, f.kind])).toEqual([
    [CACHED, 'Claude4.6Opus', 'cache-regression'],
    [SPIKY, 'Claude4.6Opus', 'cache-absent'],
  ]);
  const incident = cache[0]!;
  expect(incident.cache_hit_ratio).toBe(0.202645); // 1.67 / 8.241 to 6 decimals (docs/findings.md)
  expect(incident.baseline_cache_hit_ratio).toBeCloseTo(0.9, 6);
  expect(incident.uncached_input_cost_usd).toBeCloseTo(35585.0, 2);
  expect(Math.abs(incident.avoidable_cost_usd! - 28447.155)).toBeLessThan(0.01);
  expect(Math.abs(incident.projected_30d_excess_usd - 121916.38)).toBeLessThan(0.01);
  expect(incident.severity).toBe('critical');
}

const FIXTURE_CASES: { name: string; days: IsoDate[]; missingDay?: IsoDate; statements: boolean }[] = [
  { name: 'mid_month', days: ['2026-03-18'], statements: true },
  { name: 'late_month', days: ['2026-02-28'], missingDay: addDays('2026-02-28', -33), statements: false },
  { name: 'year_boundary', days: dayRange('2025-12-29', '2026-01-02'), statements: true },
];

describe.each(FIXTURE_CASES)('DuckDB and Trino agree on the fixture organization, as-of $name', (c) => {
  let sides: Sides;
  const last = c.days[c.days.length - 1]!;

  beforeAll(async () => {
    sides = await fixtureSides(c.name, fixtureOrganization(last, c.missingDay));
  });
  afterAll(async () => {
    await sides?.duckdb.close();
  });

  it('finds the same findings field by field, with the docs/detection.md "Reference numbers" numbers on Trino', async () => {
    const { duckdb, trino } = await bothDetect(sides, c.days);
    expectAgree(trino, duckdb);
    expectReferenceNumbers(trino, last);
    if (c.missingDay) expect(trino.warnings.join('\n')).toContain(`no charge at all on ${c.missingDay}`);
  });

  if (!c.statements) return;
  it('returns the same rows for every statement', async () => {
    // QB15 as written (FOCUS 1.0 x_usagetype, matches nothing). As intended it reads the NaN cost
    // row, on which DuckDB's stddev_pop raises and Trino's returns NaN: the generated org runs it.
    const counts = await expectStatementsAgree(sides, c.days, null, { asIntended: false });
    expect(counts['runaway-inference']).toBeGreaterThan(0);
    expect(counts['cache-miss']).toBeGreaterThan(0);
    expect(counts.budget).toBeGreaterThan(0);
    expect(counts.context).toBeGreaterThan(0);
  });
});

// ---- A generated organization in AWS's export layout --------------------------------------------

describe('DuckDB and Trino agree on a generated organization (40 accounts × 120 days)', () => {
  const END = '2026-01-20';
  let sides: Sides;

  beforeAll(async () => {
    const out = localDir('generated');
    const written = await writeSyntheticOrganization(out, { seed: 1, accounts: 40, days: 120, end: END });
    const duckdb = await DuckDbQueryEngine.open();
    const config = testConfig({ focus: `${SCHEMA}.generated`, ...BUDGET });
    const resolved = await resolveExport(written.exportDir, (pattern) => duckdb.glob(pattern));
    const duckdbFocus = await attachFocusExport(duckdb, resolved, config.cost_column, written.exportDir);
    const trino = trinoEngine(SCHEMA);
    await hiveTableOverParquet(trino, duckdb, {
      schema: SCHEMA,
      table: 'generated',
      dataDir: join(written.exportDir, 'data'),
    });
    const accounts = await duckdb.query(
      `SELECT DISTINCT subaccountid AS a FROM ${duckdbFocus.name} WHERE subaccountid IS NOT NULL`,
    );
    sides = {
      duckdb,
      duckdbFocus,
      trino,
      trinoFocus: athenaFocusTable(config, 'skumeter'),
      config,
      accountCaps: capsFor(accounts.map((r) => String(r.a)).sort()),
    };
  }, 180_000);
  afterAll(async () => {
    await sides?.duckdb.close();
  });

  it('registers every billing period of the export as a partition', async () => {
    const rows = await sides.trino.query(
      `SELECT billing_period FROM "${SCHEMA}"."generated$partitions" ORDER BY 1`,
    );
    expect(rows.map((r) => r.billing_period)).toEqual([
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
    ]);
  });

  it('finds the same findings field by field on one mid-month as-of day', async () => {
    const { duckdb, trino } = await bothDetect(sides, ['2025-12-15']);
    expect(duckdb.evaluatedDays).toEqual(['2025-12-15']);
    expectAgree(trino, duckdb);
  });

  it('finds the injected incidents on both engines over a catch-up across months and the year boundary', async () => {
    // Every as-of day from early November to two days before the newest charge: early, mid and
    // late in each month, 2025-12-31 → 2026-01-01 included.
    const days = dayRange('2025-11-01', '2026-01-18');
    const { duckdb, trino } = await bothDetect(sides, days);
    expect(duckdb.findings.length).toBeGreaterThan(10);
    expect(new Set(duckdb.findings.map((f) => f.detector))).toEqual(new Set(DETECTORS));
    expectAgree(trino, duckdb);
  }, 120_000);

  it('returns the same rows for every statement over a month-end window', async () => {
    // QB15 as intended only: as written it reads x_usagetype, which a FOCUS 1.2 table lacks.
    const counts = await expectStatementsAgree(sides, dayRange('2025-12-26', '2026-01-06'), null, {
      asIntended: true,
    });
    expect(counts.staging).toBeGreaterThan(100);
    expect(counts.compute).toBeGreaterThan(100);
  }, 120_000);
});
