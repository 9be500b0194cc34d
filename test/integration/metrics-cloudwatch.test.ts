/**
 * The CloudWatch metrics source against moto's CloudWatch (`PutMetricData`, then the adapter's
 * `ListMetrics` and `GetMetricData`). moto keeps every metric in one account and knows no cross-account
 * observability (no `OwningAccounts`, `AccountId` ignored) nor `RecentlyActive`: those run against the
 * SDK mock in test/unit/metrics-cloudwatch.test.ts. Each test writes under a namespace of its own.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  CLOUDWATCH_METRIC_NAMES,
  CloudWatchMetricsSource,
} from '../../functions/adapters/metrics/cloudwatch.js';
import { addHours, hourMs } from '../../functions/core/hours.js';
import { HOURLY_METRICS, type HourlyUsage } from '../../functions/core/ports.js';
import { CONTRACT_START, contractRows, metricsSourceContract } from '../fixtures/metrics-source-contract.js';
import { MOTO_REGION, motoEndpoint, uniqueName } from '../fixtures/moto.js';

/** moto's account: everything PutMetricData writes lands in it. */
const MOTO_ACCOUNT = '123456789012';

const client = (extra: Partial<ConstructorParameters<typeof CloudWatchClient>[0]> = {}) =>
  new CloudWatchClient({
    endpoint: motoEndpoint(),
    region: MOTO_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    ...extra,
  });

/** Writes rows as Bedrock would publish them: one datapoint per published metric, ten minutes into the hour. */
async function publish(namespace: string, rows: HourlyUsage[]): Promise<void> {
  const data = rows.flatMap((row) =>
    HOURLY_METRICS.filter((m) => row[m] !== null).map((metric) => ({
      MetricName: CLOUDWATCH_METRIC_NAMES[metric][0],
      Dimensions: [{ Name: 'ModelId', Value: row.model_id }],
      Timestamp: new Date(hourMs(row.hour) + 10 * 60_000),
      Value: row[metric] as number,
      Unit: 'Count' as const,
    })),
  );
  const cw = client();
  for (let i = 0; i < data.length; i += 500) {
    await cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 500) }));
  }
}

function source(
  namespace: string,
  warnings: string[] = [],
  clients = [{ region: MOTO_REGION, client: client() }],
) {
  return new CloudWatchMetricsSource({
    clients,
    accountId: MOTO_ACCOUNT,
    namespace,
    warn: (m) => warnings.push(m),
  });
}

metricsSourceContract('CloudWatch on moto', {
  accounts: [MOTO_ACCOUNT],
  open: async (rows) => {
    const namespace = uniqueName('Test/Bedrock');
    await publish(namespace, rows);
    return source(namespace);
  },
});

describe('CloudWatch metrics source on moto', () => {
  it('reads its own account when CloudWatch shows no cross-account links, and says so once', async () => {
    const namespace = uniqueName('Test/Bedrock');
    await publish(namespace, contractRows([MOTO_ACCOUNT]).rows);
    const warnings: string[] = [];
    const cw = source(namespace, warnings);
    await cw.hourly({ from: CONTRACT_START, to: addHours(CONTRACT_START, 6) });
    await cw.hourly({ from: CONTRACT_START, to: addHours(CONTRACT_START, 2) });
    expect(warnings.filter((w) => w.includes('no cross-account links'))).toHaveLength(1);
    expect(cw.describe()).toContain(`this account only (${MOTO_ACCOUNT})`);
  });

  it('counts one GetMetricData call and one query per series read, and no more for fewer metrics', async () => {
    const namespace = uniqueName('Test/Bedrock');
    const { rows } = contractRows([MOTO_ACCOUNT]);
    await publish(namespace, rows);
    const cw = source(namespace);
    await cw.hourly({ from: CONTRACT_START, to: addHours(CONTRACT_START, 6) });
    // Model A publishes 5 metrics, model B 3 (no cache metrics): 8 series, one call.
    expect(cw.stats()).toEqual({ requests: 1, metrics_requested: 8 });
    await cw.hourly({
      from: CONTRACT_START,
      to: addHours(CONTRACT_START, 6),
      metrics: ['input_tokens', 'output_tokens'],
    });
    expect(cw.stats()).toEqual({ requests: 2, metrics_requested: 12 });
  });

  it('sums one account and model id across two regions', async () => {
    const namespace = uniqueName('Test/Bedrock');
    const { rows } = contractRows([MOTO_ACCOUNT]);
    await publish(namespace, rows);
    const both = source(
      namespace,
      [],
      [
        { region: 'us-east-1', client: client() },
        { region: 'us-west-2', client: client() },
      ],
    );
    const got = await both.hourly({ from: CONTRACT_START, to: addHours(CONTRACT_START, 1) });
    const once = rows.filter((r) => r.hour === CONTRACT_START);
    // moto serves both "regions" from one store here: every published value arrives twice.
    const byModel = [...once].sort((a, b) => a.model_id.localeCompare(b.model_id));
    expect(got.map((r) => r.input_tokens)).toEqual(byModel.map((r) => (r.input_tokens ?? 0) * 2));
    expect(got.every((r) => r.cache_read_tokens === null || r.cache_read_tokens % 2 === 0)).toBe(true);
  });

  it('has the SDK retry a throttled call', async () => {
    const namespace = uniqueName('Test/Bedrock');
    await publish(namespace, contractRows([MOTO_ACCOUNT]).rows);
    const throttled = client({ maxAttempts: 4, retryMode: 'standard' });
    let failures = 0;
    // Two throttled answers before the real one, raised below the SDK's retry step.
    throttled.middlewareStack.add(
      (next) => async (args) => {
        if (failures < 2) {
          failures += 1;
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'throttleTwice', priority: 'low' },
    );
    const cw = source(namespace, [], [{ region: MOTO_REGION, client: throttled }]);
    const got = await cw.hourly({ from: CONTRACT_START, to: addHours(CONTRACT_START, 6) });
    expect(failures).toBe(2);
    expect(got.length).toBeGreaterThan(0);
  });
});
