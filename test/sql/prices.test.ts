/** sql/prices.sql, given/expect: the unit prices the watch reads from the bill (docs/watch.md "Prices"). */
import { describe, expect, it } from 'vitest';
import {
  buildPriceTable,
  PRICES_KEY,
  type PriceTable,
  pricesSql,
} from '../../functions/core/detect/prices.js';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { STAGING_TABLE, stagingSql } from '../../functions/core/detect/statement-sql.js';
import { silentLogger } from '../../functions/core/log.js';
import type { QueryEngine } from '../../functions/core/ports.js';
import { fixedClock } from '../../functions/core/ports.js';
import { MemoryBlobStore } from '../fixtures/case-ports.js';
import { type FixtureRow, focusRow, tokenRow } from '../fixtures/focus-rows.js';
import { duckdbOnlyConstructs } from './athena-sql.js';
import { trinoSyntaxErrors } from './athena-trino.js';
import { DUCKDB_FOCUS, testConfig, withFocus, withStagedFocus } from './harness.js';

const D = '2026-03-20';
const A = '111111111111';
const B = '222222222222';
const START = '2026-03-01';
const PROFILE = (account: string, id: string) =>
  `arn:aws:bedrock:us-east-1:${account}:inference-profile/${id}`;
const APP_PROFILE = `arn:aws:bedrock:us-east-1:${B}:application-inference-profile/k2x9abc`;

async function table(rows: FixtureRow[], window = { start: START, end: D }): Promise<PriceTable> {
  return withStagedFocus(rows, [D], async (engine) => {
    const found = await engine.query(pricesSql('duckdb', { staging: STAGING_TABLE, ...window }));
    return buildPriceTable(found, {
      computedAt: '2026-03-22T06:00:00Z',
      runId: 'run-1',
      window,
      costColumn: 'billedcost',
    });
  });
}

const opus = (
  account: string,
  day: string,
  cls: Parameters<typeof tokenRow>[1],
  tokens: number,
  price: number,
  extra: Partial<FixtureRow> = {},
) =>
  tokenRow(day, cls, tokens, price, {
    subaccountid: account,
    resourceid: PROFILE(account, 'us.anthropic.claude-opus-4-6-v1'),
    ...extra,
  });

describe('prices.sql: unit prices from the bill', () => {
  it('reads cost ÷ tokens per account, model key and token class, and across the organization', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'input', 2_000_000, 5.5),
      opus(A, '2026-03-11', 'input', 2_000_000, 5.5),
      opus(A, '2026-03-10', 'output', 100_000, 27.5),
      opus(A, '2026-03-10', 'cache-read', 10_000_000, 0.55),
      // Account B has a private rate: the organization's price is the blend of both.
      opus(B, '2026-03-10', 'input', 4_000_000, 4.4),
    ]);
    expect(prices.accounts).toEqual([
      {
        account_id: A,
        model: 'Claude4.6Opus',
        usd_per_million: { input: 5.5, output: 27.5, cache_read: 0.55, cache_write: null },
        tokens: { input: 4_000_000, output: 100_000, cache_read: 10_000_000, cache_write: 0 },
      },
      {
        account_id: B,
        model: 'Claude4.6Opus',
        usd_per_million: { input: 4.4, output: null, cache_read: null, cache_write: null },
        tokens: { input: 4_000_000, output: 0, cache_read: 0, cache_write: 0 },
      },
    ]);
    expect(prices.organization).toEqual([
      {
        model: 'Claude4.6Opus',
        usd_per_million: { input: 4.95, output: 27.5, cache_read: 0.55, cache_write: null },
        tokens: { input: 8_000_000, output: 100_000, cache_read: 10_000_000, cache_write: 0 },
      },
    ]);
    expect(prices).toMatchObject({ version: 1, run_id: 'run-1', window: { start: START, end: D } });
  });

  it('prices both cache-write classes together, as CloudWatch counts them in one metric', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'cache-write', 1_000_000, 6.875),
      opus(A, '2026-03-10', 'cache-write', 1_000_000, 11, {
        skumeter: 'USE1-Claude4.6Opus-cache-write-1h-input-token-count',
      }),
    ]);
    expect(prices.accounts[0]!.usd_per_million.cache_write).toBeCloseTo(8.9375, 6);
    expect(prices.accounts[0]!.tokens.cache_write).toBe(2_000_000);
  });

  it('counts only usage in the window: corrections, credits and days outside it are left out', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'input', 1_000_000, 5.5),
      opus(A, '2026-03-10', 'input', 1_000_000, 50, { chargeclass: 'Correction' }),
      opus(A, '2026-03-10', 'input', 1_000_000, -5, { chargecategory: 'Credit' }),
      opus(A, '2026-02-27', 'input', 1_000_000, 9),
    ]);
    expect(prices.accounts[0]!.usd_per_million.input).toBe(5.5);
  });

  it('leaves a class priced on fewer than 1,000 tokens without a price', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'output', 999, 27.5),
      opus(A, '2026-03-10', 'input', 1000, 5.5),
    ]);
    expect(prices.accounts[0]!.usd_per_million).toMatchObject({ output: null, input: 5.5 });
  });

  it('links each model and profile ARN to the model key the bill shows for it, per account', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'input', 1_000_000, 5.5),
      opus(B, '2026-03-10', 'input', 3_000_000, 3.3, {
        skumeter: 'USE1-Claude4.5Sonnet-input-tokens',
        resourceid: APP_PROFILE,
      }),
      focusRow({
        chargeperiodstart: '2026-03-10',
        subaccountid: B,
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        x_servicecode: 'prod-b2zk4wq7ehx3m',
        skumeter: 'USE1-MP:USE1_InputTokenCount-Units',
        consumedquantity: 2,
        consumedunit: 'Units',
        billedcost: 11,
        resourceid: PROFILE(B, 'us.anthropic.claude-opus-4-6-v1'),
      }),
      opus(A, '2026-03-10', 'input', 1_000_000, 5.5, { resourceid: 'i-not-bedrock' }),
    ]);
    expect(prices.resources).toEqual([
      {
        account_id: A,
        resource_id: PROFILE(A, 'us.anthropic.claude-opus-4-6-v1'),
        model: 'Claude4.6Opus',
        tokens: 1_000_000,
      },
      { account_id: B, resource_id: APP_PROFILE, model: 'Claude4.5Sonnet', tokens: 3_000_000 },
      {
        account_id: B,
        resource_id: PROFILE(B, 'us.anthropic.claude-opus-4-6-v1'),
        model: 'Claude Opus 4.6',
        tokens: 2_000_000,
      },
    ]);
  });

  it('names the regions with Bedrock inference spend', async () => {
    const prices = await table([
      opus(A, '2026-03-10', 'input', 1_000_000, 5.5),
      opus(B, '2026-03-10', 'input', 1_000_000, 5.5, {
        regionid: 'eu-central-1',
        skumeter: 'EUC1-Claude4.6Opus-input-tokens',
      }),
      focusRow({
        chargeperiodstart: '2026-03-10',
        x_servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        skumeter: 'USW2-BoxUsage',
        regionid: 'us-west-2',
        resourceid: 'i-1',
      }),
    ]);
    expect(prices.regions).toEqual(['eu-central-1', 'us-east-1']);
  });

  it('renders for Athena as Trino SQL over the run staging table, with no DuckDB-only construct', async () => {
    const sql = pricesSql('athena', { staging: '"sentinel"."sentinel_staging_x"', start: START, end: D });
    expect(await trinoSyntaxErrors(sql)).toEqual([]);
    expect(duckdbOnlyConstructs(sql)).toEqual([]);
    // And self-contained, over staging.sql as a sub-query (a console paste).
    const config = testConfig();
    const inline = pricesSql('athena', {
      staging: `(\n${stagingSql({ ...DUCKDB_FOCUS, dialect: 'athena', name: '"cur"."focus"' }, config, dataWindow(['runaway-inference'], config, [D]), true)}) AS staging`,
      start: START,
      end: D,
    });
    expect(await trinoSyntaxErrors(inline)).toEqual([]);
  });
});

describe('every detection run writes prices/latest.json', () => {
  /** Runs detection over the rows as `run` does, counting the statements that name the FOCUS table. */
  async function detect(rows: FixtureRow[], store: MemoryBlobStore, asOf: string, dryRun = false) {
    const sent: string[] = [];
    await withFocus(rows, (engine) => {
      const counting: QueryEngine = {
        ...engine,
        kind: 'query-engine',
        name: engine.name,
        dialect: engine.dialect,
        query: (sql, options) => {
          sent.push(sql);
          return engine.query(sql, options);
        },
        execute: (sql, options) => {
          sent.push(sql);
          return engine.execute(sql, options);
        },
        stats: () => engine.stats(),
        close: () => engine.close(),
      };
      return runDetection(
        {
          engine: counting,
          focus: DUCKDB_FOCUS,
          store,
          clock: fixedClock(`${asOf}T12:00:00Z`),
          log: silentLogger(),
        },
        testConfig(),
        {
          asOfDays: [asOf],
          detectors: ['runaway-inference', 'cache-miss', 'budget'],
          runId: `run-${asOf}`,
          command: 'run',
          dryRun,
          recurringExemptionOff: [],
        },
      );
    });
    return sent;
  }

  it('reads them from the run staging table: one more statement, no second read of the export', async () => {
    const store = new MemoryBlobStore();
    const sent = await detect(
      [
        opus(A, '2026-03-10', 'input', 2_000_000, 5.5),
        opus(A, '2026-03-10', 'output', 100_000, 27.5),
        opus(A, D, 'input', 1_000_000, 5.5),
      ],
      store,
      D,
    );
    const prices = store.json<PriceTable>(PRICES_KEY);
    expect(prices).toMatchObject({ run_id: `run-${D}`, regions: ['us-east-1'] });
    expect(prices.accounts[0]).toMatchObject({
      account_id: A,
      model: 'Claude4.6Opus',
      usd_per_million: { input: 5.5, output: 27.5 },
    });
    // The prices are one more statement over the staging table, never a read of the export. (On DuckDB
    // the coverage statements read a few columns of the export themselves: docs/architecture.md "One scan
    // per run"; the staging statement stays the one read of every column the detectors use.)
    const pricing = sent.filter((sql) => sql.includes("'organization' AS level"));
    expect(pricing).toHaveLength(1);
    expect(pricing[0]).not.toMatch(/\bFROM\s+focus\b/);
    expect(pricing[0]).toMatch(/\brun_staging\b/);
    const reads = sent.filter((sql) => /\bFROM\s+focus\b/.test(sql));
    expect(reads.filter((sql) => sql.includes('CREATE OR REPLACE TABLE run_staging'))).toHaveLength(1);
  });

  it('keeps prices read over newer days when an older day is detected again (a backfill), and a dry run writes none', async () => {
    const store = new MemoryBlobStore();
    const rows = [
      opus(A, '2026-03-12', 'input', 2_000_000, 5.5),
      opus(A, '2026-02-12', 'input', 2_000_000, 4.4),
    ];
    await detect(rows, store, '2026-03-12', true);
    expect(store.blobs.has(PRICES_KEY)).toBe(false);
    await detect(rows, store, '2026-03-12');
    await detect(rows, store, '2026-02-12');
    expect(store.json<PriceTable>(PRICES_KEY).run_id).toBe('run-2026-03-12');
  });
});
