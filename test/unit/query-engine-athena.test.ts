/**
 * The Athena engine on the SDK mock: what no local server does — query states and polling,
 * throttling, failure reasons, paging and cancellation.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaQueryEngine, AthenaQueryError } from '../../functions/adapters/query-engine/athena.js';
import { BadInputError, RunAbortedError, UpstreamError } from '../../functions/core/errors.js';

const noWait = async () => {};
const OPTIONS = { workgroup: 'sentinel', database: 'focus', sleep: noWait };

describe('Athena engine on the SDK mock', () => {
  const athena = mockClient(AthenaClient);
  afterEach(() => athena.reset());
  const client = () => new AthenaClient({ region: 'us-east-1' });
  const meta = {
    ColumnInfo: [
      { Name: 'n', Type: 'bigint' },
      { Name: 'cost', Type: 'double' },
    ],
  };
  const row = (...values: (string | undefined)[]) => ({
    Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
  });

  it('polls with growing waits until SUCCEEDED, pages the results (header on page 1 only), counts bytes and ids', async () => {
    const waits: number[] = [];
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({
        QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 4096 } },
      });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        ResultSet: { Rows: [row('n', 'cost'), row('1', '2.5')], ResultSetMetadata: meta },
        NextToken: 't2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 't2' })
      .resolves({ ResultSet: { Rows: [row('2', undefined), row('3', '1.0E-7')], ResultSetMetadata: meta } });
    const engine = new AthenaQueryEngine(client(), {
      ...OPTIONS,
      poll: { firstMs: 100, capMs: 250 },
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await engine.query('SELECT 1')).toEqual([
      { n: 1, cost: 2.5 },
      { n: 2, cost: null },
      { n: 3, cost: 1e-7 },
    ]);
    expect(waits).toEqual([100, 200, 250]);
    expect(engine.stats()).toEqual({ statements: 1, bytesScanned: 4096, queryIds: ['q-1'], rows: 3 });
  });

  it('maps FAILED to a named error carrying Athena’s reason, and a missing column to bad input', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          AthenaError: { ErrorMessage: 'HIVE_BAD_DATA: Error parsing field value' },
        },
      },
    });
    const engine = new AthenaQueryEngine(client(), OPTIONS);
    const error = await engine.query('SELECT 1', { label: 'staging' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(String((error as Error).message)).toMatch(/staging \(query q-2\) FAILED: HIVE_BAD_DATA/);
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'skumeter' cannot be resolved",
        },
      },
    });
    const missing = await engine.query('SELECT skumeter FROM cur').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadInputError);
    expect(String((missing as Error).message)).toMatch(/skumeter/);
  });

  it('maps CANCELLED (a workgroup byte limit, say) to a named error with its reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'CANCELLED', StateChangeReason: 'Query exhausted the byte limit' } },
    });
    const error = await new AthenaQueryEngine(client(), OPTIONS)
      .execute('CREATE TABLE x AS SELECT 1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect((error as AthenaQueryError).state).toBe('CANCELLED');
    expect((error as Error).message).toMatch(/byte limit/);
  });

  it('leaves throttled calls to the SDK client and names the step that still failed', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 400, attempts: 6 },
    });
    athena.on(StartQueryExecutionCommand).rejects(throttled);
    const error = await new AthenaQueryEngine(client(), OPTIONS).execute('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(String((error as Error).message)).toMatch(/statement \(start\) failed: TooManyRequestsException/);
    // One call here: the SDK's adaptive retries (the composition root's client) made the others.
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
  });

  it('stops the query with StopQueryExecution when the run’s signal aborts while it runs', async () => {
    const controller = new AbortController();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-5' });
    athena.on(GetQueryExecutionCommand).callsFake(async () => {
      controller.abort(new Error('30 s before the Lambda timeout'));
      return { QueryExecution: { Status: { State: 'RUNNING' } } };
    });
    athena.on(StopQueryExecutionCommand).resolves({});
    const error = await new AthenaQueryEngine(client(), OPTIONS)
      .query('SELECT 1', { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunAbortedError);
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: 'q-5',
    });
  });

  it('sends nothing once the signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await new AthenaQueryEngine(client(), OPTIONS)
      .query('SELECT 1', { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunAbortedError);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('passes an output location only when configured (a workgroup that does not enforce one)', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-6' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    await new AthenaQueryEngine(client(), { ...OPTIONS, outputLocation: 's3://results/athena/' }).execute(
      'SELECT 1',
    );
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.ResultConfiguration).toEqual({
      OutputLocation: 's3://results/athena/',
    });
  });
});
