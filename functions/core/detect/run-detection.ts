/**
 * One detection run over a set of as-of days (docs/detection.md "Input", docs/findings.md,
 * docs/storage.md): the run plan executed (run-plan.ts: staging once, coverage, each detector,
 * context), the rows turned into findings by their detector's module, and the findings files written
 * (one per detector and evaluated as-of day, empty when nothing fired).
 */
import type { SentinelConfig } from '../config.js';
import { utcDay } from '../dates.js';
import { RunAbortedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BlobStore, Clock, EventBus, QueryEngine, Row } from '../ports.js';
import type { CaseSubject, DetectorId, Finding, IsoDate } from '../types.js';
import { type Candidate, emptyContext, type SeriesSubject } from './context.js';
import { type DetectRequest, type DetectResult, emptyDetectResult, recurringLine } from './contract.js';
import { caseKey, dailyFigures, findingLine, SERIES_DAYS } from './findings.js';
import { PRICES_KEY, type PriceTable } from './prices.js';
import { dataWindow, detectorOf } from './registry.js';
import { type PlanStep, type RunState, runPlan } from './run-plan.js';
import { withRunStaging } from './staging.js';
import type { PlannedStatement } from './statement-plan.js';
import type { FocusTable } from './statement-sql.js';

export interface DetectPorts {
  engine: QueryEngine;
  focus: FocusTable;
  store: BlobStore;
  clock: Clock;
  log: Logger;
  /** Where `Finding Detected` goes; without it no event is published (a plain `detect`). */
  events?: EventBus;
  /** Told as each step starts (a terminal shows it; elsewhere it is left out). */
  progress?: (step: string) => void;
  /** Aborts the run between and during statements (the Lambda's remaining time). */
  signal?: AbortSignal;
}

function findingIdsIn(jsonl: string): string[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { finding_id?: unknown }).finding_id));
}

export const findingsKey = (detector: DetectorId, asOf: IsoDate): string =>
  `findings/detector=${detector}/as_of=${asOf}/findings.jsonl`;

export async function runDetection(
  ports: DetectPorts,
  config: SentinelConfig,
  request: DetectRequest,
): Promise<DetectResult> {
  const { log } = ports;
  const result: DetectResult = emptyDetectResult();
  const asOfDays = [...request.asOfDays].sort();
  if (asOfDays.length === 0 || request.detectors.length === 0) return result;
  const warn = (message: string) => {
    result.warnings.push(message);
    log.warn(message);
  };
  const progress = ports.progress ?? (() => {});
  const state: RunState = {
    focus: withRunStaging(ports.focus, ports.clock),
    config,
    asOfDays,
    daysOf: new Map(
      request.detectors.map((d) => [d, [...(request.daysByDetector?.[d] ?? asOfDays)].sort()] as const),
    ),
    detectors: request.detectors,
    window: dataWindow(request.detectors, config, asOfDays),
    today: utcDay(ports.clock.now()),
    now: ports.clock.now(),
    recurringExemptAccounts: request.recurringExemptionOff,
    accountCaps: request.accountCaps ?? [],
    warn,
    result,
    staleStaging: [],
    coverage: null,
    detectorDays: new Map(),
    candidates: [],
    series: [],
    planSeries: (s) => (request.episodeCases ? caseDayPlan(request.episodeCases, s) : []),
    contextRequests: [],
    contexts: new Map(),
    prices: null,
    runId: request.runId,
  };

  const plan = runPlan(request.detectors);
  try {
    for (const group of stepGroups(plan, state)) {
      // Each step's statements are known before any of the group is sent; reads go in plan order after.
      const sent = group.map((step) => ({ step, statements: step.statements(state) }));
      for (const { step } of sent) if (step.progress) progress(step.progress(state));
      const answers = await Promise.allSettled(
        sent.map(({ step, statements }) => sendStep(ports, step, statements)),
      );
      // The first failure in plan order fails the run, once every statement of the group has answered.
      for (const answer of answers) if (answer.status === 'rejected') throw answer.reason;
      answers.forEach((answer, i) => {
        const { step } = sent[i]!;
        for (const { statement, rows, failure } of answer.status === 'fulfilled' ? answer.value : []) {
          if (failure !== null)
            warn(step.failure?.(statement, failure) ?? `${statement.label} failed: ${failure}`);
          else if (rows !== null) step.read(rows, state, statement);
        }
      });
    }
  } finally {
    // Also after a failure or an abort (without the run's signal: the time kept back is for this).
    for (const step of plan) {
      if (!step.cleanup || !step.applies(state)) continue;
      for (const statement of step.statements(state)) {
        await ports.engine.execute(statement.sql, { label: statement.label }).catch((error: unknown) => {
          const message = String((error as Error).message ?? error);
          warn(step.failure?.(statement, message) ?? `${statement.label} failed: ${message}`);
        });
      }
    }
  }
  if (result.recurringHeldBack.length > 0) {
    log.info(
      `${result.recurringHeldBack.length} candidate(s) held back as recurring monthly patterns: ` +
        result.recurringHeldBack.map(recurringLine).join('; '),
    );
  }
  if (result.unpricedCandidates > 0) {
    warn(
      `${result.unpricedCandidates} cache-miss candidates not raised: no input token price could be derived`,
    );
  }

  const run = {
    dataThrough: state.coverage?.lastChargeDay ?? '',
    firstCoveredDay: result.firstCoveredDay,
    runId: request.runId,
  };
  result.findings = state.candidates.map((c, i) =>
    detectorOf(c.detector).buildFinding(c.row, state.contexts.get(String(i)) ?? emptyContext(), config, run),
  );
  result.caseDays = state.series.map((s) => ({
    case_key: caseKey(s.detector, s.account_id, s.model),
    days: dailyFigures(
      s.as_of,
      SERIES_DAYS,
      result.firstCoveredDay,
      state.contexts.get(s.ref)?.series ?? new Map(),
      detectorOf(s.detector).seriesHitRatio,
    ),
  }));
  result.findings.sort(
    (a, b) =>
      a.detector.localeCompare(b.detector) ||
      a.as_of.localeCompare(b.as_of) ||
      b.projected_30d_excess_usd - a.projected_30d_excess_usd ||
      a.account_id.localeCompare(b.account_id) ||
      a.finding_id.localeCompare(b.finding_id),
  );
  if (!request.dryRun) {
    await writeFindings(ports, request.detectors, state.detectorDays, result.findings);
    if (state.prices) await writePrices(ports.store, state.prices, warn);
  }
  return result;
}

interface Answer {
  statement: PlannedStatement;
  /** null: a statement run for its side effect, or a tolerated failure. */
  rows: Row[] | null;
  /** A tolerant step's failure, for its warning. */
  failure: string | null;
}

/** One step's statements, in order; a tolerant step's failure is an answer, any other is thrown. */
async function sendStep(
  ports: DetectPorts,
  step: PlanStep,
  statements: PlannedStatement[],
): Promise<Answer[]> {
  const { signal } = ports;
  const answers: Answer[] = [];
  for (const statement of statements) {
    // Every statement carries the run's signal; an aborted run sends nothing more.
    if (signal?.aborted) {
      throw new RunAbortedError(
        `detection stopped before ${statement.label}: ${String(signal.reason ?? 'aborted')}`,
      );
    }
    const options = { label: statement.label, ...(signal ? { signal } : {}) };
    try {
      if (statement.returnsRows) {
        answers.push({ statement, rows: await ports.engine.query(statement.sql, options), failure: null });
      } else {
        await ports.engine.execute(statement.sql, options);
        answers.push({ statement, rows: null, failure: null });
      }
    } catch (error) {
      if (!step.tolerant) throw error;
      answers.push({ statement, rows: null, failure: String((error as Error).message ?? error) });
    }
  }
  return answers;
}

/**
 * The plan's steps that apply, in order, in groups sent at once: a run of adjacent steps that go
 * alongside each other, every other step alone. Whether a step applies is asked when its group is
 * reached, after every earlier group was read.
 */
function* stepGroups(plan: PlanStep[], state: RunState): Generator<PlanStep[]> {
  let i = 0;
  while (i < plan.length) {
    let end = i + 1;
    if (plan[i]!.alongside?.(state)) while (end < plan.length && plan[end]!.alongside?.(state)) end++;
    const group = plan.slice(i, end).filter((step) => !step.cleanup && step.applies(state));
    i = end;
    if (group.length > 0) yield group;
  }
}

/**
 * `prices/latest.json` (docs/watch.md "Prices"), unless the store holds prices read over newer days (a
 * backfill of old days never replaces the prices a current run read).
 */
async function writePrices(store: BlobStore, table: PriceTable, warn: (m: string) => void): Promise<void> {
  const held = await store.get(PRICES_KEY);
  if (held) {
    try {
      const current = JSON.parse(held.body) as Partial<PriceTable>;
      if (current.window?.end && current.window.end > table.window.end) return;
    } catch {
      warn(`${PRICES_KEY} could not be read as JSON: replaced by this run's prices`);
    }
  }
  await store.put(PRICES_KEY, `${JSON.stringify(table)}\n`);
}

/** One findings file per detector and evaluated day (empty when nothing fired), and `Finding Detected`. */
async function writeFindings(
  ports: DetectPorts,
  detectors: DetectorId[],
  detectorDays: Map<DetectorId, IsoDate[]>,
  findings: Finding[],
): Promise<void> {
  for (const detector of detectors) {
    for (const day of detectorDays.get(detector) ?? []) {
      await writeDayFindings(
        ports,
        detector,
        day,
        findings.filter((f) => f.detector === detector && f.as_of === day),
      );
    }
  }
}

/**
 * One detector's findings file of one day, rewritten whole (docs/storage.md; empty when nothing fired),
 * and `Finding Detected` for each finding id new to it — published before the file is written: a crash in
 * between publishes again (same event id), never loses the event.
 */
export async function writeDayFindings(
  ports: { store: BlobStore; clock: Clock; events?: EventBus },
  detector: DetectorId,
  day: IsoDate,
  dayFindings: Finding[],
): Promise<void> {
  const key = findingsKey(detector, day);
  if (ports.events && dayFindings.length > 0) {
    const known = new Set(findingIdsIn((await ports.store.get(key))?.body ?? ''));
    const fresh = dayFindings.filter((f) => !known.has(f.finding_id));
    await ports.events.publish(
      fresh.map((f) => ({
        id: `finding-${f.finding_id}`,
        detailType: 'Finding Detected',
        time: ports.clock.now().toISOString(),
        detail: f,
      })),
    );
  }
  await ports.store.put(key, dayFindings.map((f) => `${findingLine(f)}\n`).join(''));
}

/**
 * The cases whose days this run records (docs/emails.md "The episode"): the live cases given and every
 * key that fired, each through its detector's newest evaluated day — whether or not it fired, so the
 * quiet days after a spike are recorded. A key that fired on that day has the series in its finding's
 * context (its ref is the candidate's index); the others get a series-only request in the same
 * context statement, numbered after the candidates.
 */
function caseDayPlan(cases: CaseSubject[], state: RunState): SeriesSubject[] {
  const subjectOf = (c: Candidate): CaseSubject => ({
    case_key: caseKey(c.detector, c.row.account_id, c.row.key),
    detector: c.detector,
    account_id: c.row.account_id,
    model: c.row.model,
  });
  const subjects = new Map<string, CaseSubject>();
  for (const s of [...cases, ...state.candidates.map(subjectOf)])
    if (!subjects.has(s.case_key)) subjects.set(s.case_key, s);
  const reads: SeriesSubject[] = [];
  let seriesRef = state.candidates.length;
  for (const s of [...subjects.values()].sort((a, b) => a.case_key.localeCompare(b.case_key))) {
    const asOf = state.detectorDays.get(s.detector)?.at(-1);
    if (asOf === undefined) continue;
    const candidate = state.candidates.findIndex(
      (c) => c.row.as_of === asOf && subjectOf(c).case_key === s.case_key,
    );
    reads.push({
      ref: String(candidate >= 0 ? candidate : seriesRef++),
      detector: s.detector,
      account_id: s.account_id,
      model: s.model,
      as_of: asOf,
      fired: candidate >= 0,
    });
  }
  return reads;
}
