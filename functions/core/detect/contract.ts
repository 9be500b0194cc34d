/**
 * What a detection run takes and returns. `detect`, `run` and the scheduled Lambda all call
 * runDetection (functions/core/detect/run-detection.ts) with this request.
 */
import type { Logger } from '../log.js';
import type { BlobStore, EngineName, EventBus, QueryEngine, QueryStats } from '../ports.js';
import type { DetectorId, Finding, IsoDate, RunCommand } from '../types.js';
import type { FocusTable } from './statements.js';

export interface DetectRequest {
  /** The as-of days to evaluate, ascending, already chosen by the caller (explicit range or catch-up). */
  asOfDays: IsoDate[];
  detectors: DetectorId[];
  runId: string;
  command: RunCommand;
  dryRun: boolean;
  /** Accounts with a runaway case answered `stopped` in the last 45 days: no recurring exemption (SPEC §4). */
  recurringExemptionOff: string[];
}

export interface SkippedDay {
  detector: DetectorId;
  as_of: IsoDate;
  reason: string;
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
  /** Candidates held back by the recurring-pattern rule, per detector kind. */
  recurringCandidates: number;
  /** Cache-miss candidates not raised because no input price could be derived. */
  unpricedCandidates: number;
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
    unpricedCandidates: 0,
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
 * Detection by findings already computed: each requested day evaluated, its findings returned.
 * The demo hands its detect step's findings to the case step this way; tests inject findings.
 */
export function fixedDetection(findings: Finding[]): DetectFn {
  return async (request) => ({
    ...emptyDetectResult(),
    findings: findings.filter((f) => request.asOfDays.includes(f.as_of)),
    evaluatedDays: [...request.asOfDays],
    dataThrough: request.asOfDays.at(-1) ?? null,
  });
}
