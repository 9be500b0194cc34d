/**
 * Windows and data windows of each detector (docs/detection.md "Input" to "Cache miss"), derived from configuration. On a dense
 * daily series a window "N days back" is a frame of N rows back, so each window is a pair of
 * PRECEDING offsets from the as-of day D.
 */
import type { SentinelConfig } from '../config.js';
import { addDays, periodsTouched } from '../dates.js';
import type { DetectorId, IsoDate } from '../types.js';

/** The recurring look-back: a recent-window mean ending any day of D−34 … D−27 (about a month before). */
export const RECURRING_NEAR_DAYS = 27;
export const RECURRING_FAR_DAYS = 34;

export interface DetectorWindows {
  recentDays: number;
  /** Recent window D−recentPreceding … D. */
  recentPreceding: number;
  /** Baseline window D−baselineFar … D−baselineNear. */
  baselineNear: number;
  baselineFar: number;
  /** The data window reaches this many days before D (D−lookback … D). */
  lookback: number;
}

export function windowsOf(detector: DetectorId, config: SentinelConfig): DetectorWindows {
  if (detector === 'runaway-inference') {
    const c = config.detectors['runaway-inference'];
    const baselineNear = c.recent_days + c.guard_days;
    const baselineFar = baselineNear + c.baseline_days - 1;
    return {
      recentDays: c.recent_days,
      recentPreceding: c.recent_days - 1,
      baselineNear,
      baselineFar,
      // Baseline, plus the recurring look-back's recent windows (ending D−34 at the earliest).
      lookback: Math.max(baselineFar, RECURRING_FAR_DAYS + c.recent_days - 1),
    };
  }
  const c = config.detectors['cache-miss'];
  const baselineFar = c.recent_days + c.baseline_days - 1;
  return {
    recentDays: c.recent_days,
    recentPreceding: c.recent_days - 1,
    baselineNear: c.recent_days,
    baselineFar,
    lookback: baselineFar,
  };
}

export interface AsOfWindows {
  as_of: IsoDate;
  recent_start: IsoDate;
  recent_end: IsoDate;
  baseline_start: IsoDate;
  baseline_end: IsoDate;
}

/** The windows of an as-of day; `recentDays` names a shorter recent window that fired instead. */
export function asOfWindows(windows: DetectorWindows, asOf: IsoDate, recentDays?: number): AsOfWindows {
  return {
    as_of: asOf,
    recent_start: addDays(asOf, -(recentDays === undefined ? windows.recentPreceding : recentDays - 1)),
    recent_end: asOf,
    baseline_start: addDays(asOf, -windows.baselineFar),
    baseline_end: addDays(asOf, -windows.baselineNear),
  };
}

export interface DataWindow {
  start: IsoDate;
  end: IsoDate;
  /** Billing periods the window touches: every statement prunes to these. */
  periods: string[];
}

export function dataWindow(detectors: DetectorId[], config: SentinelConfig, asOfDays: IsoDate[]): DataWindow {
  if (asOfDays.length === 0) throw new Error('dataWindow needs at least one as-of day');
  const first = asOfDays[0]!;
  const last = asOfDays[asOfDays.length - 1]!;
  const lookback = Math.max(...detectors.map((d) => windowsOf(d, config).lookback));
  const start = addDays(first, -lookback);
  return { start, end: last, periods: periodsTouched(start, last) };
}

/** Baseline days of an as-of day that the export covers (days from its first covered day on). */
export function coveredBaselineDays(
  windows: DetectorWindows,
  asOf: IsoDate,
  firstCoveredDay: IsoDate,
): number {
  const { baseline_start, baseline_end } = asOfWindows(windows, asOf);
  const from = baseline_start > firstCoveredDay ? baseline_start : firstCoveredDay;
  if (from > baseline_end) return 0;
  return Math.round((Date.parse(baseline_end) - Date.parse(from)) / 86_400_000) + 1;
}
