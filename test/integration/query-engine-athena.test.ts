/**
 * The Athena engine: the QueryEngine contract with Athena's API answered from the real Trino of
 * this test run (test/fixtures/athena-on-trino.ts: Athena-shaped pages of real results). Query
 * states, throttling, failure reasons and cancellation are on the SDK mock in test/unit.
 */
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { describe, expect, inject, it } from 'vitest';
import { AthenaQueryEngine } from '../../functions/adapters/query-engine/athena.js';
import { athenaOnTrino } from '../fixtures/athena-on-trino.js';
import { queryEngineContract } from '../fixtures/query-engine-contract.js';

const trino = inject('trino');
const noWait = async () => {};
const OPTIONS = { workgroup: 'sentinel', database: 'focus', sleep: noWait };

describe('Athena engine on Athena-shaped pages of real Trino results', () => {
  const fake = athenaOnTrino({ server: trino.url, catalog: trino.catalog, schema: 'default' });
  queryEngineContract('Athena (pages from Trino)', {
    open: async () => new AthenaQueryEngine(fake.client, OPTIONS),
  });

  it('sends the SQL text unchanged in the configured workgroup and database', async () => {
    const engine = new AthenaQueryEngine(fake.client, OPTIONS);
    const sql = `SELECT 'it''s' AS quoted, DATE '2026-03-01' AS day`;
    expect(await engine.query(sql)).toEqual([{ quoted: "it's", day: '2026-03-01' }]);
    const start = fake.mock.commandCalls(StartQueryExecutionCommand).at(-1)!.args[0].input;
    expect(start).toMatchObject({
      QueryString: sql,
      WorkGroup: 'sentinel',
      QueryExecutionContext: { Database: 'focus' },
    });
    expect(start.ResultConfiguration).toBeUndefined();
  });
});
