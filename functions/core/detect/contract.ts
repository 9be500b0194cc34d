/**
 * What a detection run takes and returns. `detect`, `run` and the scheduled Lambda all call
 * runDetection (functions/core/detect/run-detection.ts) with this request.
 */
import { money } from '../format.js';
import type { Logger } from '../log.js';
import type { BlobStore, EngineName, EventBus, QueryEngine, QueryStats } from '../ports.js';
import type { CaseDays, CaseSubject, DetectorId, Finding, IsoDate, RunCommand } from '../types.js';
import type { FocusTable } from './statement-sql.js';

export interface DetectRequest {
  /** The as-of days to evaluate, ascending, already chosen by the caller (explicit range or catch-up). */
  asOfDays: IsoDate[];
  detectors: DetectorId[];
  /**
   * Each detector's own days where they differ (catch-up is per detector, docs/detection.md
   * "As-of days"); a detector not named here evaluates every day of `asOfDays`.
   */
  daysByDetector?: Partial<Record<DetectorId, IsoDate[]>>;
  runId: string;
  command: RunCommand;
  dryRun: boolean;
  /** Accounts with a runaway case answered `stopped` in the last 45 days: no recurring exemption (docs/detection.md "Runaway inference"). */
  recurringExemptionOff: string[];
  /** Accounts with a daily budget cap, from the owners file (docs/detection.md "Budget"). */
  accountCaps?: { account_id: string; cap_usd: number }[];
  /**
   * A run that records on cases (`run`, scheduled detect; docs/emails.md "The episode"): its live cases.
   * The result then carries the daily figures of these and of every case key that fired, through the
   * detector's newest evaluated day. Absent (a manual `detect`): no daily figures are read.
   */
  episodeCases?: CaseSubject[];
}

export interface SkippedDay {
  detector: DetectorId;
  as_of: IsoDate;
  reason: string;
}

/** A runaway candidate held back as a recurring monthly pattern (docs/detection.md "Runaway inference"), named in summary and record. */
export interface RecurringCandidate {
  /** The detector that held it back (runaway-inference, or a budget's month-over-month rule). */
  detector: DetectorId;
  account_id: string;
  account_name: string;
  as_of: IsoDate;
  recent_avg_daily_usd: number;
  /** The same measure about a month earlier (runaway: the highest recent-window mean ending D−34 … D−27; budget: the same 7 days of last month). */
  month_earlier_avg_daily_usd: number;
}

export interface DetectResult {
  findings: Finding[];
  /** As-of days whose findings were computed (findings files written, possibly empty). */
  evaluatedDays: IsoDate[];
  /** As-of days past the export's newest charge: not evaluated (exit 3, `Data Stale`). */
  staleDays: IsoDate[];
  skippedDays: SkippedDay[];
  /** Newest charge day in the periods read (null: nothing read). */
  dataThrough: IsoDate | null;
  firstCoveredDay: IsoDate | null;
  /** Candidates held back by the recurring-pattern rule: `recurringHeldBack.length`. */
  recurringCandidates: number;
  recurringHeldBack: RecurringCandidate[];
  /** Cache-miss candidates not raised because no input price could be derived. */
  unpricedCandidates: number;
  /** The daily figures of the request's `episodeCases` and of the keys that fired (empty without them). */
  caseDays: CaseDays[];
  /** Each detector's evaluated days (its own days, covered, with enough baseline): what moves its catch-up. */
  evaluatedByDetector: Partial<Record<DetectorId, IsoDate[]>>;
  warnings: string[];
}

/** A result with nothing evaluated (no days, or nothing to do). */
export function emptyDetectResult(): DetectResult {
  return {
    findings: [],
    evaluatedDays: [],
    staleDays: [],
    skippedDays: [],
    dataThrough: null,
    firstCoveredDay: null,
    recurringCandidates: 0,
    recurringHeldBack: [],
    unpricedCandidates: 0,
    caseDays: [],
    evaluatedByDetector: {},
    warnings: [],
  };
}

/** An engine with the FOCUS table it reads, opened by the composition root from config. */
export interface OpenedEngine {
  engine: QueryEngine;
  focus: FocusTable;
}

/** Opens the configured engine (only when there are days to evaluate); warnings go to `log`. */
export type EngineOpener = (log: Logger) => Promise<OpenedEngine>;

export interface DetectOutcome extends DetectResult {
  stats?: QueryStats;
  engine?: EngineName;
}

/** Where a detection writes and reports, per run. */
export interface DetectStepPorts {
  store: BlobStore;
  log: Logger;
  /** Where `Finding Detected` goes; without it no event is published (a plain `detect`). */
  events?: EventBus;
  progress?: (step: string) => void;
  signal?: AbortSignal;
}

/** Detection as a port of `run`: the engine behind it (tests inject findings instead). */
export type DetectFn = (request: DetectRequest, ports: DetectStepPorts) => Promise<DetectOutcome>;

/**
 * Detection by findings already computed: each requested day evaluated, its findings returned, and
 * the daily figures given for the cases the request records on. The demo hands its detect step's
 * findings and figures to the case step this way; tests inject findings.
 */
export function fixedDetection(findings: Finding[], caseDays: CaseDays[] = []): DetectFn {
  return async (request) => {
    const daysOf = (d: DetectorId) => request.daysByDetector?.[d] ?? request.asOfDays;
    return {
      ...emptyDetectResult(),
      findings: findings.filter(
        (f) => request.detectors.includes(f.detector) && daysOf(f.detector).includes(f.as_of),
      ),
      caseDays: request.episodeCases ? caseDays : [],
      evaluatedDays: [...request.asOfDays],
      evaluatedByDetector: Object.fromEntries(request.detectors.map((d) => [d, [...daysOf(d)]])),
      dataThrough: request.asOfDays.at(-1) ?? null,
    };
  };
}

/** `runaway-inference: 111111111111 Payments, as-of 2026-03-01: $120.00/day, a month earlier $118.00/day`. */
export function recurringLine(r: RecurringCandidate): string {
  return (
    `${r.detector}: ${r.account_id} ${r.account_name}, as-of ${r.as_of}: ${money(r.recent_avg_daily_usd)}/day, ` +
    `a month earlier ${money(r.month_earlier_avg_daily_usd)}/day`
  );
}
