/**
 * The CloudWatch metrics source on the SDK mock, for what moto does not do (test/integration/
 * metrics-cloudwatch.test.ts runs the shared contract on moto): cross-account observability
 * (`OwningAccounts`, `AccountId` on each query), `RecentlyActive`, more than 500 queries, `NextToken`
 * paging of both calls, series CloudWatch cannot return, and the two spellings of the cache metrics.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  ListMetricsCommand,
  type ListMetricsCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CloudWatchMetricsSource, cloudWatchClients } from '../../functions/adapters/metrics/cloudwatch.js';
import { UpstreamError } from '../../functions/core/errors.js';

const FROM = '2026-12-04T16:00:00Z';
const TO = '2026-12-04T19:00:00Z';
const MONITORING = '999999999999';
const at = (hour: number) => new Date(Date.UTC(2026, 11, 4, hour, 0, 0));

interface Listed {
  name: string;
  model: string;
  account: string;
}

/** A mocked CloudWatch: ListMetrics lists `listed` (with OwningAccounts when `linked`), GetMetricData answers `answer`. */
function mocked(
  listed: Listed[],
  options: {
    linked?: boolean;
    listPageSize?: number;
    answer?: (
      input: GetMetricDataCommandInput,
      call: number,
    ) => { results: MetricDataResult[]; next?: string };
  } = {},
) {
  const client = new CloudWatchClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const pageSize = options.listPageSize ?? 500;
  mock.on(ListMetricsCommand).callsFake((input: ListMetricsCommandInput) => {
    const all = listed.filter((l) => l.name === input.MetricName);
    const start = Number(input.NextToken ?? 0);
    const page = all.slice(start, start + pageSize);
    return {
      Metrics: page.map((l) => ({
        Namespace: 'AWS/Bedrock',
        MetricName: l.name,
        Dimensions: [{ Name: 'ModelId', Value: l.model }],
      })),
      ...(options.linked === false ? {} : { OwningAccounts: page.map((l) => l.account) }),
      ...(start + pageSize < all.length ? { NextToken: String(start + pageSize) } : {}),
    };
  });
  let calls = 0;
  mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const { results, next } = options.answer?.(input, calls++) ?? {
      results: (input.MetricDataQueries ?? []).map((q) => ({
        Id: q.Id,
        StatusCode: 'Complete' as const,
        Timestamps: [at(16), at(17)],
        Values: [100, 200],
      })),
    };
    return { MetricDataResults: results, ...(next ? { NextToken: next } : {}) };
  });
  return { client, mock };
}

function sourceOver(client: CloudWatchClient, warnings: string[] = [], recentlyActive = false) {
  return new CloudWatchMetricsSource({
    clients: [{ region: 'us-east-1', client }],
    accountId: MONITORING,
    recentlyActive,
    warn: (m) => warnings.push(m),
  });
}

describe('CloudWatch metrics source across linked accounts (SDK mock)', () => {
  it('lists with IncludeLinkedAccounts and names each owning account on its query', async () => {
    const { client, mock } = mocked([
      { name: 'InputTokenCount', model: 'anthropic.claude-opus-4-6-v1', account: '111111111111' },
      { name: 'InputTokenCount', model: 'anthropic.claude-opus-4-6-v1', account: '222222222222' },
    ]);
    const warnings: string[] = [];
    const source = sourceOver(client, warnings);
    const rows = await source.hourly({ from: FROM, to: TO, metrics: ['input_tokens'] });
    for (const call of mock.commandCalls(ListMetricsCommand)) {
      expect(call.args[0].input).toMatchObject({ Namespace: 'AWS/Bedrock', IncludeLinkedAccounts: true });
      expect(call.args[0].input.RecentlyActive).toBeUndefined();
    }
    const queries = mock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(queries.map((q) => q.AccountId)).toEqual(['111111111111', '222222222222']);
    expect(queries[0]!.MetricStat).toMatchObject({ Period: 3600, Stat: 'Sum' });
    expect(rows.map((r) => [r.account_id, r.hour, r.input_tokens])).toEqual([
      ['111111111111', '2026-12-04T16:00:00Z', 100],
      ['222222222222', '2026-12-04T16:00:00Z', 100],
      ['111111111111', '2026-12-04T17:00:00Z', 200],
      ['222222222222', '2026-12-04T17:00:00Z', 200],
    ]);
    expect(warnings).toEqual([]);
    expect(source.describe()).toBe(
      'CloudWatch AWS/Bedrock in us-east-1: 2 accounts through cross-account observability',
    );
  });

  it('reads only the accounts asked for (the second stage of a read)', async () => {
    const { client, mock } = mocked([
      { name: 'OutputTokenCount', model: 'm', account: '111111111111' },
      { name: 'OutputTokenCount', model: 'm', account: '222222222222' },
    ]);
    const rows = await sourceOver(client).hourly({
      from: FROM,
      to: TO,
      metrics: ['output_tokens'],
      accounts: ['222222222222'],
    });
    const queries = mock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(queries.map((q) => q.AccountId)).toEqual(['222222222222']);
    expect(new Set(rows.map((r) => r.account_id))).toEqual(new Set(['222222222222']));
  });

  it('asks for recently active series only when told to', async () => {
    const { client, mock } = mocked([{ name: 'InputTokenCount', model: 'm', account: '111111111111' }]);
    await sourceOver(client, [], true).hourly({ from: FROM, to: TO, metrics: ['input_tokens'] });
    expect(mock.commandCalls(ListMetricsCommand)[0]!.args[0].input.RecentlyActive).toBe('PT3H');
  });

  it('follows ListMetrics pages and sends at most 500 queries a call', async () => {
    const listed = Array.from({ length: 1201 }, (_, i) => ({
      name: 'InputTokenCount',
      model: `model-${i}`,
      account: String(100000000000 + (i % 7)),
    }));
    const { client, mock } = mocked(listed, { listPageSize: 500 });
    const source = sourceOver(client);
    const rows = await source.hourly({ from: FROM, to: TO, metrics: ['input_tokens'] });
    expect(mock.commandCalls(ListMetricsCommand).map((c) => c.args[0].input.NextToken)).toEqual([
      undefined,
      '500',
      '1000',
    ]);
    expect(
      mock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries!.length),
    ).toEqual([500, 500, 201]);
    expect(rows).toHaveLength(1201 * 2);
    expect(source.stats()).toEqual({ requests: 3, metrics_requested: 1201 });
  });

  it('follows GetMetricData pages with the same queries until every series is complete', async () => {
    const { client, mock } = mocked([{ name: 'InputTokenCount', model: 'm', account: '111111111111' }], {
      answer: (input, call) =>
        call === 0
          ? {
              results: [
                {
                  Id: input.MetricDataQueries![0]!.Id,
                  StatusCode: 'PartialData',
                  Timestamps: [at(16)],
                  Values: [5],
                },
              ],
              next: 'more',
            }
          : {
              results: [
                {
                  Id: input.MetricDataQueries![0]!.Id,
                  StatusCode: 'Complete',
                  Timestamps: [at(18)],
                  Values: [7],
                },
              ],
            },
    });
    const source = sourceOver(client);
    const rows = await source.hourly({ from: FROM, to: TO, metrics: ['input_tokens'] });
    const calls = mock.commandCalls(GetMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'more']);
    expect(rows.map((r) => [r.hour, r.input_tokens])).toEqual([
      ['2026-12-04T16:00:00Z', 5],
      ['2026-12-04T18:00:00Z', 7],
    ]);
    // Each page of a call counts its queries again: what CloudWatch may bill.
    expect(source.stats()).toEqual({ requests: 2, metrics_requested: 2 });
  });

  it('makes an account and model id unknown for the range when a series cannot be read', async () => {
    const { client } = mocked(
      [
        { name: 'InputTokenCount', model: 'm', account: '111111111111' },
        { name: 'OutputTokenCount', model: 'm', account: '111111111111' },
        { name: 'InputTokenCount', model: 'm', account: '222222222222' },
      ],
      {
        answer: (input) => ({
          results: input.MetricDataQueries!.map((q) => ({
            Id: q.Id,
            StatusCode:
              q.AccountId === '111111111111' && q.MetricStat?.Metric?.MetricName === 'OutputTokenCount'
                ? 'Forbidden'
                : 'Complete',
            Timestamps: [at(16)],
            Values: [9],
          })),
        }),
      },
    );
    const warnings: string[] = [];
    const rows = await sourceOver(client, warnings).hourly({ from: FROM, to: TO });
    const first = rows.filter((r) => r.account_id === '111111111111');
    expect(first.map((r) => r.hour)).toEqual([
      '2026-12-04T16:00:00Z',
      '2026-12-04T17:00:00Z',
      '2026-12-04T18:00:00Z',
    ]);
    expect(
      first.every((r) => r.input_tokens === null && r.output_tokens === null && r.invocations === null),
    ).toBe(true);
    expect(rows.filter((r) => r.account_id === '222222222222').map((r) => r.input_tokens)).toEqual([9]);
    expect(warnings.join('\n')).toMatch(
      /could not return 1 series in full .*111111111111 m OutputTokenCount/,
    );
  });

  it('reads the cache metrics under whichever name the account publishes, the preferred one when both', async () => {
    const { client, mock } = mocked([
      { name: 'CacheReadInputTokens', model: 'a', account: '111111111111' },
      { name: 'CacheReadInputTokenCount', model: 'b', account: '111111111111' },
      { name: 'CacheReadInputTokens', model: 'b', account: '111111111111' },
      { name: 'CacheWriteInputTokens', model: 'a', account: '111111111111' },
    ]);
    const rows = await sourceOver(client).hourly({
      from: FROM,
      to: TO,
      metrics: ['cache_read_tokens', 'cache_write_tokens'],
    });
    const names = mock
      .commandCalls(GetMetricDataCommand)[0]!
      .args[0].input.MetricDataQueries!.map(
        (q) => `${q.MetricStat!.Metric!.Dimensions![0]!.Value} ${q.MetricStat!.Metric!.MetricName}`,
      )
      .sort();
    expect(names).toEqual([
      'a CacheReadInputTokens',
      'a CacheWriteInputTokens',
      'b CacheReadInputTokenCount',
    ]);
    expect(rows.find((r) => r.model_id === 'a' && r.hour === '2026-12-04T16:00:00Z')).toMatchObject({
      cache_read_tokens: 100,
      cache_write_tokens: 100,
      input_tokens: null,
    });
  });

  it('reads its own account without OwningAccounts and leaves AccountId off the queries', async () => {
    const { client, mock } = mocked([{ name: 'Invocations', model: 'm', account: 'ignored' }], {
      linked: false,
    });
    const warnings: string[] = [];
    const rows = await sourceOver(client, warnings).hourly({ from: FROM, to: TO, metrics: ['invocations'] });
    expect(rows.every((r) => r.account_id === MONITORING)).toBe(true);
    expect(
      mock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries![0]!.AccountId,
    ).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('turns a failed call into an UpstreamError naming the call', async () => {
    const client = new CloudWatchClient({ region: 'us-east-1' });
    mockClient(client)
      .on(ListMetricsCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const error = await sourceOver(client)
      .hourly({ from: FROM, to: TO })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(
      /CloudWatch ListMetrics AWS\/Bedrock InputTokenCount in us-east-1 failed: AccessDenied/,
    );
  });

  it('builds one client per region that retries throttling adaptively, more often than the SDK default', async () => {
    const clients = cloudWatchClients(['us-east-1', 'eu-west-1'], {
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(clients.map((c) => c.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(await clients[1]!.client.config.region()).toBe('eu-west-1');
    expect(await clients[0]!.client.config.maxAttempts()).toBe(8);
    expect(((await clients[0]!.client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
  });
});
