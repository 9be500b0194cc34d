/**
 * `npm run bench:watch-hourly`: the whole watch command (docs/watch.md "The command") over the
 * benchmark organization (bench/watch-org.ts: 500 accounts × 3 model ids × 14 days + 48 hours), read
 * through the CloudWatch adapter from an in-process CloudWatch that answers `ListMetrics` (500 series a
 * page, every account linked) and `GetMetricData` (at most 100,800 datapoints a page, as CloudWatch
 * pages), into a local store. Five watches in a row: the first (the whole look-back, 48 hours judged),
 * two ordinary hours, the last hour of the day, and the hour after it (the daily full read of that day). Each is timed whole — read,
 * price, judge, findings, cases, mail to the outbox — and its CloudWatch calls and metrics requested
 * counted, with their cost at $0.01 per 1,000 metrics requested. Prints a markdown section and writes it
 * into bench/RESULTS.md between its markers (a full `npm run bench` keeps it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  ListMetricsCommand,
  type ListMetricsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { loadListPrices } from '../functions/adapters/list-prices.js';
import {
  CLOUDWATCH_METRIC_NAMES,
  CloudWatchMetricsSource,
} from '../functions/adapters/metrics/cloudwatch.js';
import { openNotifyPorts } from '../functions/adapters/open-ports.js';
import { packagePath } from '../functions/core/assets.js';
import { watch } from '../functions/core/commands/watch.js';
import { defaultConfig } from '../functions/core/config.js';
import { PRICES_KEY } from '../functions/core/detect/prices.js';
import { HOUR_MS, hourIso } from '../functions/core/hours.js';
import { silentLogger } from '../functions/core/log.js';
import { HOURLY_METRICS, type HourlyMetric, type HourlyUsage } from '../functions/core/ports.js';
import { ACCOUNTS, BASELINE_DAYS, JUDGED_HOURS, MODELS, organization, START } from './watch-org.js';

/** GetMetricData's datapoints per call (CloudWatch pages past them). */
const MAX_DATAPOINTS = 100_800;
const USD_PER_METRIC = 0.01 / 1000;
const USD_PER_REQUEST = 0.01 / 1000;
const START_MARK = '<!-- watch:start -->';
const END_MARK = '<!-- watch:end -->';
const TARGET_SECONDS = 10;

interface FakeSeries {
  account: string;
  modelId: string;
  metricName: string;
  /** Values by hour index from START. */
  values: Float64Array;
}

/** An in-process CloudWatch over the organization's rows: what the adapter sends, answered as CloudWatch would. */
class BenchCloudWatch {
  list = 0;
  get = 0;
  private readonly byName = new Map<string, FakeSeries[]>();
  private readonly byKey = new Map<string, FakeSeries>();

  constructor(rows: readonly HourlyUsage[], hours: number) {
    for (const r of rows) {
      const index = Math.round((Date.parse(r.hour) - START) / HOUR_MS);
      for (const metric of HOURLY_METRICS) {
        const value = r[metric];
        if (value === null) continue;
        const metricName = CLOUDWATCH_METRIC_NAMES[metric as HourlyMetric][0]!;
        const key = `${r.account_id}|${r.model_id}|${metricName}`;
        let s = this.byKey.get(key);
        if (!s) {
          s = { account: r.account_id, modelId: r.model_id, metricName, values: new Float64Array(hours) };
          this.byKey.set(key, s);
          const list = this.byName.get(metricName) ?? [];
          list.push(s);
          this.byName.set(metricName, list);
        }
        s.values[index] = value;
      }
    }
  }

  async send(command: unknown): Promise<ListMetricsCommandOutput | GetMetricDataCommandOutput> {
    if (command instanceof ListMetricsCommand) {
      this.list += 1;
      const all = this.byName.get(command.input.MetricName ?? '') ?? [];
      const from = Number(command.input.NextToken ?? 0);
      const page = all.slice(from, from + 500);
      return {
        Metrics: page.map((s) => ({
          Namespace: 'AWS/Bedrock',
          MetricName: s.metricName,
          Dimensions: [{ Name: 'ModelId', Value: s.modelId }],
        })),
        OwningAccounts: page.map((s) => s.account),
        ...(from + 500 < all.length ? { NextToken: String(from + 500) } : {}),
        $metadata: {},
      };
    }
    if (command instanceof GetMetricDataCommand) {
      this.get += 1;
      const input = command.input;
      const first = Math.max(0, Math.round((input.StartTime!.getTime() - START) / HOUR_MS));
      const end = Math.round((input.EndTime!.getTime() - START) / HOUR_MS);
      const queries = input.MetricDataQueries ?? [];
      let q = Number(input.NextToken ?? 0);
      let points = 0;
      const results: NonNullable<GetMetricDataCommandOutput['MetricDataResults']> = [];
      for (; q < queries.length; q++) {
        const query = queries[q]!;
        const stat = query.MetricStat!;
        const s = this.byKey.get(
          `${query.AccountId}|${stat.Metric!.Dimensions![0]!.Value}|${stat.Metric!.MetricName}`,
        );
        const timestamps: Date[] = [];
        const values: number[] = [];
        for (let h = first; s && h < Math.min(end, s.values.length); h++) {
          timestamps.push(new Date(START + h * HOUR_MS));
          values.push(s.values[h]!);
        }
        if (points > 0 && points + values.length > MAX_DATAPOINTS) break;
        points += values.length;
        results.push({ Id: query.Id, Timestamps: timestamps, Values: values, StatusCode: 'Complete' });
      }
      return {
        MetricDataResults: results,
        ...(q < queries.length ? { NextToken: String(q) } : {}),
        $metadata: {},
      };
    }
    throw new Error(`the bench CloudWatch does not answer ${String(command)}`);
  }
}

async function main(): Promise<void> {
  // Two hours past the judged 48: the watch of the hour after a day ended reads that day in full.
  const hours = BASELINE_DAYS * 24 + JUDGED_HOURS + 2;
  const { rows, table } = organization(2);
  const cloudWatch = new BenchCloudWatch(rows, hours);
  const listPrices = await loadListPrices();
  const work = mkdtempSync(join(tmpdir(), 'sentinel-bench-watch-'));
  const config = { ...defaultConfig(), out: join(work, 'out'), owners: null };
  let now = new Date(0);
  const clock = { now: () => now };
  const ports = await openNotifyPorts(config, { clock, log: silentLogger() });
  await ports.store.put(PRICES_KEY, JSON.stringify(table));

  // The 48 judged hours end at START + 16 days (Wed 2 Dec 00:00 UTC).
  const end = START + (BASELINE_DAYS * 24 + JUDGED_HOURS) * HOUR_MS;
  const runs = [
    { name: `first watch: ${JUDGED_HOURS} hours judged, the whole look-back read`, at: end - 12 * HOUR_MS },
    { name: 'an ordinary hour', at: end - 11 * HOUR_MS },
    { name: 'an ordinary hour', at: end - 10 * HOUR_MS },
    { name: '10 hours later, the last hour of the day', at: end },
    { name: 'the next hour: the daily full read of the day before', at: end + HOUR_MS },
  ];
  const load = loadavg()[0] ?? 0;
  const lines = [
    START_MARK,
    `## The hourly watch: ${ACCOUNTS} accounts × ${MODELS.length} model ids × ${BASELINE_DAYS} days of hours, through the CloudWatch adapter`,
    '',
    `\`npm run bench:watch-hourly\` (bench/watch-hourly.ts), ${new Date().toISOString().slice(0, 10)}. The CloudWatch is in-process (bench/watch-hourly.ts): it answers as CloudWatch pages, 500 series a \`ListMetrics\` page, at most 100,800 datapoints a \`GetMetricData\` page; the store is a local directory. Load average ${load.toFixed(1)} on ${cpus().length} CPUs when measured: wall seconds include waiting for the CPU, CPU seconds do not.`,
    '',
    `${rows.length.toLocaleString('en-US')} metric rows (${ACCOUNTS / 50} accounts with a loop). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}). Each watch timed whole (read, price, judge, findings, cases, outbox); one run each.`,
    '',
    '| watch (now) | new hours | seconds (wall / CPU) | GetMetricData calls | metrics requested | ListMetrics calls | accounts flagged by the screen | findings | cost of the metrics |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const perRun: { metrics: number; list: number; wall: number; cpu: number }[] = [];
  const verbose = process.env.BENCH_VERBOSE === '1';
  for (const run of runs) {
    now = new Date(run.at);
    const metrics = new CloudWatchMetricsSource({
      clients: [{ region: 'us-east-1', client: cloudWatch as unknown as CloudWatchClient }],
      accountId: '111122223333',
    });
    const list0 = cloudWatch.list;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const progress = (step: string) =>
      verbose && process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(2)} s ${step}\n`);
    const result = await watch({ ...ports, metrics, listPrices: async () => listPrices, progress }, config);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const stats = metrics.stats();
    const w = result.run.watch!;
    perRun.push({
      metrics: stats.metrics_requested,
      list: cloudWatch.list - list0,
      wall: seconds,
      cpu: cpuSeconds,
    });
    lines.push(
      `| ${run.name} (${hourIso(run.at)}) | ${w.evaluated_hours.length} | ${seconds.toFixed(2)} / ${cpuSeconds.toFixed(2)} | ${stats.requests} | ${stats.metrics_requested.toLocaleString('en-US')} | ${cloudWatch.list - list0} | ${w.screen_flagged_accounts} | ${result.findings.length} | $${(stats.metrics_requested * USD_PER_METRIC).toFixed(4)} |`,
    );
  }
  // A day: 23 ordinary hours and the one that reads the day before in full; a month, 30 of them.
  const ordinary = perRun[1]!;
  const dayEnd = perRun[4]!;
  const dayMetrics = 23 * ordinary.metrics + dayEnd.metrics;
  const dayList = 23 * ordinary.list + dayEnd.list;
  lines.push(
    '',
    `A day of hourly watches (23 ordinary hours and the one that reads the day before in full): ${dayMetrics.toLocaleString('en-US')} metrics requested, $${(dayMetrics * USD_PER_METRIC).toFixed(2)}, plus ${dayList} \`ListMetrics\` calls ($${(dayList * USD_PER_REQUEST).toFixed(4)}); 30 days: $${(30 * (dayMetrics * USD_PER_METRIC + dayList * USD_PER_REQUEST)).toFixed(2)}.`,
  );
  const first = perRun[0]!;
  lines.push(
    '',
    `Target: the watch over ${ACCOUNTS} accounts × ${MODELS.length} model ids × ${BASELINE_DAYS} days of hours in under ${TARGET_SECONDS} s — the first watch, which reads and judges the most: ${first.wall.toFixed(2)} s wall, ${first.cpu.toFixed(2)} s CPU: ${first.cpu < TARGET_SECONDS ? 'met' : '**not met**'}${first.wall < TARGET_SECONDS ? '' : ' on CPU time (the wall time waited for a loaded machine)'}.`,
    '',
    END_MARK,
  );
  const section = `${lines.join('\n')}\n`;
  process.stdout.write(section);
  const target = join(packagePath(), 'bench', 'RESULTS.md');
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '# Benchmark results\n';
  const from = current.indexOf(START_MARK);
  const to = current.indexOf(END_MARK);
  writeFileSync(
    target,
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section.trimEnd()}${current.slice(to + END_MARK.length)}`
      : `${current.trimEnd()}\n\n${section}`,
  );
  rmSync(work, { recursive: true, force: true });
  if (first.cpu >= TARGET_SECONDS) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
