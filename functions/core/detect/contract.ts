/**
 * What a detection run takes and returns. `detect`, `run` and the scheduled Lambda all call
 * runDetection (functions/core/detect/run-detection.ts) with this request.
 */
import type { DetectorId, Finding, IsoDate, RunCommand } from '../types.js';

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
