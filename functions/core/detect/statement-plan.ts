/**
 * The ordered list of statements a detection run sends (docs/architecture.md, docs/detection.md, docs/cli.md): coverage, staging
 * (DuckDB: temp tables; Athena and Trino: the run's CTAS tables, dropped at its end), one statement
 * per detector, and the context of what fired. `runDetection` sends these; `sentinel sql` prints them,
 * so the printed text is the text an engine receives.
 */
import type { SentinelConfig } from '../config.js';
import { addDays, daysBetween, monthEnd, monthStart, previousMonth } from '../dates.js';
import { ConfigError } from '../errors.js';
import type { DetectorId, IsoDate } from '../types.js';
import { findingWindows } from './findings.js';
import { detectorOf } from './registry.js';
import {
  type ContextRequest,
  contextSql,
  coverageSql,
  type DetectorStatementInput,
  deliveriesSql,
  detectorSql,
  dropTableSql,
  exportBoundsSql,
  type FocusTable,
  missingDaysSql,
  pricesStatementSql,
  type StagingTables,
  seriesStart,
  stagingMode,
  stagingShape,
  stagingSql,
  stagingTable,
} from './statement-sql.js';
import type { DataWindow } from './windows.js';

export type StatementStep =
  | 'staging-tables'
  | 'drop-stale'
  | 'staging'
  | 'coverage'
  | 'export-bounds'
  | 'missing-days'
  | 'deliveries'
  | 'unit-check'
  | 'detector'
  | 'context'
  | 'prices'
  | 'drop';

export interface PlannedStatement {
  step: StatementStep;
  /** Short name, used as the engine's label and in error messages. */
  label: string;
  /** What the statement is, one line, for the printed comment. */
  description: string;
  sql: string;
  /** A query whose rows the run reads (true), or a statement it only executes (CREATE TABLE). */
  returnsRows: boolean;
}

/**
 * Staging, the run's one read of the export (docs/architecture.md "one scan per run"): every row of the billing
 * periods the data window touches, classified (inference, compute, other) and grouped, created once
 * per run — a CTAS into the run's own table on Athena and Trino, a table of its in-memory database on DuckDB — and read by
 * every statement after it. Empty where staging is a CTE of each statement (`--inline`).
 */
export function stagingStatements(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
): PlannedStatement[] {
  if (stagingMode(focus) !== 'tables') return [];
  const span = `${window.start} … ${window.end}, billing periods ${window.periods.join(', ')}`;
  const tables = focus.stagingTables;
  const create = tables
    ? `CREATE TABLE ${tables.staging} WITH (format = 'PARQUET') AS`
    : // A table of the process's in-memory database, not a TEMP one: the statements sent at once read it
      // from connections of their own (run-detection.ts).
      `CREATE OR REPLACE TABLE ${stagingTable(focus)} AS`;
  const once = tables
    ? 'created once per run (CTAS), read by every statement after it'
    : 'materialized once per run';
  const rows = `Bedrock inference cost and tokens per account, model, token class and day, compute spend per account and day (${span})`;
  return [
    {
      step: 'staging',
      label: 'staging',
      description:
        stagingShape(focus) === 'one-scan'
          ? `staging, the run's one read of the export: ${rows}, and every other row per day for coverage; ${once}`
          : `staging, the rows the detectors read: ${rows}; ${once} (coverage reads its few columns of the export itself)`,
      sql: `${create}\n${stagingSql(focus, config, window, true)}`,
      returnsRows: false,
    },
  ];
}

export function coverageStatement(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
): PlannedStatement {
  const from =
    stagingMode(focus) !== 'tables'
      ? 'staging as its sub-query'
      : stagingShape(focus) === 'one-scan'
        ? 'read from staging'
        : 'read from the export (billing period, day, category, account and cost columns) while staging is made';
  // DuckDB's coverage does not read staging: the unit check counts unknown token units on every run.
  const units = stagingShape(focus) === 'detector-rows' ? '' : ', unknown token units';
  return {
    step: 'coverage',
    label: 'coverage',
    description: `coverage: first and newest charge day in billing periods ${window.periods.join(', ')} (staleness, the export's first covered day), rows without an account or a cost, delivery folders${units}; ${from}`,
    sql: coverageSql(focus, config, window),
    returnsRows: true,
  };
}

/** Token rows whose unit is unknown, run when coverage counts some, on DuckDB every run (counted as single tokens). */
export function unitCheckStatement(focus: FocusTable): PlannedStatement {
  return {
    step: 'unit-check',
    label: 'unit check',
    description: 'unit check: token rows whose unit is unknown (counted as single tokens, one warning each)',
    sql: `SELECT unknown_unit, sum(row_count) AS row_count FROM ${stagingTable(focus)} WHERE kind = 'inference' AND unknown_unit IS NOT NULL GROUP BY unknown_unit ORDER BY unknown_unit`,
    returnsRows: true,
  };
}

/** The run's last statement on Athena and Trino: its staging table dropped (none on DuckDB). */
export function dropStatements(focus: FocusTable): PlannedStatement[] {
  const tables = focus.stagingTables;
  if (!tables || stagingMode(focus) !== 'tables') return [];
  return [
    {
      step: 'drop' as const,
      label: 'drop staging',
      description: `drop ${tables.staging} (its data expires by the result location's lifecycle rule)`,
      sql: dropTableSql(focus, tables.schema, tables.table),
      returnsRows: false,
    },
  ];
}

/** The export's first covered day and newest charge over every period (for a bad as-of day's message). */
export function exportBoundsStatement(focus: FocusTable, config: SentinelConfig): PlannedStatement {
  return {
    step: 'export-bounds',
    label: 'export bounds',
    description:
      "export bounds: the export's first covered day and newest charge over every billing period, so a bad as-of day is named with them",
    sql: exportBoundsSql(focus, config),
    returnsRows: true,
  };
}

/** The days of a span on which the export has no charge at all (a missing delivery). */
export function missingDaysStatement(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  span: { start: IsoDate; end: IsoDate },
): PlannedStatement {
  return {
    step: 'missing-days',
    label: 'missing days',
    description: `missing days: the days of ${span.start} … ${span.end} without any charge (they would count as zero spend)`,
    sql: missingDaysSql(focus, config, window, span),
    returnsRows: true,
  };
}

/** The delivery folders of each period staging read (more than one sums rows twice). */
export function deliveriesStatement(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
): PlannedStatement {
  return {
    step: 'deliveries',
    label: 'deliveries',
    description: 'delivery folders: each billing period read from more than one folder is named',
    sql: deliveriesSql(focus, config, window),
    returnsRows: true,
  };
}

/** Athena and Trino: the staging tables in the staging schema (a crashed run's are dropped). */
export function stagingTablesStatement(schema: string): PlannedStatement {
  return {
    step: 'staging-tables',
    label: 'staging tables',
    description: `staging tables: the run's own and earlier runs' in ${schema} (a crashed run's, older than ${STALE_STAGING_MS / 60_000} minutes, are dropped)`,
    sql: stagingTablesListSql(schema),
    returnsRows: true,
  };
}

/** Drops a crashed run's staging table. */
export function dropStaleStatement(focus: FocusTable, schema: string, table: string): PlannedStatement {
  return {
    step: 'drop-stale',
    label: 'drop stale staging',
    description: `drop a crashed run's staging table ${table}`,
    sql: dropTableSql(focus, schema, table),
    returnsRows: false,
  };
}

/** A CTAS staging table's name holds its creation time, so a later run can tell a crashed run's. */
export const STAGING_PREFIX = 'sentinel_staging_';
/** A run's tables older than twice the detect function's 900 s timeout belong to a crashed run. */
export const STALE_STAGING_MS = 2 * 900_000;

export function stagingTablesFor(schema: string, at: Date, suffix: string): StagingTables {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const name = `${STAGING_PREFIX}${stamp}_${suffix}`;
  return { schema, table: name, staging: `"${schema}"."${name}"` };
}

/** The creation time in a staging table's name (null: not one of ours; `_compute`: an earlier version's second table). */
export function stagingTableTime(table: string): Date | null {
  const match = /^sentinel_staging_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_[0-9a-f]{8}(_compute)?$/.exec(
    table,
  );
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** Lists the staging tables in the staging schema (a crashed run's are dropped by the next run). */
export function stagingTablesListSql(schema: string): string {
  return `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema.replace(/'/g, "''")}' AND table_name LIKE '${STAGING_PREFIX}%'`;
}

export function detectorStatement(
  detector: DetectorId,
  focus: FocusTable,
  config: SentinelConfig,
  input: DetectorStatementInput,
): PlannedStatement {
  const days = input.asOfStart === input.asOfEnd ? input.asOfStart : `${input.asOfStart} … ${input.asOfEnd}`;
  const staging = stagingMode(focus) === 'ctes' ? ' (staging as its first CTE)' : '';
  return {
    step: 'detector',
    label: detector,
    description: `detector ${detector}${staging}, as-of ${days}`,
    sql: detectorSql(detector, focus, config, input),
    returnsRows: true,
  };
}

export function contextStatement(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  findings: ContextRequest[],
): PlannedStatement {
  const staging = stagingMode(focus) === 'ctes' ? ' (staging as its first CTE)' : '';
  return {
    step: 'context',
    label: 'context',
    description: contextDescription(findings, staging),
    sql: contextSql(focus, config, window, findings),
    returnsRows: true,
  };
}

/** The bill's unit prices for the watch, from staging (docs/watch.md "Prices"). */
export function pricesStatement(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
): PlannedStatement {
  const from = stagingMode(focus) === 'tables' ? 'read from staging' : 'staging as its sub-query';
  return {
    step: 'prices',
    label: 'prices',
    description: `prices for the hourly watch: cost ÷ tokens per account, model key and token class, and across the organization, the bill's model and inference-profile ARNs, and the regions with Bedrock spend (${window.start} … ${window.end}); ${from}; written to prices/latest.json`,
    sql: pricesStatementSql(focus, config, window),
    returnsRows: true,
  };
}

function contextDescription(requests: ContextRequest[], staging: string): string {
  const flagged = requests.filter((r) => r.kind === 'finding').length;
  const series = requests.length - flagged;
  const cases = series > 0 ? `, and the daily series of ${series} live case(s) without one` : '';
  return `context of ${flagged} flagged finding(s)${staging}: breakdowns, daily series, compute spend${cases}`;
}

/** The detector row fields a context request needs. */
export interface FlaggedRow {
  as_of: IsoDate;
  account_id: string;
  model: string | null;
  /** Baseline days the detector counted (fewer than the window where the export starts late). */
  baseline_days_covered: number;
  /** Days of the recent window that fired, where the detector has more than one (cache-miss). */
  recent_days?: number | undefined;
}

/** What the context statement computes for one flagged finding (`ref` ties its rows back). */
export function contextRequest(
  detector: DetectorId,
  config: SentinelConfig,
  row: FlaggedRow,
  ref: string,
  coverage: { windowStart: IsoDate; firstCoveredDay: IsoDate | null },
): ContextRequest {
  const module = detectorOf(detector);
  const windows = module.windows(config);
  const w = findingWindows(module, config, row.as_of, row.recent_days ?? null);
  const last = previousMonth(w.as_of);
  return {
    ref,
    kind: 'finding',
    account_id: row.account_id,
    model: module.subject === 'account-model' ? row.model : null,
    ...w,
    series_start: seriesStart(w.as_of),
    recent_days: row.recent_days ?? windows.recentDays,
    baseline_days: Math.max(1, row.baseline_days_covered),
    rank_by: module.contextRank,
    series_scope: module.allBedrockCharges ? 'bedrock' : 'inference',
    // The month is stated only where the run's data holds last month whole.
    month_known:
      coverage.windowStart <= last.start &&
      (coverage.firstCoveredDay === null || coverage.firstCoveredDay <= last.start),
    month_start: monthStart(w.as_of),
    last_month_start: last.start,
    last_month_end: last.end,
    run_start: addDays(w.as_of, -6),
    days_after: daysBetween(w.as_of, monthEnd(w.as_of)),
  };
}

/**
 * A live case's daily series through an evaluated as-of day, without breakdowns or compute spend
 * (docs/emails.md "The episode"): runaway, the account's Bedrock cost per day; cache-miss, the account ×
 * model's prompt-token cost and tokens per day. Its windows are the series days alone.
 */
export function seriesRequest(
  subject: { detector: DetectorId; account_id: string; model: string | null },
  asOf: IsoDate,
  ref: string,
): ContextRequest {
  const start = seriesStart(asOf);
  const module = detectorOf(subject.detector);
  return {
    ref,
    kind: 'series',
    account_id: subject.account_id,
    model: module.subject === 'account-model' ? subject.model : null,
    recent_start: asOf,
    recent_end: asOf,
    baseline_start: start,
    baseline_end: start,
    series_start: start,
    recent_days: 1,
    baseline_days: 1,
    rank_by: module.contextRank,
    series_scope: module.allBedrockCharges ? 'bedrock' : 'inference',
    month_known: false,
    month_start: asOf,
    last_month_start: asOf,
    last_month_end: asOf,
    run_start: asOf,
    days_after: 0,
  };
}

const baselineDays = (detector: DetectorId, config: SentinelConfig): number => {
  const w = detectorOf(detector).windows(config);
  return w.baselineFar - w.baselineNear + 1;
};

/** Placeholder finding for printing the context statement before any detector has run. */
export const EXAMPLE_FINDING = {
  ref: 'EXAMPLE',
  account_id: '000000000000',
  model: 'EXAMPLE-MODEL',
} as const;

export function exampleContextRequest(
  detector: DetectorId,
  config: SentinelConfig,
  asOf: IsoDate,
): ContextRequest {
  return contextRequest(
    detector,
    config,
    {
      as_of: asOf,
      account_id: EXAMPLE_FINDING.account_id,
      model: EXAMPLE_FINDING.model,
      baseline_days_covered: baselineDays(detector, config),
    },
    EXAMPLE_FINDING.ref,
    { windowStart: previousMonth(asOf).start, firstCoveredDay: null },
  );
}

/** Where the usage type string lives: FOCUS 1.2 `skumeter`, FOCUS 1.0 `x_usagetype`, or either. */
export const USAGE_TYPE_SOURCES = ['skumeter', 'x_usagetype', 'coalesce'] as const;
export type UsageTypeSource = (typeof USAGE_TYPE_SOURCES)[number];

export const usageTypeExpression = (source: UsageTypeSource): string =>
  source === 'coalesce' ? 'coalesce(skumeter, x_usagetype)' : source;

const quoteIdentifier = (name: string): string => `"${name}"`;

/**
 * The FOCUS table on Athena (docs/configuration.md): `focus` names it, `table` or `database.table`; a bare table
 * lives in `athena.database`. Identifiers are double-quoted.
 */
export function athenaFocusTable(
  config: SentinelConfig,
  usageType: UsageTypeSource = 'skumeter',
): FocusTable {
  const { database, table } = focusTableName(config);
  return {
    dialect: 'athena',
    name: `${quoteIdentifier(database)}.${quoteIdentifier(table)}`,
    usageType: usageTypeExpression(usageType),
  };
}

/**
 * The database (Athena) or schema (Trino) and table `focus` names; a bare table lives in
 * `athena.database` or `trino.schema`.
 */
export function focusTableName(config: SentinelConfig): { database: string; table: string } {
  const home = config.engine === 'trino' ? config.trino.schema : config.athena.database;
  const homeKey = config.engine === 'trino' ? 'trino.schema' : 'athena.database';
  const parts = config.focus.split('.');
  const valid = (p: string) => /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(p);
  if (parts.length > 2 || !parts.every(valid)) {
    throw new ConfigError(`focus '${config.focus}' is not an Athena table name`, {
      hint: `with the Athena engine or dialect, set focus (or --focus) to TABLE or DATABASE.TABLE of the FOCUS export (a bare table is looked up in ${homeKey} '${home}')`,
    });
  }
  const [database, table] = parts.length === 2 ? parts : [home, parts[0]!];
  return { database: database!, table: table! };
}
