/**
 * `watch` (docs/watch.md "The command"): the hourly watch over Bedrock's usage metrics. Evaluates every
 * whole hour since the last watch (at most 48), reading the metrics in two stages and keeping whole days in
 * the store; prices them with the bill's prices (`prices/latest.json`); judges the hours with the rule;
 * rewrites each judged day's findings file (`findings/detector=runaway-watch/as_of=<day>/`); applies the
 * findings to cases like a run (a runaway joins the account's bill-based runaway case) and delivers what is
 * due with the same delivery step and notify lease. Records its run (`command: watch`) and publishes
 * `Watch Run Completed` (or `Run Failed`).
 */
import { applyTransitions, type CaseSummary, findingInputs, unroutableCases } from '../cases/apply.js';
import { type CaseRecord, isLive } from '../cases/model.js';
import { readAllCases } from '../cases/store.js';
import type { CaseInput } from '../cases/transitions.js';
import type { SentinelConfig } from '../config.js';
import { addDays, dayRange } from '../dates.js';
import { type DeliveryReport, deliverDue, deliveryCounts } from '../deliver/deliver.js';
import type { NotifyPorts } from '../deliver/ports.js';
import { usageOver, watchFinding } from '../detect/detectors/runaway-watch.js';
import { type ListPrices, PRICES_KEY, type PriceTable, Pricing } from '../detect/prices.js';
import { caseDetectorOf, WATCH_DETECTOR } from '../detect/registry.js';
import { writeDayFindings } from '../detect/run-detection.js';
import { readWatchHours } from '../detect/watch-hours.js';
import { judgeWatch, lastWholeHour, prepareWatch, watchRuleParams } from '../detect/watch-rule.js';
import { dryRunPorts } from '../dry-run.js';
import { describeError, NoPricesError } from '../errors.js';
import { addHours, dayOfHour, HOUR_MS, hourIso, hourMs, hourRange, type IsoHour } from '../hours.js';
import type { HourlyUsage, MetricsSource, OutgoingMessage } from '../ports.js';
import {
  baseRecord,
  finishRecord,
  newRunId,
  publishRunEvents,
  type RunRecord,
  recordFailure,
  type WatchRunFields,
  writeRunRecord,
} from '../runs.js';
import type { IsoDate, RunawayWatchFinding } from '../types.js';
import { runLog } from '../warnings.js';

/** A watch judges at most this many new hours (docs/watch.md "The command"). */
export const MAX_WATCH_HOURS = 48;

export interface WatchPorts extends NotifyPorts {
  metrics: MetricsSource;
  /** List prices, the last fallback (loaded only when the bill's prices miss a model id). */
  listPrices?: () => Promise<ListPrices>;
  progress?: (step: string) => void;
}

export interface WatchRequest {
  /** Judge and render; send nothing and change no case, finding or stored hour (the run record says dry_run). */
  dryRun?: boolean;
  runId?: string;
  /**
   * Deliver what is due (default). The hourly function passes false: its follow-up step, next in the same
   * invocation, delivers the watch's alerts with its own, under one notify lease.
   */
  deliver?: boolean;
  signal?: AbortSignal;
}

export interface WatchResult {
  run: RunRecord;
  findings: RunawayWatchFinding[];
  cases: CaseSummary[];
  delivery: DeliveryReport | null;
  wouldSend: OutgoingMessage[];
}

/** The newest hour evaluated by the last successful watch that was not a dry run (null: none yet). */
export async function lastWatchedHour(store: NotifyPorts['store']): Promise<IsoHour | null> {
  const keys = (await store.list('runs/')).filter((k) => /-watch-[0-9a-f]+\.json$/.test(k)).sort();
  // Run ids start with their time: read from the newest back until a successful watch.
  for (const key of keys.reverse()) {
    const blob = await store.get(key);
    if (!blob) continue;
    const record = JSON.parse(blob.body) as RunRecord;
    if (record.dry_run || record.outcome === 'failed' || !record.watch) continue;
    const newest = record.watch.evaluated_hours.at(-1);
    if (newest) return newest;
  }
  return null;
}

/** The hours a watch ending at `now` evaluates: every whole hour since the last watch, at most 48. */
export function watchHours(
  now: Date,
  last: IsoHour | null,
): { hours: IsoHour[]; skipped: number; to: IsoHour } {
  const to = addHours(lastWholeHour(now), 1);
  const earliest = addHours(to, -MAX_WATCH_HOURS);
  const since = last ? addHours(last, 1) : earliest;
  const from = hourMs(since) > hourMs(earliest) ? since : earliest;
  const skipped = last ? Math.max(0, Math.round((hourMs(earliest) - hourMs(since)) / HOUR_MS)) : 0;
  return { hours: hourMs(from) < hourMs(to) ? hourRange(from, to) : [], skipped, to };
}

async function readPrices(store: NotifyPorts['store']): Promise<PriceTable> {
  const blob = await store.get(PRICES_KEY);
  if (!blob) {
    throw new NoPricesError(
      `no prices yet: ${store.describe(PRICES_KEY)} does not exist, so the watch cannot estimate what Bedrock usage costs`,
      {
        hint: 'every detection run writes it (sentinel run, sentinel detect, the scheduled detection): run one over the export first',
      },
    );
  }
  try {
    return JSON.parse(blob.body) as PriceTable;
  } catch (error) {
    throw new NoPricesError(`${store.describe(PRICES_KEY)} is not JSON`, {
      cause: error,
      hint: 'run a detection again: it rewrites the file',
    });
  }
}

/** Pricing from the bill's table, with list prices loaded only when the bill misses a model id's class. */
async function pricingFor(
  table: PriceTable,
  rows: readonly HourlyUsage[],
  listPrices: WatchPorts['listPrices'],
): Promise<Pricing> {
  const bill = new Pricing(table, null);
  if (!listPrices) return bill;
  const needsList = rows.some((r) => {
    const p = bill.resolve(r.account_id, r.model_id).usd_per_million;
    return (
      (r.input_tokens && p.input === null) ||
      (r.output_tokens && p.output === null) ||
      (r.cache_read_tokens && p.cache_read === null) ||
      (r.cache_write_tokens && p.cache_write === null)
    );
  });
  return needsList ? new Pricing(table, await listPrices()) : bill;
}

/** The look-back the rule reads before the first judged hour's day (prepareWatch's). */
const lookbackDays = (config: SentinelConfig) => Math.max(15, config.watch.baseline_days + 1);

export async function watch(
  basePorts: WatchPorts,
  config: SentinelConfig,
  request: WatchRequest = {},
): Promise<WatchResult> {
  const dryRun = request.dryRun ?? false;
  const dry = dryRun ? dryRunPorts(basePorts) : null;
  const log = runLog(basePorts.log);
  const ports = { ...(dry?.ports ?? basePorts), log };
  const { store, clock } = ports;
  const started = clock.now();
  const runId = request.runId ?? newRunId(clock, 'watch');
  const progress = ports.progress ?? (() => {});
  // No prices, no estimate: refused before anything is read or written (docs/cli.md "Exit status").
  const table = await readPrices(store);
  let record: RunRecord = {
    ...baseRecord({ command: 'watch', runId, started, engine: null, dryRun }),
    detectors: [WATCH_DETECTOR],
  };
  try {
    const last = await lastWatchedHour(basePorts.store);
    const { hours, skipped, to } = watchHours(started, last);
    if (skipped > 0) {
      log.warn(
        `catch-up: ${skipped} hour(s) since the last watch are older than the ${MAX_WATCH_HOURS} a watch evaluates: not evaluated`,
      );
    }
    const params = watchRuleParams(config.watch);
    let findings: RunawayWatchFinding[] = [];
    let fields: WatchRunFields = {
      source: ports.metrics.describe(),
      evaluated_hours: hours,
      skipped_hours: skipped,
      judged_hours: 0,
      accounts: 0,
      unknown_hours: 0,
      unpriced_model_ids: [],
      prices_computed_at: table.computed_at ?? null,
      prices_run_id: table.run_id ?? null,
      stored_days_read: 0,
      days_fetched: [],
      screen_flagged_accounts: 0,
      requests: 0,
      metrics_requested: 0,
    };
    let judgedDays: IsoDate[] = [];
    const existing = await readAllCases(store);
    if (hours.length === 0) {
      log.info(`nothing to evaluate: the hour from ${addHours(to, -1)} was evaluated by an earlier watch`);
    } else {
      // Each judged day's findings are rewritten whole: judge from the first new hour's midnight.
      let judgeFrom: IsoHour = `${dayOfHour(hours[0]!)}T00:00:00Z`;
      // One day more than the rule's look-back: yesterday may be judged again (below).
      const readFrom = `${addDays(dayOfHour(judgeFrom), -lookbackDays(config) - 1)}T00:00:00Z`;
      progress(`reading ${ports.metrics.describe()} from ${readFrom} to ${to}`);
      const read = await readWatchHours(
        { store, metrics: ports.metrics, ...(request.signal ? { signal: request.signal } : {}) },
        { from: readFrom, to, judgeFrom, pricing: new Pricing(table, null), params },
      );
      for (const w of read.warnings) log.warn(w);
      // Yesterday, read whole for the first time this hour, is judged again on every metric (the running
      // day's unflagged accounts had input and output only; context growth needs invocations).
      const dayBefore = addDays(dayOfHour(judgeFrom), -1);
      if (read.storedDaysRead > 0 && read.daysFetched.includes(dayBefore))
        judgeFrom = `${dayBefore}T00:00:00Z`;
      const pricing = await pricingFor(table, read.rows, ports.listPrices);
      progress(`judging ${Math.round((hourMs(to) - hourMs(judgeFrom)) / HOUR_MS)} hour(s)`);
      const prepared = prepareWatch(
        { rows: read.rows, pricing, evaluate: { from: judgeFrom, to } },
        lookbackDays(config),
      );
      const result = judgeWatch(prepared, params, config.severity);
      if (result.unpricedModelIds.length > 0) {
        log.warn(
          `no price for the tokens of ${result.unpricedModelIds.join(', ')}: left out of the estimates (docs/watch.md "Prices")`,
        );
      }
      findings = toFindings(result.findings, read.rows, pricing, {
        config,
        runId,
        names: accountNames(existing, ports.owners),
        readFrom,
      });
      judgedDays = dayRange(dayOfHour(judgeFrom), dayOfHour(addHours(to, -1)));
      for (const day of judgedDays) {
        await writeDayFindings(
          { store, clock, events: ports.events },
          WATCH_DETECTOR,
          day,
          findings.filter((f) => f.as_of === day),
        );
      }
      const stats = ports.metrics.stats?.() ?? { requests: 0, metrics_requested: 0 };
      fields = {
        ...fields,
        judged_hours: result.evaluatedHours.length,
        accounts: result.accounts,
        unknown_hours: result.unknownHours,
        unpriced_model_ids: result.unpricedModelIds,
        stored_days_read: read.storedDaysRead,
        days_fetched: read.daysFetched,
        screen_flagged_accounts: read.flaggedAccounts.length,
        requests: stats.requests,
        metrics_requested: stats.metrics_requested,
      };
    }

    // Cases, like a run: a watch finding opens or raises its case; its own cases count the quiet days.
    const byCase = findingInputs(findings, ports.owners, runId, () => true);
    const quietFor = (c: CaseRecord): IsoDate[] => {
      if (!isLive(c.state) || caseDetectorOf(c.detector).source !== 'metrics') return [];
      const fired = new Set(findings.filter((f) => f.case_key === c.case_key).map((f) => f.as_of));
      // A day counts once its last hour was judged.
      return judgedDays.filter((d) => !fired.has(d) && hourMs(`${addDays(d, 1)}T00:00:00Z`) <= hourMs(to));
    };
    const quietKeys = existing.filter((c) => quietFor(c).length > 0).map((c) => c.case_key);
    const keys = [...new Set([...byCase.keys(), ...quietKeys])].sort();
    const transitions = await applyTransitions(
      ports,
      config,
      (current, key) => {
        const inputs: CaseInput[] = [...(byCase.get(key) ?? [])];
        const quiet = current ? quietFor(current) : [];
        if (quiet.length > 0) inputs.push({ type: 'quiet', days: quiet, runId });
        return inputs;
      },
      keys,
    );
    ports.fault?.('after-transitions');
    const delivery =
      request.deliver === false ? null : await deliverDue(ports, config, { holder: runId, digestAsOf: null });
    record = finishRecord(
      {
        ...record,
        evaluated_days: judgedDays,
        evaluated_by_detector: { [WATCH_DETECTOR]: judgedDays },
        data_through: fields.evaluated_hours.length > 0 ? dayOfHour(addHours(to, -1)) : null,
        counts: {
          findings: findings.length,
          ...transitions.counts,
          ...(delivery ? deliveryCounts(delivery, { dryRun }) : {}),
        },
        unroutable_cases: unroutableCases(delivery?.cases ?? transitions.cases),
        watch: fields,
      },
      clock,
      log.warnings,
    );
    await writeRunRecord(basePorts.store, record);
    await publishRunEvents(ports.events, record, { completed: true });
    return {
      run: record,
      findings,
      cases: transitions.summaries,
      delivery,
      wouldSend: dry?.record.sent ?? [],
    };
  } catch (error) {
    record = finishRecord({ ...record, outcome: 'failed', error: describeError(error) }, clock, log.warnings);
    await recordFailure({ store: basePorts.store, events: ports.events, log }, record, { completed: true });
    throw error;
  }
}

/** Each account's name: the owners mapping's, else the one a case of the account holds, else the id. */
function accountNames(cases: CaseRecord[], owners: NotifyPorts['owners']): (accountId: string) => string {
  const fromCases = new Map<string, string>();
  for (const c of cases)
    if (c.account_name && c.account_name !== c.account_id) fromCases.set(c.account_id, c.account_name);
  return (accountId) => owners.lookup(accountId).accountName || fromCases.get(accountId) || accountId;
}

/** The rule's findings as finding records, with their recent window's and baseline's usage. */
function toFindings(
  list: ReturnType<typeof judgeWatch>['findings'],
  rows: readonly HourlyUsage[],
  pricing: Pricing,
  input: { config: SentinelConfig; runId: string; names: (accountId: string) => string; readFrom: IsoHour },
): RunawayWatchFinding[] {
  const byAccount = new Map<string, HourlyUsage[]>();
  for (const f of list) byAccount.set(f.account_id, []);
  for (const r of rows) byAccount.get(r.account_id)?.push(r);
  return list
    .map((w) => {
      const own = byAccount.get(w.account_id) ?? [];
      const dayStart = `${w.as_of}T00:00:00Z`;
      const baselineFrom = hourIso(
        Math.max(hourMs(input.readFrom), hourMs(dayStart) - input.config.watch.baseline_days * 86_400_000),
      );
      return watchFinding(w, {
        accountName: input.names(w.account_id),
        runId: input.runId,
        config: input.config,
        recent: usageOver(own, pricing, w.recent_start, addHours(w.recent_end, 1)),
        baseline: usageOver(own, pricing, baselineFrom, dayStart),
      });
    })
    .sort(
      (a, b) =>
        a.as_of.localeCompare(b.as_of) ||
        b.projected_30d_excess_usd - a.projected_30d_excess_usd ||
        a.account_id.localeCompare(b.account_id) ||
        a.kind.localeCompare(b.kind),
    );
}
