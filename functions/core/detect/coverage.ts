/**
 * What the export covers in a run's data window (docs/detection.md "Input" and "As-of days"): the first and newest charge day
 * (staleness, the export's first covered day), rows without an account or a cost, days with no
 * charge at all (a missing delivery), and token rows with an unknown unit. Each becomes a warning
 * or a field of the run; nothing here is silent. Pure: the run plan (run-plan.ts) sends the
 * statements and hands their rows here.
 */
import { addDays, daysBetween, earlierDay, laterDay } from '../dates.js';
import { AsOfDayOutOfRangeError } from '../errors.js';
import type { Row } from '../ports.js';
import type { IsoDate } from '../types.js';
import { num, str } from './row-values.js';
import type { DataWindow } from './windows.js';

export interface Coverage {
  firstChargeDay: IsoDate | null;
  lastChargeDay: IsoDate | null;
  rowCount: number;
  nullAccountRows: number;
  nullCostRows: number;
  windowDaysWithCharges: number;
  /** Delivery folders beyond one per billing period (an export set to create new files). */
  extraDeliveries: number;
  /**
   * Distinct unknown token units among the inference rows (named by the unit check); null where
   * coverage does not read staging (DuckDB), and the unit check looks on every run.
   */
  unknownUnits: number | null;
}

export function coverageOf(row: Row | undefined): Coverage {
  return {
    firstChargeDay: str(row?.first_charge_day),
    lastChargeDay: str(row?.last_charge_day),
    rowCount: num(row?.row_count),
    nullAccountRows: num(row?.null_account_rows),
    nullCostRows: num(row?.null_cost_rows),
    windowDaysWithCharges: num(row?.window_days_with_charges),
    extraDeliveries: num(row?.extra_deliveries),
    unknownUnits:
      row?.unknown_units === null || row?.unknown_units === undefined ? null : num(row.unknown_units),
  };
}

/** The fix for a day after the clock: an export from another time (a synthetic one, a copy) needs `--now`. */
function clockHint(future: IsoDate[], today: IsoDate): string {
  const latest = future.at(-1)!;
  return `today is ${today} by the clock; if the export is from another time (a synthetic or copied one), set the clock with --now ${addDays(latest, 1)}T08:00:00Z or later`;
}

/**
 * Days after today by the clock are refused before anything runs or is written (no export needs
 * reading to tell): exit 2 naming `--now`.
 */
export function refuseDaysAfterToday(asOfDays: readonly IsoDate[], today: IsoDate): void {
  const future = asOfDays.filter((d) => d > today);
  if (future.length === 0) return;
  const named = future.length === 1 ? future[0] : `${future[0]} … ${future.at(-1)} (${future.length} days)`;
  throw new AsOfDayOutOfRangeError(`as-of ${named} is after today (${today}): no export can cover it yet`, {
    hint: `${clockHint(future, today)}; or pick as-of days up to ${today}`,
  });
}

/**
 * As-of days after today, or before the export's first covered day, are bad input (exit 2), not
 * stale data. Whether the export's bounds must be read to tell (they are read only then).
 */
export function needsExportBounds(asOfDays: IsoDate[], today: IsoDate, coverage: Coverage): boolean {
  const first = asOfDays[0];
  if (first === undefined) return false;
  const future = asOfDays.some((d) => d > today);
  const mayPrecede = coverage.firstChargeDay === null || first < coverage.firstChargeDay;
  return future || mayPrecede;
}

/** Throws the bad-input error naming the export's first covered day and newest charge (docs/cli.md). */
export function checkAsOfDaysInExport(asOfDays: IsoDate[], today: IsoDate, boundsRow: Row | undefined): void {
  const bounds = {
    firstChargeDay: str(boundsRow?.first_charge_day),
    lastChargeDay: str(boundsRow?.last_charge_day),
  };
  if (bounds.firstChargeDay === null) return; // no usage at all: reported as stale, as before
  const future = asOfDays.filter((d) => d > today);
  const early = asOfDays.filter((d) => d < bounds.firstChargeDay!);
  if (future.length === 0 && early.length === 0) return;
  const covers = `the export covers ${bounds.firstChargeDay} (first covered day) … ${bounds.lastChargeDay} (newest charge)`;
  const named = (days: IsoDate[]) => (days.length === 1 ? days[0] : `${days[0]} … ${days.at(-1)}`);
  if (future.length > 0) {
    // The range offered never holds the refused day: it ends today, by the clock.
    const last = earlierDay(bounds.lastChargeDay ?? today, today);
    throw new AsOfDayOutOfRangeError(`as-of ${named(future)} is after today (${today}): ${covers}`, {
      hint: `${clockHint(future, today)}; or pick as-of days from ${bounds.firstChargeDay} to ${last}`,
    });
  }
  throw new AsOfDayOutOfRangeError(`as-of ${named(early)} is before the export began: ${covers}`, {
    hint: `pick as-of days from ${bounds.firstChargeDay} to ${earlierDay(bounds.lastChargeDay ?? today, today)} (--as-of, or --from/--to)`,
  });
}

/**
 * Never silent when data is missing: a day of the window with no charge at all (any service) is a
 * missing delivery. The span to look in, when coverage counts fewer charge days than it holds.
 */
export function missingDaysSpan(
  window: DataWindow,
  coverage: Coverage,
): { start: IsoDate; end: IsoDate } | null {
  if (!coverage.firstChargeDay || !coverage.lastChargeDay) return null;
  const start = laterDay(coverage.firstChargeDay, window.start);
  const end = earlierDay(coverage.lastChargeDay, window.end);
  if (start > end || coverage.windowDaysWithCharges >= daysBetween(start, end) + 1) return null;
  return { start, end };
}

/** The warning naming the days without any charge (they would count as zero spend). */
export function missingDaysWarning(rows: Row[]): string | null {
  const days = rows.map((r) => String(r.day));
  if (days.length === 0) return null;
  const named =
    days.length > 10 ? `${days.slice(0, 10).join(', ')} and ${days.length - 10} more` : days.join(', ');
  return `the export has no charge at all on ${named}: a delivery may be missing, and those days count as zero spend; rerun when the data arrives`;
}

/**
 * A billing period read from more than one delivery folder (the export is set to create new files
 * instead of overwriting): Athena reads every file below the period, so its rows are summed more
 * than once. Never silent (docs/detection.md "Input"): name the folders and the fix.
 */
export function extraDeliveryWarnings(rows: Row[]): string[] {
  const byPeriod = new Map<string, string[]>();
  for (const row of rows) {
    const period = String(row.billing_period);
    byPeriod.set(period, [
      ...(byPeriod.get(period) ?? []),
      `${String(row.delivery)} (${num(row.row_count)} rows)`,
    ]);
  }
  const warnings: string[] = [];
  for (const [period, folders] of byPeriod) {
    if (folders.length < 2) continue;
    warnings.push(
      `billing period ${period} is read from ${folders.length} delivery folders: ${folders.join(', ')}; their rows are summed more than once — set the export to overwrite (DEPLOY.md) and delete the older deliveries`,
    );
  }
  return warnings;
}

/** One warning per unknown token unit (those rows were counted as single tokens, never dropped). */
export const unknownUnitWarnings = (rows: Row[]): string[] =>
  rows.map(
    (row) => `token rows with unknown unit '${String(row.unknown_unit)}' were counted as single tokens`,
  );
