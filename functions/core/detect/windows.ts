/**
 * Windows and data windows (docs/detection.md "Input" to "Cache miss"); each detector's own windows
 * come from its module (registry.ts), derived from configuration. On a dense daily series a window "N days back" is a frame of N rows back, so each window is a pair of
 * PRECEDING offsets from the as-of day D.
 */
import { addDays, periodsTouched } from '../dates.js';
import type { IsoDate } from '../types.js';

export interface DetectorWindows {
  recentDays: number;
  /** Recent window D−recentPreceding … D. */
  recentPreceding: number;
  /** Baseline window D−baselineFar … D−baselineNear. */
  baselineNear: number;
  baselineFar: number;
  /** The data window reaches this many days before D (D−lookback … D). */
  lookback: number;
  /** Where the window must start for D when that is a calendar day, not a day count (a budget's last month). */
  dataStart?: (asOf: IsoDate) => IsoDate;
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

/** The data window of some detectors' windows over as-of days: every statement prunes to its periods. */
export function dataWindowOf(windows: DetectorWindows[], asOfDays: IsoDate[]): DataWindow {
  if (asOfDays.length === 0) throw new Error('a data window needs at least one as-of day');
  const first = asOfDays[0]!;
  const last = asOfDays[asOfDays.length - 1]!;
  const starts = windows.map((w) => {
    const byCount = addDays(first, -w.lookback);
    const byCalendar = w.dataStart?.(first);
    return byCalendar !== undefined && byCalendar < byCount ? byCalendar : byCount;
  });
  const start = starts.sort()[0]!;
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
