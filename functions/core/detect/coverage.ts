/**
 * What the export covers in a run's data window (docs/detection.md "Input" and "As-of days"): the first and newest charge day
 * (staleness, the export's first covered day), rows without an account or a cost, days with no
 * charge at all (a missing delivery), and token rows with an unknown unit. Each becomes a warning
 * or a field of the run; nothing here is silent.
 */
import type { SentinelConfig } from '../config.js';
import { daysBetween, earlierDay, laterDay } from '../dates.js';
import { BadInputError } from '../errors.js';
import type { QueryEngine } from '../ports.js';
import type { IsoDate } from '../types.js';
import { num, str } from './row-values.js';
import { coverageStatement, type PlannedStatement } from './statement-plan.js';
import { deliveriesSql, exportBoundsSql, type FocusTable, missingDaysSql } from './statement-sql.js';
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
  /** Distinct unknown token units among the inference rows (named by the unit check). */
  unknownUnits: number;
}

export async function readCoverage(
  engine: QueryEngine,
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
): Promise<Coverage> {
  const statement = coverageStatement(focus, config, window);
  const [row] = await engine.query(statement.sql, { label: statement.label });
  return {
    firstChargeDay: str(row?.first_charge_day),
    lastChargeDay: str(row?.last_charge_day),
    rowCount: num(row?.row_count),
    nullAccountRows: num(row?.null_account_rows),
    nullCostRows: num(row?.null_cost_rows),
    windowDaysWithCharges: num(row?.window_days_with_charges),
    extraDeliveries: num(row?.extra_deliveries),
    unknownUnits: num(row?.unknown_units),
  };
}

/** The export's first covered day and newest charge over every period it holds. */
export async function readExportBounds(
  engine: QueryEngine,
  focus: FocusTable,
  config: SentinelConfig,
): Promise<{ firstChargeDay: IsoDate | null; lastChargeDay: IsoDate | null }> {
  const [row] = await engine.query(exportBoundsSql(focus, config), { label: 'export bounds' });
  return { firstChargeDay: str(row?.first_charge_day), lastChargeDay: str(row?.last_charge_day) };
}

/**
 * As-of days after today, or before the export's first covered day, are bad input (exit 2), not
 * stale data: the message names the export's first covered day and newest charge (docs/cli.md).
 */
export async function checkAsOfDaysInExport(
  ports: { engine: QueryEngine; focus: FocusTable },
  config: SentinelConfig,
  input: { asOfDays: IsoDate[]; today: IsoDate; coverage: Coverage },
): Promise<void> {
  const { asOfDays, today, coverage } = input;
  const first = asOfDays[0];
  if (first === undefined) return;
  const future = asOfDays.filter((d) => d > today);
  const mayPrecede = coverage.firstChargeDay === null || first < coverage.firstChargeDay;
  if (future.length === 0 && !mayPrecede) return;
  const bounds = await readExportBounds(ports.engine, ports.focus, config);
  if (bounds.firstChargeDay === null) return; // no usage at all: reported as stale, as before
  const early = asOfDays.filter((d) => d < bounds.firstChargeDay!);
  if (future.length === 0 && early.length === 0) return;
  const covers = `the export covers ${bounds.firstChargeDay} (first covered day) … ${bounds.lastChargeDay} (newest charge)`;
  const named = (days: IsoDate[]) => (days.length === 1 ? days[0] : `${days[0]} … ${days.at(-1)}`);
  const problem =
    future.length > 0
      ? `as-of ${named(future)} is after today (${today})`
      : `as-of ${named(early)} is before the export began`;
  throw new BadInputError(`${problem}: ${covers}`, {
    hint: `pick as-of days from ${bounds.firstChargeDay} to ${bounds.lastChargeDay} (--as-of, or --from/--to)`,
  });
}

/**
 * Never silent when data is missing: a day of the window with no charge at all (any service) is a
 * missing delivery. It would count as zero spend, so name it.
 */
export async function warnMissingDays(
  ports: { engine: QueryEngine; focus: FocusTable },
  config: SentinelConfig,
  window: DataWindow,
  coverage: Coverage,
  warn: (m: string) => void,
): Promise<void> {
  if (!coverage.firstChargeDay || !coverage.lastChargeDay) return;
  const start = laterDay(coverage.firstChargeDay, window.start);
  const end = earlierDay(coverage.lastChargeDay, window.end);
  if (start > end || coverage.windowDaysWithCharges >= daysBetween(start, end) + 1) return;
  const rows = await ports.engine.query(missingDaysSql(ports.focus, config, window, { start, end }), {
    label: 'missing days',
  });
  const days = rows.map((r) => String(r.day));
  if (days.length === 0) return;
  const named =
    days.length > 10 ? `${days.slice(0, 10).join(', ')} and ${days.length - 10} more` : days.join(', ');
  warn(
    `the export has no charge at all on ${named}: a delivery may be missing, and those days count as zero spend; rerun when the data arrives`,
  );
}

/**
 * A billing period read from more than one delivery folder (the export is set to create new files
 * instead of overwriting): Athena reads every file below the period, so its rows are summed more
 * than once. Never silent (docs/detection.md "Input"): name the folders and the fix.
 */
export async function warnExtraDeliveries(
  ports: { engine: QueryEngine; focus: FocusTable },
  config: SentinelConfig,
  window: DataWindow,
  coverage: Coverage,
  warn: (m: string) => void,
): Promise<void> {
  if (coverage.extraDeliveries <= 0) return;
  const rows = await ports.engine.query(deliveriesSql(ports.focus, config, window), { label: 'deliveries' });
  const byPeriod = new Map<string, string[]>();
  for (const row of rows) {
    const period = String(row.billing_period);
    byPeriod.set(period, [
      ...(byPeriod.get(period) ?? []),
      `${String(row.delivery)} (${num(row.row_count)} rows)`,
    ]);
  }
  for (const [period, folders] of byPeriod) {
    if (folders.length < 2) continue;
    warn(
      `billing period ${period} is read from ${folders.length} delivery folders: ${folders.join(', ')}; their rows are summed more than once — set the export to overwrite (DEPLOY.md) and delete the older deliveries`,
    );
  }
}

export async function warnUnknownUnits(
  engine: QueryEngine,
  statement: PlannedStatement,
  coverage: Coverage,
  warn: (m: string) => void,
): Promise<void> {
  if (coverage.unknownUnits <= 0) return;
  const rows = await engine.query(statement.sql, { label: statement.label });
  for (const row of rows) {
    warn(`token rows with unknown unit '${String(row.unknown_unit)}' were counted as single tokens`);
  }
}
