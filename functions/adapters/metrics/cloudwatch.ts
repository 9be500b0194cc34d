/**
 * MetricsSource on Amazon CloudWatch (docs/watch.md "CloudWatch and cross-account observability"):
 * Bedrock's `AWS/Bedrock` usage metrics per `ModelId`, as hourly sums (`GetMetricData`, `Sum`, period
 * 3600), across the organization from a cross-account observability monitoring account.
 *
 * - Which series exist: `ListMetrics` per metric name with `IncludeLinkedAccounts` (paged by
 *   `NextToken`); each metric comes with its `OwningAccounts` entry, and each `GetMetricData` query
 *   names that account (`AccountId`). Without links (no `OwningAccounts`) the source reads the
 *   deployment's own account and says so once, in a warning and in `describe()`.
 * - Cache metrics: AWS's pages name them two ways (`CacheReadInputTokenCount` in practitioners' reads,
 *   `CacheReadInputTokens` in the token-quota page); whichever `ListMetrics` shows is read, and an
 *   account that publishes neither has null cache columns.
 * - At most 500 queries a call (GetMetricData's limit), each call paged by `NextToken` until every
 *   series is complete. A series CloudWatch answers `Forbidden`, `InternalError` or leaves partial makes
 *   its account × model id unknown for the whole range (every metric null), never zero.
 * - An hour with no datapoint is an idle hour (CloudWatch publishes nothing then): no row.
 * - Regions: one client per region; the same account × model id × hour in two regions is summed.
 * - Cost: CloudWatch bills `GetMetricData` per metric requested; `stats()` counts the calls and the
 *   queries sent (every page of a call counts its queries again: what AWS may bill, not less).
 * Throttling is retried by the SDK (the clients `cloudWatchClients` builds use adaptive retries).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { UpstreamError } from '../../core/errors.js';
import { hourIso, hourMs, hourRange } from '../../core/hours.js';
import {
  HOURLY_METRICS,
  type HourlyMetric,
  type HourlyRange,
  type HourlyUsage,
  type MetricsSource,
} from '../../core/ports.js';
import { describeAwsError } from '../aws/retry.js';

export const BEDROCK_NAMESPACE = 'AWS/Bedrock';
/** GetMetricData's limit of metric data queries per call. */
export const MAX_QUERIES_PER_CALL = 500;
const PERIOD_SECONDS = 3600;

/** CloudWatch metric names per column, preferred first. */
export const CLOUDWATCH_METRIC_NAMES: Record<HourlyMetric, readonly string[]> = {
  input_tokens: ['InputTokenCount'],
  output_tokens: ['OutputTokenCount'],
  cache_read_tokens: ['CacheReadInputTokenCount', 'CacheReadInputTokens'],
  cache_write_tokens: ['CacheWriteInputTokenCount', 'CacheWriteInputTokens'],
  invocations: ['Invocations'],
};

export interface RegionClient {
  region: string;
  client: CloudWatchClient;
}

export interface CloudWatchMetricsOptions {
  /** One client per region read: the regions the bill shows Bedrock spend in, plus `watch.regions`. */
  clients: RegionClient[];
  /** The deployment's own account id: whose metrics a source without cross-account links reads. */
  accountId: string;
  /** `AWS/Bedrock`; tests isolate themselves with a namespace of their own. */
  namespace?: string;
  /**
   * List only series with data in the last 3 hours (`ListMetrics` `RecentlyActive: PT3H`): an idle model
   * costs nothing to skip. For reads of recent hours only; a baseline read lists everything.
   */
  recentlyActive?: boolean;
  /** Where the once-per-run notes go (no cross-account links; series that could not be read). */
  warn?: (message: string) => void;
  maxQueriesPerCall?: number;
}

interface Series {
  region: string;
  client: CloudWatchClient;
  account: string;
  /** Whether the account came from `OwningAccounts` (then each query names it). */
  linked: boolean;
  modelId: string;
  metric: HourlyMetric;
  metricName: string;
}

export class CloudWatchMetricsSource implements MetricsSource {
  readonly kind = 'metrics' as const;
  private readonly namespace: string;
  private readonly maxQueries: number;
  private requests = 0;
  private metricsRequested = 0;
  private seenAccounts = new Set<string>();
  private linked: boolean | undefined;
  private warnedUnlinked = false;

  constructor(private readonly options: CloudWatchMetricsOptions) {
    if (options.clients.length === 0)
      throw new RangeError('CloudWatch metrics source needs at least one region');
    this.namespace = options.namespace ?? BEDROCK_NAMESPACE;
    this.maxQueries = Math.min(MAX_QUERIES_PER_CALL, options.maxQueriesPerCall ?? MAX_QUERIES_PER_CALL);
  }

  async hourly(range: HourlyRange): Promise<HourlyUsage[]> {
    const from = hourMs(range.from);
    const to = hourMs(range.to);
    if (!(from < to)) throw new RangeError(`not an hour range: ${range.from} .. ${range.to}`);
    const metrics = range.metrics ?? HOURLY_METRICS;
    const accounts = range.accounts ? new Set(range.accounts) : null;
    const series: Series[] = [];
    for (const { region, client } of this.options.clients) {
      series.push(...(await this.listSeries(region, client, metrics, accounts, range.signal)));
    }
    const { values, failed } = await this.read(series, new Date(from), new Date(to), range.signal);
    return assemble(series, values, failed, range);
  }

  describe(): string {
    const regions = this.options.clients.map((c) => c.region).join(', ');
    const where = `CloudWatch ${this.namespace} in ${regions}`;
    if (this.linked === undefined) return where;
    if (!this.linked)
      return `${where}: this account only (${this.options.accountId}), no cross-account links`;
    const n = this.seenAccounts.size;
    return `${where}: ${n} account${n === 1 ? '' : 's'} through cross-account observability`;
  }

  stats(): { requests: number; metrics_requested: number } {
    return { requests: this.requests, metrics_requested: this.metricsRequested };
  }

  private async listSeries(
    region: string,
    client: CloudWatchClient,
    metrics: readonly HourlyMetric[],
    accounts: Set<string> | null,
    signal: AbortSignal | undefined,
  ): Promise<Series[]> {
    const found = new Map<string, Series>();
    for (const metric of metrics) {
      for (const metricName of CLOUDWATCH_METRIC_NAMES[metric]) {
        let nextToken: string | undefined;
        do {
          signal?.throwIfAborted();
          const page = await send(
            () =>
              client.send(
                new ListMetricsCommand({
                  Namespace: this.namespace,
                  MetricName: metricName,
                  IncludeLinkedAccounts: true,
                  ...(this.options.recentlyActive ? { RecentlyActive: 'PT3H' as const } : {}),
                  ...(nextToken ? { NextToken: nextToken } : {}),
                }),
                signal ? { abortSignal: signal } : {},
              ),
            `ListMetrics ${this.namespace} ${metricName} in ${region}`,
          );
          const owners = page.OwningAccounts;
          const linked =
            Array.isArray(owners) && owners.length === (page.Metrics ?? []).length && owners.length > 0;
          (page.Metrics ?? []).forEach((m, i) => {
            const dimensions = m.Dimensions ?? [];
            const modelId =
              dimensions.length === 1 && dimensions[0]?.Name === 'ModelId' ? dimensions[0].Value : undefined;
            if (!modelId) return;
            const account = linked ? owners[i]! : this.options.accountId;
            this.noteLinks(linked);
            if (accounts && !accounts.has(account)) return;
            const key = `${account}|${modelId}|${metric}`;
            // One name per column: the preferred spelling wins when an account publishes both.
            if (found.has(key)) return;
            found.set(key, { region, client, account, linked, modelId, metric, metricName });
          });
          nextToken = page.NextToken;
        } while (nextToken);
      }
    }
    return [...found.values()];
  }

  private noteLinks(linked: boolean): void {
    if (linked) {
      this.linked = true;
      return;
    }
    this.linked ??= false;
    if (!this.linked && !this.warnedUnlinked) {
      this.warnedUnlinked = true;
      this.options.warn?.(
        `CloudWatch shows no cross-account links: the watch reads this account only (${this.options.accountId}); link the member accounts to a monitoring account (DEPLOY.md, cross-account observability) to watch the organization`,
      );
    }
  }

  private async read(
    series: Series[],
    start: Date,
    end: Date,
    signal: AbortSignal | undefined,
  ): Promise<{ values: Map<number, { at: number; value: number }[]>; failed: Set<number> }> {
    const values = new Map<number, { at: number; value: number }[]>();
    const failed = new Set<number>();
    // Queries of one call go to one region's client.
    const byClient = new Map<CloudWatchClient, number[]>();
    series.forEach((s, i) => {
      const list = byClient.get(s.client) ?? [];
      list.push(i);
      byClient.set(s.client, list);
    });
    for (const [client, indexes] of byClient) {
      for (let offset = 0; offset < indexes.length; offset += this.maxQueries) {
        const batch = indexes.slice(offset, offset + this.maxQueries);
        const queries: MetricDataQuery[] = batch.map((i) => {
          const s = series[i]!;
          return {
            Id: `q${i}`,
            MetricStat: {
              Metric: {
                Namespace: this.namespace,
                MetricName: s.metricName,
                Dimensions: [{ Name: 'ModelId', Value: s.modelId }],
              },
              Period: PERIOD_SECONDS,
              Stat: 'Sum',
            },
            ...(s.linked ? { AccountId: s.account } : {}),
            ReturnData: true,
          };
        });
        const status = new Map<number, string>();
        let nextToken: string | undefined;
        do {
          signal?.throwIfAborted();
          const page: GetMetricDataCommandOutput = await send(
            () =>
              client.send(
                new GetMetricDataCommand({
                  MetricDataQueries: queries,
                  StartTime: start,
                  EndTime: end,
                  ScanBy: 'TimestampAscending',
                  ...(nextToken ? { NextToken: nextToken } : {}),
                }),
                signal ? { abortSignal: signal } : {},
              ),
            `GetMetricData ${this.namespace} (${queries.length} metrics)`,
          );
          this.requests += 1;
          this.metricsRequested += queries.length;
          for (const result of page.MetricDataResults ?? []) {
            const index = Number((result.Id ?? '').slice(1));
            if (!Number.isInteger(index) || !batch.includes(index)) continue;
            const list = values.get(index) ?? [];
            const stamps = result.Timestamps ?? [];
            const numbers = result.Values ?? [];
            stamps.forEach((t, k) => {
              const value = numbers[k];
              if (value !== undefined) list.push({ at: new Date(t).getTime(), value });
            });
            values.set(index, list);
            status.set(index, result.StatusCode ?? 'Complete');
          }
          nextToken = page.NextToken;
        } while (nextToken);
        for (const index of batch) {
          const code = status.get(index) ?? 'Complete';
          if (code !== 'Complete') failed.add(index);
        }
      }
    }
    if (failed.size > 0) {
      const shown = [...failed]
        .slice(0, 5)
        .map(
          (i) =>
            `${series[i]!.account} ${series[i]!.modelId} ${series[i]!.metricName} (${series[i]!.region})`,
        )
        .join('; ');
      this.options.warn?.(
        `CloudWatch could not return ${failed.size} series in full (${shown}${failed.size > 5 ? '; …' : ''}): their hours are unknown, not zero`,
      );
    }
    for (const s of series) this.seenAccounts.add(s.account);
    return { values, failed };
  }
}

/** Rows per account × model id × hour from the series read; unknown hours for series that failed. */
function assemble(
  series: Series[],
  values: Map<number, { at: number; value: number }[]>,
  failed: Set<number>,
  range: HourlyRange,
): HourlyUsage[] {
  const from = hourMs(range.from);
  const to = hourMs(range.to);
  // Rows per account × model id, then per hour: a key per series, not per datapoint (docs/watch.md "Speed").
  const pairs = new Map<string, Map<number, HourlyUsage>>();
  const hoursOf = (account: string, modelId: string): Map<number, HourlyUsage> => {
    const key = `${account}|${modelId}`;
    let hours = pairs.get(key);
    if (!hours) {
      hours = new Map();
      pairs.set(key, hours);
    }
    return hours;
  };
  const row = (hours: Map<number, HourlyUsage>, account: string, modelId: string, start: number) => {
    let r = hours.get(start);
    if (!r) {
      r = {
        account_id: account,
        model_id: modelId,
        hour: hourIso(start),
        input_tokens: null,
        output_tokens: null,
        cache_read_tokens: null,
        cache_write_tokens: null,
        invocations: null,
      };
      hours.set(start, r);
    }
    return r;
  };
  const unknown = new Set<string>();
  series.forEach((s, i) => {
    if (failed.has(i)) {
      unknown.add(`${s.account}|${s.modelId}`);
      return;
    }
    const hours = hoursOf(s.account, s.modelId);
    for (const { at, value } of values.get(i) ?? []) {
      const start = Math.floor(at / 3_600_000) * 3_600_000;
      if (start < from || start >= to) continue;
      const r = row(hours, s.account, s.modelId, start);
      r[s.metric] = (r[s.metric] ?? 0) + value;
    }
  });
  for (const key of unknown) {
    const [account = '', modelId = ''] = key.split('|');
    const hours = hoursOf(account, modelId);
    for (const hour of hourRange(range.from, range.to)) {
      const r = row(hours, account, modelId, hourMs(hour));
      for (const metric of HOURLY_METRICS) r[metric] = null;
    }
  }
  const rows = [...pairs.values()].flatMap((hours) => [...hours.values()]);
  return rows.sort(
    (a, b) =>
      a.hour.localeCompare(b.hour) ||
      a.account_id.localeCompare(b.account_id) ||
      a.model_id.localeCompare(b.model_id),
  );
}

async function send<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') throw error;
    throw new UpstreamError(`CloudWatch ${what} failed: ${describeAwsError(error)}`, {
      cause: error,
      hint: 'the watch reads these hours again next hour (it evaluates every whole hour since the last watch)',
    });
  }
}

/**
 * One CloudWatch client per region, retrying throttling itself (the SDK's adaptive retry mode, more
 * attempts than its default: an hourly read of many accounts may meet CloudWatch's request rate).
 */
export function cloudWatchClients(
  regions: string[],
  overrides: ConstructorParameters<typeof CloudWatchClient>[0] = {},
): RegionClient[] {
  return regions.map((region) => ({
    region,
    client: new CloudWatchClient({ region, maxAttempts: 8, retryMode: 'adaptive', ...overrides }),
  }));
}
