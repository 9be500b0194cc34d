/**
 * The three case-side entry points every door calls (CLI, Lambda handlers):
 * - runPipeline: choose as-of days → detection → case transitions → notify → digest → run record;
 * - followUp: deadlines, suppression expiry, resend what is due or failed (no digest);
 * - acknowledge: an owner's answer.
 * Order within a run (SPEC §7): every case transition is written before any email is sent.
 */

import { type CaseRecord, isLive } from './cases/model.js';
import { type DeliveryReport, deliverDue, flushCaseEvents, type NotifyPorts } from './cases/outbox.js';
import { OverlayBlobStore } from './cases/overlay-store.js';
import { accountNameFor } from './cases/sections.js';
import { readAllCases, readCase, updateCase } from './cases/store.js';
import { applyCaseInputs, type CaseInput, type CaseRules } from './cases/transitions.js';
import type { SentinelConfig } from './config.js';
import { daysBetween } from './dates.js';
import { type DetectRequest, type DetectResult, emptyDetectResult } from './detect/contract.js';
import { describeError } from './errors.js';
import type { Answer } from './notify/message-model.js';
import type { BlobStore, BusEvent, EventBus, Mailer, OutgoingMessage, QueryStats } from './ports.js';
import {
  catchUpDays,
  defaultAsOfDay,
  lastEvaluatedAsOf,
  newRunId,
  type RunRecord,
  writeRunRecord,
} from './runs.js';
import { DETECTORS, type DetectorId, type Finding, type IsoDate, type RunCommand } from './types.js';

/**
 * Detection as a port: the CLI binds runDetection to its engine (and reports the engine's query
 * stats for the run record); tests inject findings.
 */
export type DetectFn = (
  request: DetectRequest,
  store: BlobStore,
) => Promise<DetectResult & { stats?: QueryStats; engine?: 'duckdb' | 'athena' }>;

export interface PipelinePorts extends NotifyPorts {
  detect: DetectFn;
}

export interface RunOptions {
  /** Explicit as-of days (`--as-of`, `--from/--to`), never capped; omitted: catch-up (SPEC §4). */
  asOfDays?: IsoDate[];
  detectors?: DetectorId[];
  /** Render and report; send nothing and change no case, finding or log (the run record says dry_run). */
  dryRun?: boolean;
  runId?: string;
}

/** One line of the terminal summary: a case this run touched. */
export interface CaseSummary {
  caseKey: string;
  accountId: string;
  accountName: string;
  detector: DetectorId;
  kind: Finding['kind'];
  model: string | null;
  state: CaseRecord['state'];
  epoch: number;
  firstAsOf: IsoDate;
  lastAsOf: IsoDate;
  severity: Finding['severity'];
  recentAvgDailyUsd: number;
  spikeRatio: number | null;
  avoidableCostUsd: number | null;
  ownerEmail: string | null;
  routed: boolean | null;
  transitions: string[];
}

export interface PipelineResult {
  run: RunRecord;
  findings: Finding[];
  cases: CaseSummary[];
  delivery: DeliveryReport;
  /** Dry runs: the messages that would have been sent. */
  wouldSend: OutgoingMessage[];
}

const rulesOf = (config: SentinelConfig): CaseRules => ({
  followUpHours: config.notify.follow_up_hours,
  autoResolveDays: config.cases.auto_resolve_days,
  suppressDays: config.cases.suppress_days,
  resuppressGrowth: config.cases.resuppress_growth,
});

/** Dry runs: same protocol against a memory overlay, a recording mailer and a silent bus. */
function dryRunPorts<P extends NotifyPorts>(ports: P): { ports: P; sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const mailer: Mailer = {
    send: async (message) => {
      sent.push(message);
      return { providerMessageId: `dry-run-${message.messageId}` };
    },
  };
  const events: EventBus = { publish: async () => {} };
  return { ports: { ...ports, store: new OverlayBlobStore(ports.store), mailer, events }, sent };
}

interface DaysChoice {
  days: IsoDate[];
  skipped: IsoDate[];
  lastEvaluated: IsoDate | null;
}

async function chooseDays(
  store: BlobStore,
  config: SentinelConfig,
  options: RunOptions,
  defaultAsOf: IsoDate,
): Promise<DaysChoice> {
  const lastEvaluated = await lastEvaluatedAsOf(store);
  if (options.asOfDays) return { days: [...options.asOfDays].sort(), skipped: [], lastEvaluated };
  const chosen = catchUpDays({ defaultAsOf, lastEvaluated, maxCatchUpDays: config.max_catch_up_days });
  return { ...chosen, lastEvaluated };
}

/** SPEC §8 row 1: a catch-up day, or within notify_max_age_days of the default as-of day. */
export function mayOpenOn(
  asOf: IsoDate,
  input: { defaultAsOf: IsoDate; lastEvaluated: IsoDate | null; notifyMaxAgeDays: number },
): boolean {
  if (input.lastEvaluated !== null && asOf > input.lastEvaluated) return true;
  return daysBetween(asOf, input.defaultAsOf) <= input.notifyMaxAgeDays;
}

/** Accounts with a runaway case answered `stopped` in the last 45 days lose the recurring exemption. */
function recentlyStoppedAccounts(cases: CaseRecord[], now: Date): string[] {
  const since = now.getTime() - 45 * 86_400_000;
  const accounts = cases
    .filter((c) => c.detector === 'runaway-inference')
    .filter((c) => c.answers.some((a) => a.answer === 'stopped' && Date.parse(a.at) >= since))
    .map((c) => c.account_id);
  return [...new Set(accounts)].sort();
}

function summarize(c: CaseRecord, ports: NotifyPorts, transitions: string[]): CaseSummary {
  const owner = ports.owners.lookup(c.account_id);
  return {
    caseKey: c.case_key,
    accountId: c.account_id,
    accountName: accountNameFor(c, owner),
    detector: c.detector,
    kind: c.kind,
    model: c.model,
    state: c.state,
    epoch: c.epoch,
    firstAsOf: c.first_as_of,
    lastAsOf: c.last_as_of,
    severity: c.latest.severity,
    recentAvgDailyUsd: c.latest.recent_avg_daily_usd,
    spikeRatio: c.latest.spike_ratio,
    avoidableCostUsd: c.latest.avoidable_cost_usd,
    ownerEmail: owner.ownerEmail,
    routed: owner.routed,
    transitions,
  };
}

interface TransitionOutcome {
  summaries: CaseSummary[];
  counts: Record<string, number>;
}

/**
 * Applies each case's inputs of this run in one conditional write per case (re-applied on
 * conflict): findings in as-of order, then quiet days, suppression expiry and the deadline.
 */
async function applyTransitions(
  ports: NotifyPorts,
  config: SentinelConfig,
  inputsFor: (c: CaseRecord | null, caseKey: string) => CaseInput[],
  caseKeys: string[],
): Promise<TransitionOutcome> {
  const ctx = { now: ports.clock.now(), rules: rulesOf(config) };
  const counts: Record<string, number> = {};
  const summaries: CaseSummary[] = [];
  for (const key of caseKeys) {
    const { record, result } = await updateCase(ports.store, key, (current) => {
      const inputs = inputsFor(current, key);
      const { next, applied } = applyCaseInputs(current, inputs, ctx);
      const events = applied.flatMap((a) => (a.event ? [a.event.detail_type] : []));
      const changed = applied.some((a) => a.changed);
      return {
        next: changed ? next : null,
        result: { events, touched: inputs.some((i) => i.type === 'finding') },
      };
    });
    for (const e of result.events) counts[e] = (counts[e] ?? 0) + 1;
    if (record && (result.events.length > 0 || result.touched))
      summaries.push(summarize(record, ports, result.events));
  }
  return { summaries, counts };
}

function findingInputs(
  findings: Finding[],
  ports: NotifyPorts,
  runId: string,
  open: (asOf: IsoDate) => boolean,
): Map<string, CaseInput[]> {
  const byCase = new Map<string, CaseInput[]>();
  const sorted = [...findings].sort(
    (a, b) => a.as_of.localeCompare(b.as_of) || a.finding_id.localeCompare(b.finding_id),
  );
  for (const f of sorted) {
    const owner = ports.owners.lookup(f.account_id);
    const list = byCase.get(f.case_key) ?? [];
    list.push({
      type: 'finding',
      finding: f,
      mayOpen: open(f.as_of),
      runId,
      owner: { email: owner.ownerEmail, routed: owner.routed },
    });
    byCase.set(f.case_key, list);
  }
  return byCase;
}

function unroutableCases(cases: CaseRecord[], ports: NotifyPorts): string[] {
  return cases
    .filter((c) => isLive(c.state) && !ports.owners.lookup(c.account_id).routed)
    .map((c) => c.case_key);
}

function deliveryCounts(delivery: DeliveryReport): Record<string, number> {
  const counts: Record<string, number> = { messages_sent: 0, messages_failed: 0, messages_rejected: 0 };
  for (const m of delivery.messages) {
    const key =
      m.status === 'sent' ? 'messages_sent' : m.status === 'failed' ? 'messages_failed' : 'messages_rejected';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  counts.case_events_written = delivery.eventsWritten;
  return counts;
}

function baseRecord(
  command: RunCommand,
  runId: string,
  started: Date,
  config: SentinelConfig,
  dryRun: boolean,
): RunRecord {
  return {
    run_id: runId,
    command,
    dry_run: dryRun,
    started_at: started.toISOString(),
    finished_at: started.toISOString(),
    duration_ms: 0,
    engine: config.engine,
    detectors: [],
    as_of_days: [],
    evaluated_days: [],
    stale_days: [],
    skipped_days: [],
    catch_up_skipped_days: [],
    data_through: null,
    first_covered_day: null,
    bytes_scanned: 0,
    query_ids: [],
    statements: 0,
    rows: 0,
    counts: {},
    unroutable_cases: [],
    warnings: [],
    outcome: 'succeeded',
    error: null,
  };
}

function finish(record: RunRecord, ports: NotifyPorts, started: Date): RunRecord {
  const finished = ports.clock.now();
  return {
    ...record,
    finished_at: finished.toISOString(),
    duration_ms: Math.max(0, finished.getTime() - started.getTime()),
    warnings: [...ports.log.warnings],
  };
}

async function publishRunEvent(events: EventBus, record: RunRecord): Promise<void> {
  const list: BusEvent[] = [];
  const time = record.finished_at;
  if (record.outcome === 'failed') {
    list.push({ id: `${record.run_id}-failed`, detailType: 'Run Failed', time, detail: record });
  } else {
    list.push({
      id: `${record.run_id}-completed`,
      detailType: 'Detection Run Completed',
      time,
      detail: record,
    });
    if (record.stale_days.length > 0) {
      list.push({ id: `${record.run_id}-stale`, detailType: 'Data Stale', time, detail: record });
    }
  }
  await events.publish(list);
}

/** `sentinel run` and the scheduled detection: detection, cases, emails, digest, run record. */
export async function runPipeline(
  basePorts: PipelinePorts,
  config: SentinelConfig,
  options: RunOptions = {},
): Promise<PipelineResult> {
  const dryRun = options.dryRun ?? false;
  const dry = dryRun ? dryRunPorts(basePorts) : null;
  const ports = dry?.ports ?? basePorts;
  const { store, clock, log } = ports;
  const started = clock.now();
  const runId = options.runId ?? newRunId(clock, 'run');
  const detectors = options.detectors ?? [...DETECTORS];
  let record: RunRecord = { ...baseRecord('run', runId, started, config, dryRun), detectors };
  try {
    const defaultAsOf = defaultAsOfDay(clock, config.export_lag_days);
    const choice = await chooseDays(store, config, options, defaultAsOf);
    if (choice.skipped.length > 0) {
      log.warn(
        `catch-up: ${choice.skipped.length} as-of day(s) older than max_catch_up_days skipped: ${choice.skipped[0]} … ${choice.skipped.at(-1)}`,
      );
    }
    const existing = await readAllCases(store);
    const detected: Awaited<ReturnType<DetectFn>> =
      choice.days.length === 0
        ? emptyDetectResult()
        : await ports.detect(
            {
              asOfDays: choice.days,
              detectors,
              runId,
              command: 'run',
              dryRun,
              recurringExemptionOff: recentlyStoppedAccounts(existing, clock.now()),
            },
            store,
          );
    if (choice.days.length === 0)
      log.info(`nothing to evaluate: as-of ${defaultAsOf} was evaluated by an earlier run`);

    const open = (asOf: IsoDate) =>
      mayOpenOn(asOf, {
        defaultAsOf,
        lastEvaluated: choice.lastEvaluated,
        notifyMaxAgeDays: config.cases.notify_max_age_days,
      });
    const byCase = findingInputs(detected.findings, ports, runId, open);
    const evaluatedFor = (detector: DetectorId): IsoDate[] =>
      detectors.includes(detector)
        ? detected.evaluatedDays.filter(
            (d) => !detected.skippedDays.some((s) => s.detector === detector && s.as_of === d),
          )
        : [];
    const keys = [...new Set([...existing.map((c) => c.case_key), ...byCase.keys()])].sort();
    const transitions = await applyTransitions(
      ports,
      config,
      (current, key) => {
        const findings = byCase.get(key) ?? [];
        const inputs: CaseInput[] = [...findings];
        if (current || findings.length > 0) {
          const detector = current?.detector ?? (findings[0] as { finding: Finding }).finding.detector;
          const withFinding = new Set(findings.map((i) => (i as { finding: Finding }).finding.as_of));
          const quiet = evaluatedFor(detector).filter((d) => !withFinding.has(d));
          if (quiet.length > 0) inputs.push({ type: 'quiet', days: quiet, runId });
          inputs.push({ type: 'expiry' }, { type: 'deadline' });
        }
        return inputs;
      },
      keys,
    );
    ports.fault?.('after-transitions');

    const delivery = await deliverDue(ports, config, { holder: runId, digestAsOf: defaultAsOf });
    const after = await readAllCases(store);
    record = {
      ...record,
      as_of_days: choice.days,
      evaluated_days: detected.evaluatedDays,
      stale_days: detected.staleDays,
      skipped_days: detected.skippedDays,
      catch_up_skipped_days: choice.skipped,
      data_through: detected.dataThrough,
      first_covered_day: detected.firstCoveredDay,
      engine: detected.engine ?? record.engine,
      bytes_scanned: detected.stats?.bytesScanned ?? 0,
      query_ids: detected.stats?.queryIds ?? [],
      statements: detected.stats?.statements ?? 0,
      rows: detected.stats?.rows ?? 0,
      counts: {
        findings: detected.findings.length,
        recurring_candidates: detected.recurringCandidates,
        unpriced_candidates: detected.unpricedCandidates,
        ...transitions.counts,
        ...deliveryCounts(delivery),
      },
      unroutable_cases: unroutableCases(after, ports),
      outcome: detected.staleDays.length > 0 ? 'stale' : 'succeeded',
    };
    record = finish(record, ports, started);
    await writeRunRecord(basePorts.store, record);
    await publishRunEvent(ports.events, record);
    return {
      run: record,
      findings: detected.findings,
      cases: transitions.summaries,
      delivery,
      wouldSend: dry?.sent ?? [],
    };
  } catch (error) {
    record = finish({ ...record, outcome: 'failed', error: describeError(error) }, ports, started);
    await writeRunRecord(basePorts.store, record).catch(() => {});
    await publishRunEvent(ports.events, record).catch(() => {});
    throw error;
  }
}

export interface FollowUpResult {
  run: RunRecord;
  cases: CaseSummary[];
  delivery: DeliveryReport;
}

/** The hourly follow-up: one step per case at most; resend what is due or failed; no digest. */
export async function followUp(
  ports: NotifyPorts,
  config: SentinelConfig,
  options: { runId?: string } = {},
): Promise<FollowUpResult> {
  const started = ports.clock.now();
  const runId = options.runId ?? newRunId(ports.clock, 'follow-up');
  let record = baseRecord('follow-up', runId, started, config, false);
  try {
    const keys = (await readAllCases(ports.store)).map((c) => c.case_key);
    const transitions = await applyTransitions(
      ports,
      config,
      (current) => (current ? [{ type: 'expiry' }, { type: 'deadline' }] : []),
      keys,
    );
    ports.fault?.('after-transitions');
    const delivery = await deliverDue(ports, config, { holder: runId, digestAsOf: null });
    const after = await readAllCases(ports.store);
    record = finish(
      {
        ...record,
        counts: { ...transitions.counts, ...deliveryCounts(delivery) },
        unroutable_cases: unroutableCases(after, ports),
      },
      ports,
      started,
    );
    await writeRunRecord(ports.store, record);
    return { run: record, cases: transitions.summaries, delivery };
  } catch (error) {
    record = finish({ ...record, outcome: 'failed', error: describeError(error) }, ports, started);
    await writeRunRecord(ports.store, record).catch(() => {});
    throw error;
  }
}

export interface AcknowledgeRequest {
  caseKey: string;
  answer: Answer;
  note?: string | null;
  /** The epoch the answer is for (from a link); omitted: the current epoch. */
  epoch?: number | null;
  by?: string | null;
}

export type AcknowledgeResult =
  | { status: 'recorded'; case: CaseRecord; transition: string | null }
  | { status: 'refused'; message: string; case: CaseRecord | null };

/** An owner's answer (CLI `ack`, the /ack endpoint). Refusals change nothing and say why. */
export async function acknowledge(
  ports: Pick<NotifyPorts, 'store' | 'events' | 'clock'>,
  config: SentinelConfig,
  request: AcknowledgeRequest,
): Promise<AcknowledgeResult> {
  const ctx = { now: ports.clock.now(), rules: rulesOf(config) };
  const input: CaseInput = {
    type: 'answer',
    answer: request.answer,
    note: request.note ?? null,
    by: request.by ?? null,
    epoch: request.epoch ?? null,
    defaultAsOf: defaultAsOfDay(ports.clock, config.export_lag_days),
  };
  const { record, result } = await updateCase(ports.store, request.caseKey, (current) => {
    const { next, applied } = applyCaseInputs(current, [input], ctx);
    const a = applied[0]!;
    return { next: a.changed ? next : null, result: a };
  });
  if (result.refusal) return { status: 'refused', message: result.refusal, case: record };
  if (record) await flushCaseEvents(ports, [record]);
  const fresh = (await readCase(ports.store, request.caseKey))?.record ?? record!;
  return { status: 'recorded', case: fresh, transition: result.event?.detail_type ?? null };
}
