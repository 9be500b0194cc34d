/**
 * The Trino engine: the QueryEngine contract against the real server of this test run (test/setup/
 * trino.ts), and, with an injected fake client, what a real server cannot be made to do on cue
 * (abort mid-result, a server that goes away).
 */
import type { QueryResult } from 'trino-client';
import { describe, expect, inject, it } from 'vitest';
import { type TrinoClient, TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { queryEngineContract } from '../fixtures/query-engine-contract.js';

const trino = inject('trino');

queryEngineContract(`Trino ${trino.version}`, {
  open: async () =>
    TrinoQueryEngine.connect({
      server: trino.url,
      catalog: trino.catalog,
      schema: 'default',
      user: 'sentinel-test',
    }),
});

describe('Trino engine against the server', () => {
  it('records query ids and the bytes the server reports reading', async () => {
    const engine = TrinoQueryEngine.connect({
      server: trino.url,
      catalog: trino.catalog,
      schema: 'default',
      user: 'sentinel-test',
    });
    await engine.query('SELECT 1 AS x');
    await engine.execute('SELECT 2 AS y');
    const stats = engine.stats();
    expect(stats.queryIds).toHaveLength(2);
    expect(stats.queryIds[0]).toMatch(/^\d{8}_\d{6}_\d{5}_\w{5}$/);
    expect(stats.statements).toBe(2);
    expect(stats.rows).toBe(1);
  });

  it('evaluates in UTC whatever the server or machine zone', async () => {
    const engine = TrinoQueryEngine.connect({
      server: trino.url,
      catalog: trino.catalog,
      schema: 'default',
      user: 'sentinel-test',
    });
    const [row] = await engine.query(
      `SELECT current_timezone() AS zone, CAST(from_iso8601_timestamp('2026-03-01T23:30:00Z') AS DATE) AS day`,
    );
    expect(row).toEqual({ zone: 'UTC', day: '2026-03-01' });
  });
});

/** A fake trino-client: pages as given, records cancels. */
function fakeClient(pages: QueryResult[], onPage?: (i: number) => void) {
  const cancelled: string[] = [];
  const sent: unknown[] = [];
  const client: TrinoClient = {
    async query(query) {
      sent.push(query);
      return (async function* () {
        for (const [i, page] of pages.entries()) {
          onPage?.(i);
          yield page;
        }
      })();
    },
    async cancel(id) {
      cancelled.push(id);
      return {};
    },
  };
  return { client, cancelled, sent };
}

const page = (data: unknown[][] | undefined, extra: Partial<QueryResult> = {}): QueryResult => ({
  id: 'q1',
  columns: [
    { name: 'day', type: 'date' },
    { name: 'cost', type: 'decimal(38,6)' },
  ],
  ...(data ? { data } : {}),
  ...extra,
});

describe('Trino engine with an injected client', () => {
  const session = { catalog: 'awsdatacatalog', schema: 'cur', user: 'finops' };

  it('sends catalog, schema and user with every statement and converts every page', async () => {
    const { client, sent } = fakeClient([
      page(undefined),
      page([['2026-03-01', '1.500000']]),
      page([['2026-03-02', '2.25']]),
    ]);
    const engine = new TrinoQueryEngine(client, session);
    expect(await engine.query('SELECT 1')).toEqual([
      { day: '2026-03-01', cost: 1.5 },
      { day: '2026-03-02', cost: 2.25 },
    ]);
    expect(sent).toEqual([{ query: 'SELECT 1', ...session }]);
  });

  it('stops reading and cancels the query when the signal aborts', async () => {
    const controller = new AbortController();
    const { client, cancelled } = fakeClient(
      [page([['2026-03-01', '1']]), page([['2026-03-02', '2']]), page([['2026-03-03', '3']])],
      (i) => {
        if (i === 1) controller.abort(new Error('detect timeout'));
      },
    );
    const engine = new TrinoQueryEngine(client, session);
    const error = await engine
      .query('SELECT 1', { signal: controller.signal, label: 'staging' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe('Trino staging cancelled: detect timeout');
    expect(cancelled).toEqual(['q1']);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const { client, sent } = fakeClient([page([])]);
    const engine = new TrinoQueryEngine(client, session);
    await expect(engine.query('SELECT 1', { signal: AbortSignal.abort() })).rejects.toThrow(/cancelled/);
    expect(sent).toEqual([]);
  });

  it('maps a server that cannot be reached to an upstream error', async () => {
    const client: TrinoClient = {
      query: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      },
      cancel: async () => ({}),
    };
    const engine = new TrinoQueryEngine(client, session);
    await expect(engine.query('SELECT 1', { label: 'coverage' })).rejects.toThrow(
      new UpstreamError('Trino coverage failed: connect ECONNREFUSED 127.0.0.1:1'),
    );
  });
});
