/** sql/staging.sql (and coverage.sql, compute-daily.sql), given/expect: the population rules of docs/detection.md "Input". */
import { describe, expect, it } from 'vitest';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { stagingStatements, unitCheckStatement } from '../../functions/core/detect/statement-plan.js';
import {
  computeSql,
  coverageSql,
  type FocusTable,
  STAGING_TABLE,
  stagedInferenceSql,
  stagingShape,
  stagingSql,
} from '../../functions/core/detect/statement-sql.js';
import type { Row } from '../../functions/core/ports.js';
import { type FixtureRow, focusRow } from '../fixtures/focus-rows.js';
import { DUCKDB_FOCUS, testConfig, withFocus } from './harness.js';

const D = '2026-03-20';
const config = testConfig();
const window = dataWindow(['runaway-inference', 'cache-miss'], config, [D]);

/** Each statement over staging, self-contained: staging.sql as its sub-query. */
const SELF_CONTAINED: FocusTable = { ...DUCKDB_FOCUS, staging: 'ctes' };

async function staged(rows: FixtureRow[], detail = false) {
  return withFocus(rows, (engine) =>
    engine.query(stagedInferenceSql(SELF_CONTAINED, config, window, detail)),
  );
}

const day = '2026-03-18';

/** Staging rows a statement counts (kind other is kept for coverage only), as sorted comparable text. */
const kinds = (list: Row[]) =>
  list
    .filter((r) => r.kind !== 'other')
    .map((r) => JSON.stringify(r))
    .sort();

describe('staging: which rows are Bedrock inference charges', () => {
  it.each([
    ['first-party AmazonBedrock', {}, 1],
    ['AmazonBedrockService code', { x_servicecode: 'AmazonBedrockService', servicename: 'x' }, 1],
    [
      'AmazonBedrockFoundationModels code',
      { x_servicecode: 'AmazonBedrockFoundationModels', servicename: 'x' },
      1,
    ],
    [
      'a Marketplace "(Amazon Bedrock Edition)" model',
      {
        x_servicecode: 'prod-abc123',
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        skumeter: 'USE1-MP:USE1_InputTokenCount-Units',
        consumedunit: 'Units',
      },
      1,
    ],
    ['a Bedrock resource ARN under another code', { x_servicecode: 'Other', servicename: 'Other' }, 1],
    [
      'AgentCore is not model inference',
      {
        x_servicecode: 'AmazonBedrockAgentCore',
        servicename: 'Amazon Bedrock AgentCore',
        skumeter: 'USE1-AgentCore-Runtime-tokens',
      },
      0,
    ],
    ['a correction is excluded', { chargeclass: 'Correction' }, 0],
    ['ChargeClass NULL is a regular charge', { chargeclass: null }, 1],
    ['a credit is not usage', { chargecategory: 'Credit', billedcost: -5 }, 0],
    ['tax is not usage', { chargecategory: 'Tax' }, 0],
    ['a NULL account is skipped', { subaccountid: null }, 0],
    ['a NULL cost is skipped', { billedcost: null }, 0],
    ['a NaN cost is skipped', { billedcost: Number.NaN }, 0],
    [
      'a non-token usage type with an InvokeModel operation counts (x_operation since 2026-01)',
      { skumeter: 'USE1-Claude4.6Opus-ProvisionedThroughput', x_operation: 'InvokeModelStreamingInference' },
      1,
    ],
    [
      'a non-token usage type under another operation does not',
      { skumeter: 'USE1-Bedrock-KnowledgeBase-Storage', x_operation: 'Usage' },
      0,
    ],
    [
      'EC2 is not Bedrock',
      {
        x_servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        resourceid: 'i-0abc',
        skumeter: 'USE1-BoxUsage:m7g.large',
      },
      0,
    ],
  ] as [string, Partial<FixtureRow>, number][])('%s', async (_name, overrides, expected) => {
    const rows = await staged([focusRow({ chargeperiodstart: day, ...overrides })]);
    expect(rows).toHaveLength(expected);
  });

  it('matches InvokeModel against x_operation, never the usage type (the original query matched nothing)', async () => {
    const rows = await staged([
      focusRow({ chargeperiodstart: day, skumeter: 'USE1-InvokeModel-Something', x_operation: 'Usage' }),
    ]);
    expect(rows).toHaveLength(0);
  });

  it('prunes to the data window: a charge before D−36 is not read', async () => {
    expect(await staged([focusRow({ chargeperiodstart: '2026-02-11' })])).toHaveLength(0);
    expect(await staged([focusRow({ chargeperiodstart: '2026-02-12' })])).toHaveLength(1);
  });

  it('takes the UTC date of chargeperiodstart as the day', async () => {
    const [row] = await staged([focusRow({ chargeperiodstart: '2026-03-18 23:00:00' })]);
    expect(row!.day).toBe('2026-03-18');
  });
});

describe('staging: token classes, units and model keys', () => {
  it.each([
    ['USE1-Claude4.6Opus-input-tokens-cross-region-global', 'input', 'Claude4.6Opus'],
    ['USE1-Claude4.6Opus-output-tokens', 'output', 'Claude4.6Opus'],
    ['USE1-Claude4.6Opus-cache-read-input-token-count', 'cache_read', 'Claude4.6Opus'],
    ['USE1-Claude4.6Opus-cache-write-input-token-count', 'cache_write', 'Claude4.6Opus'],
    ['USE1-Claude4.6Opus-cache-write-1h-input-token-count', 'cache_write_1h', 'Claude4.6Opus'],
    ['USE1-Claude4.6Opus-batch-input-tokens', 'input', 'Claude4.6Opus'],
    ['USW2-NovaPro-output-tokens-global', 'output', 'NovaPro'],
    ['EUC1-Claude4.5Sonnet-input-tokens-flex', 'input', 'Claude4.5Sonnet'],
    ['USE1-TitanEmbedV2-embedding-tokens', 'other', 'TitanEmbedV2-embedding'],
  ])('%s → %s of %s', async (usageType, tokenClass, model) => {
    const [row] = await staged([focusRow({ chargeperiodstart: day, skumeter: usageType })]);
    expect(row!.token_class).toBe(tokenClass);
    expect(row!.model).toBe(model);
  });

  it.each([
    ['USE1-MP:USE1_InputTokenCount-Units', 'input'],
    ['USE1-MP:USE1_InputTokenCount_Global-Units', 'input'],
    ['USE1-MP:USE1_CacheReadInputTokenCount-Units', 'cache_read'],
    ['USE1-MP:USE1_CacheWriteInputTokenCount-Units', 'cache_write'],
    ['USE1-MP:USE1_CacheWrite1hInputTokenCount-Units', 'cache_write_1h'],
    ['USE1-MP:USE1_cache_write_tokens_1h_standard-Units', 'cache_write_1h'],
    ['USE1-MP:USE1_OutputTokenCount_Batch-Units', 'output'],
  ])('Marketplace %s → %s, model from the service name', async (usageType, tokenClass) => {
    const [row] = await staged([
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'prod-7xk2',
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        skumeter: usageType,
        consumedunit: 'Units',
        consumedquantity: 2,
      }),
    ]);
    expect(row!.token_class).toBe(tokenClass);
    expect(row!.model).toBe('Claude Opus 4.6');
    expect(row!.tokens).toBe(2_000_000);
  });

  it.each([
    ['1K tokens', 3, 3_000],
    ['1M tokens', 3, 3_000_000],
    ['Million tokens', 3, 3_000_000],
    ['Units', 3, 3_000_000],
    ['tokens', 3, 3],
  ])('scales %s: %d → %d tokens', async (unit, quantity, tokens) => {
    const [row] = await staged([
      focusRow({ chargeperiodstart: day, consumedunit: unit, consumedquantity: quantity }),
    ]);
    expect(row!.tokens).toBe(tokens);
    expect(row!.unknown_unit).toBeNull();
  });

  it('uses pricingunit where consumedunit is null', async () => {
    const [row] = await staged([
      focusRow({ chargeperiodstart: day, consumedunit: null, pricingunit: '1K tokens', consumedquantity: 2 }),
    ]);
    expect(row!.tokens).toBe(2_000);
  });

  it('counts an unknown unit ×1 and flags it (never dropped)', async () => {
    const [row] = await staged([
      focusRow({ chargeperiodstart: day, consumedunit: 'Gigatokens', consumedquantity: 2 }),
    ]);
    expect(row!.tokens).toBe(2);
    expect(row!.unknown_unit).toBe('gigatokens');
  });

  it('groups the variants of one model together, and keeps first-party and Marketplace apart', async () => {
    const rows = await staged([
      focusRow({ chargeperiodstart: day, skumeter: 'USE1-Claude4.6Opus-input-tokens' }),
      focusRow({ chargeperiodstart: day, skumeter: 'USE1-Claude4.6Opus-input-tokens-cross-region-global' }),
      focusRow({ chargeperiodstart: day, skumeter: 'USE1-Claude4.6Opus-batch-input-tokens' }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'prod-7xk2',
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        skumeter: 'USE1-MP:USE1_InputTokenCount-Units',
        consumedunit: 'Units',
      }),
    ]);
    expect(rows.map((r) => `${r.model}:${r.cost}`).sort()).toEqual(['Claude Opus 4.6:1', 'Claude4.6Opus:3']);
  });

  it('reads the FOCUS 1.0 usage type (x_usagetype) where skumeter is absent', async () => {
    const [row] = await staged([
      focusRow({ chargeperiodstart: day, skumeter: null, x_usagetype: 'USE1-Claude4.6Opus-output-tokens' }),
    ]);
    expect(row!.token_class).toBe('output');
  });

  it('keeps the configured tags, with or without the user: prefix, in the detail rows', async () => {
    const rows = await staged(
      [
        focusRow({ chargeperiodstart: day, tags: { 'agent-run-id': 'run-1' } }),
        focusRow({ chargeperiodstart: day, tags: { 'user:agent-run-id': 'run-2' } }),
        focusRow({ chargeperiodstart: day, tags: { team: 'x' } }),
      ],
      true,
    );
    expect(rows.map((r) => String(r.tag_0)).sort()).toEqual(['null', 'run-1', 'run-2']);
  });
});

describe('coverage and compute statements', () => {
  it('reports first and last charge days of the touched periods, and NULL rows', async () => {
    const rows = [
      focusRow({ chargeperiodstart: '2026-02-20', x_servicecode: 'AmazonS3', servicename: 'Amazon S3' }),
      focusRow({ chargeperiodstart: '2026-03-19' }),
      focusRow({ chargeperiodstart: '2026-03-19', subaccountid: null }),
      focusRow({ chargeperiodstart: '2026-03-19', billedcost: Number.NaN }),
      focusRow({ chargeperiodstart: '2025-11-01' }), // a period the window does not touch
    ];
    const [row] = await withFocus(rows, (engine) =>
      engine.query(coverageSql(SELF_CONTAINED, config, window)),
    );
    expect(row).toMatchObject({
      first_charge_day: '2026-02-20',
      last_charge_day: '2026-03-19',
      row_count: 4,
      null_account_rows: 1,
      null_cost_rows: 1,
    });
  });

  it('sums compute spend (EC2, Lambda, ECS, SageMaker) per account and day, nothing else', async () => {
    // Each row is of one kind: a compute charge has its own usage type and resource, not a Bedrock one.
    const notBedrock = (service: string) => ({
      skumeter: `USE1-${service}-Usage`,
      x_operation: 'RunInstances',
      resourceid: `arn:aws:${service.toLowerCase()}:us-east-1:111111111111:thing/x`,
    });
    const rows = [
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        ...notBedrock('EC2'),
        billedcost: 4,
      }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AWSLambda',
        servicename: 'AWS Lambda',
        ...notBedrock('Lambda'),
        billedcost: 1,
      }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonSageMaker',
        servicename: 'Amazon SageMaker',
        ...notBedrock('SageMaker'),
        billedcost: 2,
      }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonS3',
        servicename: 'Amazon S3',
        ...notBedrock('S3'),
        billedcost: 9,
      }),
      focusRow({ chargeperiodstart: day, billedcost: 9 }), // Bedrock
    ];
    const result = await withFocus(rows, (engine) =>
      engine.query(computeSql(SELF_CONTAINED, config, window)),
    );
    expect(result).toEqual([{ account_id: '111111111111', day, cost: 7 }]);
  });
});

describe('staging: the run’s one read of the export (docs/architecture.md "one scan per run")', () => {
  const rows = [
    focusRow({ chargeperiodstart: day, billedcost: 5 }), // Bedrock inference
    focusRow({
      chargeperiodstart: day,
      x_servicecode: 'AmazonEC2',
      servicename: 'Amazon Elastic Compute Cloud',
      skumeter: 'USE1-BoxUsage:m5.large',
      x_operation: 'RunInstances',
      resourceid: 'i-0123',
      billedcost: 3,
    }),
    focusRow({
      chargeperiodstart: day,
      x_servicecode: 'AmazonS3',
      servicename: 'Amazon S3',
      skumeter: 'USE1-TimedStorage',
      x_operation: 'PutObject',
      resourceid: 'bucket',
      billedcost: 2,
    }),
    focusRow({ chargeperiodstart: day, subaccountid: null }),
    focusRow({ chargeperiodstart: '2026-03-01', chargecategory: 'Tax', billedcost: 7 }),
    focusRow({ chargeperiodstart: '2026-02-02' }), // a touched period, before the data window
    focusRow({ chargeperiodstart: '2025-11-01' }), // a period the window does not touch: never read
  ];

  it('classifies every row of the touched periods as one kind, and counts them all (Athena, Trino)', async () => {
    const result = await withFocus(rows, (engine) =>
      engine.query(stagingSql(SELF_CONTAINED, config, window, true)),
    );
    const byKind = (kind: string) => result.filter((r) => r.kind === kind);
    expect(byKind('inference').map((r) => [r.account_id, r.cost])).toEqual([['111111111111', 5]]);
    expect(byKind('compute').map((r) => [r.account_id, r.model, r.cost])).toEqual([
      ['111111111111', null, 3],
    ]);
    // Everything else keeps only what coverage needs: no account, model or cost of its own.
    expect(byKind('other').every((r) => r.account_id === null && r.model === null && r.cost === null)).toBe(
      true,
    );
    expect(result.reduce((n, r) => n + Number(r.row_count), 0)).toBe(6);
    expect(result.filter((r) => r.day === '2025-11-01')).toEqual([]);
  });

  it('gives coverage its delivery folders and unknown token units', async () => {
    const withUnknownUnit = [
      ...rows,
      focusRow({ chargeperiodstart: day, consumedunit: 'Furlongs', pricingunit: null }),
    ];
    const [row] = await withFocus(withUnknownUnit, (engine) =>
      engine.query(coverageSql(SELF_CONTAINED, config, window)),
    );
    expect(row).toMatchObject({
      first_charge_day: '2026-02-02',
      last_charge_day: day,
      row_count: 7,
      null_account_rows: 1,
      extra_deliveries: 0, // DuckDB's file reader reads one delivery per period itself
      unknown_units: 1,
    });
  });

  it('on DuckDB keeps only the rows a detector reads, and coverage reads the export: the same numbers', async () => {
    const withUnknownUnit = [
      ...rows,
      focusRow({ chargeperiodstart: day, consumedunit: 'Furlongs', pricingunit: null }),
    ];
    const { oneScan, detectorRows, coverage, oneScanCoverage, units } = await withFocus(
      withUnknownUnit,
      async (engine) => {
        const [create] = stagingStatements(DUCKDB_FOCUS, config, window);
        await engine.execute(create!.sql);
        return {
          oneScan: await engine.query(stagingSql(SELF_CONTAINED, config, window, true)),
          detectorRows: await engine.query(`SELECT * FROM ${STAGING_TABLE}`),
          coverage: await engine.query(coverageSql(DUCKDB_FOCUS, config, window)),
          oneScanCoverage: await engine.query(coverageSql(SELF_CONTAINED, config, window)),
          units: await engine.query(unitCheckStatement(DUCKDB_FOCUS).sql),
        };
      },
    );
    expect(stagingShape(DUCKDB_FOCUS)).toBe('detector-rows');
    expect(kinds(detectorRows)).toEqual(kinds(oneScan));
    expect(kinds(detectorRows)).toHaveLength(3); // inference, its unknown-unit twin, compute
    // The S3 row and the row before the window are not read into it (the one scan keeps them).
    expect(detectorRows.reduce((n, r) => n + Number(r.row_count), 0)).toBeLessThan(
      oneScan.reduce((n, r) => n + Number(r.row_count), 0),
    );
    // DuckDB's coverage reads the export while staging is made: the unit check counts unknown units.
    expect(coverage).toEqual([{ ...oneScanCoverage[0], unknown_units: null }]);
    expect(coverage[0]).toMatchObject({ row_count: 7, null_account_rows: 1 });
    expect(oneScanCoverage[0]).toMatchObject({ unknown_units: 1 });
    expect(units).toEqual([{ unknown_unit: 'furlongs', row_count: 1 }]);
  });

  it('on DuckDB finds each Bedrock row once, by code, name or ARN, and a compute-coded row the Bedrock rule takes is not compute', async () => {
    // DuckDB reads Bedrock rows in three disjoint scans and sums compute straight from the export
    // (docs/architecture.md "One scan per run"): both must give what the one scan gives.
    const ec2 = {
      x_servicecode: 'AmazonEC2',
      servicename: 'Amazon Elastic Compute Cloud',
      skumeter: 'USE1-BoxUsage:m5.large',
      x_operation: 'RunInstances',
      resourceid: 'i-0123',
    };
    const mixed = [
      focusRow({ chargeperiodstart: day, billedcost: 5 }), // code, name and ARN all say Bedrock
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'prod-abc123',
        servicename: 'Claude Opus 4.6 (Amazon Bedrock Edition)',
        skumeter: 'USE1-MP:USE1_InputTokenCount-Units',
        consumedunit: 'Units',
        resourceid: null,
        billedcost: 2,
      }), // name only
      focusRow({ chargeperiodstart: day, x_servicecode: 'Other', servicename: 'Other', billedcost: 3 }), // ARN only
      focusRow({
        chargeperiodstart: day,
        x_servicecode: null as unknown as string,
        servicename: 'Amazon Bedrock',
        billedcost: 0.5,
      }), // no code at all
      // Compute-coded, but the Bedrock rule takes them (an ARN, a name): Bedrock, not compute.
      focusRow({ chargeperiodstart: day, x_servicecode: 'AmazonEC2', servicename: 'Other', billedcost: 4 }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonEC2',
        servicename: 'Amazon Bedrock',
        resourceid: 'i-0123',
        billedcost: 1,
      }),
      focusRow({ chargeperiodstart: day, ...ec2, billedcost: 7 }),
      focusRow({
        chargeperiodstart: '2026-03-19',
        ...ec2,
        x_servicecode: 'AWSLambda',
        servicename: 'AWS Lambda',
        billedcost: 6,
      }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonBedrockAgentCore',
        servicename: 'Amazon Bedrock AgentCore',
        skumeter: 'USE1-AgentCore-Runtime-vCPU-Hours',
        billedcost: 1.5,
      }),
    ];
    const { oneScan, detectorRows } = await withFocus(mixed, async (engine) => {
      const [create] = stagingStatements(DUCKDB_FOCUS, config, window);
      await engine.execute(create!.sql);
      return {
        oneScan: await engine.query(stagingSql(SELF_CONTAINED, config, window, true)),
        detectorRows: await engine.query(`SELECT * FROM ${STAGING_TABLE}`),
      };
    });
    expect(kinds(detectorRows)).toEqual(kinds(oneScan));
    const total = (kind: string) =>
      detectorRows.filter((r) => r.kind === kind).reduce((sum, r) => sum + Number(r.cost), 0);
    const rowsOf = (kind: string) =>
      detectorRows.filter((r) => r.kind === kind).reduce((n, r) => n + Number(r.row_count), 0);
    expect(total('inference')).toBeCloseTo(5 + 2 + 3 + 0.5 + 4 + 1, 9);
    expect(rowsOf('inference')).toBe(6);
    expect(total('bedrock')).toBeCloseTo(1.5, 9);
    // The Lambda row on the 19th is a day of compute alone; the 18th keeps only the plain EC2 row.
    expect(
      detectorRows
        .filter((r) => r.kind === 'compute')
        .map((r) => [r.day, r.cost, Number(r.row_count)])
        .sort(),
    ).toEqual([
      ['2026-03-18', 7, 1],
      ['2026-03-19', 6, 1],
    ]);
  });
});
