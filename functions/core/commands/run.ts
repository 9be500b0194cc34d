/**
 * `run` and the scheduled detection (docs/detection.md "Runaway inference", docs/storage.md, docs/cases.md): choose the as-of days (explicit or
 * catch-up) → detection → case transitions → notify → digest → run record and run events.
 * Order within a run (docs/storage.md): every case transition is written before any email is sent.
 */
import {
  applyTransitions,
  type CaseSummary,
  findingInputs,
  mayOpenOn,
  recentlyStoppedAccounts,
  unroutableCases,
} from '../cases/apply.js';
import { type CaseRecord, isLive } from '../cases/model.js';
import { readAllCases } from '../cases/store.js';
import type { CaseInput } from '../cases/transitions.js';
import type { SentinelConfig } from '../config.js';
import { utcDay } from '../dates.js';
import { type DeliveryReport, deliverDue, deliveryCounts } from '../deliver/deliver.js';
import type { NotifyPorts } from '../deliver/ports.js';
import { type DetectFn, type DetectOutcome, emptyDetectResult } from '../detect/contract.js';
import { refuseDaysAfterToday } from '../detect/coverage.js';
import { BILL_DETECTORS, detectorInputs } from '../detect/registry.js';
import { type DryRunRecord, dryRunPorts } from '../dry-run.js';
import { AsOfDayOutOfRangeError, describeError } from '../errors.js';
import { alertRunTrouble, recordRunHealth } from '../health.js';
import type { OutgoingMessage } from '../ports.js';
import {
  baseRecord,
  defaultAsOfDay,
  finishRecord,
  lastEvaluatedByDetector,
  newRunId,
  publishRunEvents,
  queryFields,
  type RunRecord,
  recordFailure,
  runDays,
  writeRunRecord,
} from '../runs.js';
import type { CaseSubject, DailyFigures, DetectorId, Finding, IsoDate, RunCommand } from '../types.js';
import { runLog } from '../warnings.js';

export interface RunPorts extends NotifyPorts {
  detect: DetectFn;
  progress?: (step: string) => void;
}

export interface RunRequest {
  /** Explicit as-of days (`--as-of`, `--from/--to`), never capped; omitted: catch-up (docs/detection.md "Runaway inference"). */
  asOfDays?: IsoDate[];
  detectors?: DetectorId[];
  /** Render and report; send nothing and change no case, finding or log (the run record says dry_run). */
  dryRun?: boolean;
  runId?: string;
  /** `run` (CLI) or `scheduled-detect` (the Lambda); both move catch-up. */
  command?: Extract<RunCommand, 'run' | 'scheduled-detect'>;
  /** Stops the engine's polling (the Lambda's remaining time); the run is recorded as failed. */
  signal?: AbortSignal;
}

export interface RunResult {
  run: RunRecord;
  findings: Finding[];
  cases: CaseSummary[];
  delivery: DeliveryReport;
  /** Dry runs: the messages that would have been sent. */
  wouldSend: OutgoingMessage[];
  /** Dry runs: the kill-switch engagements and releases it would have made (docs/kill-switch.md). */
  wouldKillSwitch: DryRunRecord['killSwitch'];
}

const alertPorts = (ports: RunPorts, log: RunPorts['log']) => ({
  store: ports.store,
  mailer: ports.mailer,
  clock: ports.clock,
  log,
  render: ports.render,
});

/** The live cases of the detectors a run evaluates: the run records their days (docs/emails.md "The episode"). */
function liveSubjects(cases: CaseRecord[], detectors: DetectorId[]): CaseSubject[] {
  return cases
    .filter((c) => isLive(c.state) && detectors.includes(c.detector))
    .map((c) => ({ case_key: c.case_key, detector: c.detector, account_id: c.account_id, model: c.model }));
}

/**
 * The daily figures the run read for a case go on its last finding or quiet input of the run, so
 * each day's avoidable cost is priced against the peak after every finding of the run.
 */
function withCaseDays(inputs: CaseInput[], days: DailyFigures[] | undefined): void {
  if (!days) return;
  const last = inputs.length - 1;
  const input = inputs[last];
  if (input?.type === 'quiet') inputs[last] = { ...input, figures: days };
  else if (input?.type === 'finding') inputs[last] = { ...input, days };
}

/** Each detector's days the run covered: evaluated, or skipped for want of baseline (both move its catch-up). */
function coveredByDetector(detected: DetectOutcome): Partial<Record<DetectorId, IsoDate[]>> {
  const covered: Partial<Record<DetectorId, IsoDate[]>> = {};
  for (const [detector, days] of Object.entries(detected.evaluatedByDetector) as [DetectorId, IsoDate[]][]) {
    const skipped = detected.skippedDays.filter((s) => s.detector === detector).map((s) => s.as_of);
    covered[detector] = [...new Set([...days, ...skipped])].sort();
  }
  return covered;
}

export async function runPipeline(
  basePorts: RunPorts,
  config: SentinelConfig,
  request: RunRequest = {},
): Promise<RunResult> {
  const dryRun = request.dryRun ?? false;
  const dry = dryRun ? dryRunPorts(basePorts) : null;
  const log = runLog(basePorts.log);
  const ports = { ...(dry?.ports ?? basePorts), log };
  const { store, clock } = ports;
  const started = clock.now();
  const command = request.command ?? 'run';
  const runId = request.runId ?? newRunId(clock, command);
  const detectors = request.detectors ?? [...BILL_DETECTORS];
  let record: RunRecord = {
    ...baseRecord({ command, runId, started, engine: config.engine, dryRun }),
    detectors,
  };
  // Bad days are refused before anything runs or is written (docs/cli.md "Exit status").
  if (request.asOfDays) refuseDaysAfterToday(request.asOfDays, utcDay(started));
  try {
    const defaultAsOf = defaultAsOfDay(clock, config.export_lag_days);
    // Catch-up is per detector (docs/detection.md "As-of days"): a run limited to one never hides another's days.
    const lastEvaluated = await lastEvaluatedByDetector(store, detectors);
    const choice = runDays({
      detectors,
      explicit: request.asOfDays,
      defaultAsOf,
      lastEvaluated,
      maxCatchUpDays: config.max_catch_up_days,
    });
    if (choice.skipped.length > 0) {
      log.warn(
        `catch-up: ${choice.skipped.length} as-of day(s) older than max_catch_up_days skipped: ${choice.skipped[0]} … ${choice.skipped.at(-1)}`,
      );
    }
    const existing = await readAllCases(store);
    const detected: DetectOutcome =
      choice.days.length === 0
        ? emptyDetectResult()
        : await ports.detect(
            {
              asOfDays: choice.days,
              detectors,
              daysByDetector: Object.fromEntries(choice.byDetector),
              runId,
              command,
              dryRun,
              recurringExemptionOff: recentlyStoppedAccounts(existing, clock.now()),
              ...detectorInputs(config, ports.owners),
              episodeCases: liveSubjects(existing, detectors),
            },
            {
              store,
              log,
              events: ports.events,
              ...(ports.progress ? { progress: ports.progress } : {}),
              ...(request.signal ? { signal: request.signal } : {}),
            },
          );
    if (choice.days.length === 0)
      log.info(`nothing to evaluate: as-of ${defaultAsOf} was evaluated by an earlier run`);

    const mayOpen = (finding: Finding) =>
      mayOpenOn(finding.as_of, {
        defaultAsOf,
        lastEvaluated: lastEvaluated.get(finding.detector) ?? null,
        notifyMaxAgeDays: config.cases.notify_max_age_days,
      });
    const byCase = findingInputs(detected.findings, ports.owners, runId, mayOpen);
    const evaluatedFor = (detector: DetectorId): IsoDate[] =>
      detectors.includes(detector) ? (detected.evaluatedByDetector[detector] ?? []) : [];
    const daysOf = new Map(detected.caseDays.map((d) => [d.case_key, d.days]));
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
          withCaseDays(inputs, daysOf.get(key));
          inputs.push({ type: 'expiry' }, { type: 'deadline' });
        }
        return inputs;
      },
      keys,
    );
    ports.fault?.('after-transitions');

    // How detection went, recorded before the digest so the digest opens with stale data
    // (docs/emails.md "When detection is in trouble"); a success clears the condition.
    await recordRunHealth(basePorts.store, {
      ...record,
      outcome: detected.staleDays.length > 0 ? 'stale' : 'succeeded',
      finished_at: clock.now().toISOString(),
      stale_days: detected.staleDays,
      data_through: detected.dataThrough,
    });
    const delivery = await deliverDue(ports, config, { holder: runId, digestAsOf: defaultAsOf });
    record = finishRecord(
      {
        ...record,
        as_of_days: choice.days,
        evaluated_days: detected.evaluatedDays,
        evaluated_by_detector: coveredByDetector(detected),
        stale_days: detected.staleDays,
        skipped_days: detected.skippedDays,
        catch_up_skipped_days: choice.skipped,
        data_through: detected.dataThrough,
        first_covered_day: detected.firstCoveredDay,
        engine: detected.engine ?? record.engine,
        ...queryFields(detected.stats),
        recurring_candidates: detected.recurringHeldBack,
        counts: {
          findings: detected.findings.length,
          recurring_candidates: detected.recurringHeldBack.length,
          unpriced_candidates: detected.unpricedCandidates,
          ...transitions.counts,
          ...deliveryCounts(delivery, { dryRun }),
        },
        unroutable_cases: unroutableCases(delivery.cases ?? transitions.cases),
        outcome: detected.staleDays.length > 0 ? 'stale' : 'succeeded',
      },
      clock,
      log.warnings,
    );
    await writeRunRecord(basePorts.store, record);
    await publishRunEvents(ports.events, record, { completed: true });
    // Stale data no digest reported: FinOps gets the run alert, once per condition.
    if (!dryRun) await alertRunTrouble(alertPorts(basePorts, log), config);
    return {
      run: record,
      findings: detected.findings,
      cases: transitions.summaries,
      delivery,
      wouldSend: dry?.record.sent ?? [],
      wouldKillSwitch: dry?.record.killSwitch ?? [],
    };
  } catch (error) {
    // A day before the export began, found once its bounds are read: bad input, and nothing is written.
    if (error instanceof AsOfDayOutOfRangeError) throw error;
    record = finishRecord({ ...record, outcome: 'failed', error: describeError(error) }, clock, log.warnings);
    await recordFailure({ store: basePorts.store, events: ports.events, log }, record, { completed: true });
    // A failed run reaches a person: FinOps gets the run alert once per condition (never hiding this error).
    if (!dryRun) {
      await recordRunHealth(basePorts.store, record).catch((e: unknown) =>
        log.error('could not record the failed run in health/detection.json', { run_id: runId }, e),
      );
      await alertRunTrouble(alertPorts(basePorts, log), config);
    }
    throw error;
  }
}
