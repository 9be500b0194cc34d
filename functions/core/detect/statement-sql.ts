/**
 * The SQL text of each statement a detection run sends, rendered from sql/ for one dialect (the
 * order and the CTAS/DROP around them are in statement-plan.ts; the days and windows in
 * windows.ts). Staging is read from the run's tables — DuckDB's temp tables, or the CTAS tables of
 * an Athena or Trino run — or, with `sentinel sql --inline`, is the first CTE of each statement.
 */
import type { SentinelConfig } from '../config.js';
import { addDays } from '../dates.js';
import type { Dialect } from '../sql/dialect.js';
import { renderSql } from '../sql/render.js';
import type { DetectorId, IsoDate } from '../types.js';
import type { DetectorStatementInput } from './detector.js';
import { SERIES_DAYS } from './findings.js';
import { dataWindow, detectorOf } from './registry.js';
import type { DataWindow } from './windows.js';

export type { DetectorStatementInput };
export { SERIES_DAYS };

/** Where and how to read the FOCUS table. */
export interface FocusTable {
  dialect: Dialect;
  /** `focus` (DuckDB view over the files) or `"database"."table"` (Athena). */
  name: string;
  /** SQL expression of the usage type: coalesce over whichever of skumeter / x_usagetype exist. */
  usageType: string;
  /**
   * How statements reach the staged rows: `tables` materialized once per run (DuckDB's default) or
   * `ctes`, the staging query as the first CTE of each statement (Athena's default; on DuckDB it
   * renders the Athena statements' shape, which the dialect tests run).
   */
  staging?: StagingMode;
  /**
   * Athena and Trino, one scan per run (docs/architecture.md): the run's staging tables, created by CTAS and
   * dropped at the end; without them (DuckDB) `tables` are the session's temp tables.
   */
  stagingTables?: StagingTables;
  /**
   * Where a run on Athena or Trino creates its staging tables (`athena.sentinel_database`,
   * `trino.sentinel_schema`); runDetection names them per run and drops them at its end.
   */
  stagingSchema?: string;
  /**
   * How DDL (`DROP TABLE`) names a table: Athena runs DDL through Hive's grammar, which takes
   * backticks (`hive`); Trino, and Athena's queries and CTAS, take double quotes (`trino`, the default).
   */
  ddl?: DdlQuoting;
}

export type DdlQuoting = 'hive' | 'trino';

export type StagingMode = 'tables' | 'ctes';

/** The fully qualified name of one run's CTAS staging table (`"sentinel"."sentinel_staging_…"`). */
export interface StagingTables {
  /** The database (Athena) or schema (Trino) it lives in, unquoted. */
  schema: string;
  /** The table's own name, unquoted. */
  table: string;
  staging: string;
}

/** `DROP TABLE IF EXISTS` of one table, quoted as the engine's DDL grammar takes it. */
export function dropTableSql(focus: FocusTable, schema: string, table: string): string {
  const quote = focus.ddl === 'hive' ? (n: string) => `\`${n}\`` : (n: string) => `"${n}"`;
  return `DROP TABLE IF EXISTS ${quote(schema)}.${quote(table)}`;
}

export const stagingMode = (focus: FocusTable): StagingMode =>
  focus.staging ?? (focus.dialect === 'duckdb' ? 'tables' : 'ctes');

/**
 * The shape of a run's staging, chosen by its engine (docs/architecture.md "one scan per run"): Athena
 * and Trino bill the bytes a statement scans, so staging keeps every row of the periods it reads and
 * coverage counts them from it (`one-scan`); DuckDB pays for decoding and classifying rows, not bytes,
 * so its temp table keeps only the rows a detector reads and coverage reads a few columns of the
 * export itself (`detector-rows`). Both give the same findings (the Trino agreement tests).
 */
export type StagingShape = 'one-scan' | 'detector-rows';

export const stagingShape = (focus: FocusTable): StagingShape =>
  focus.dialect === 'duckdb' && stagingMode(focus) === 'tables' && !focus.stagingTables
    ? 'detector-rows'
    : 'one-scan';

/** DuckDB's temp table of a run's staging (Athena and Trino: the run's CTAS table). */
export const STAGING_TABLE = 'run_staging';

export const BREAKDOWN_TOP_N = 10;

function base(focus: FocusTable, config: SentinelConfig) {
  return {
    focus_table: focus.name,
    cost_column: config.cost_column,
    usage_type: focus.usageType,
    tag_keys: config.tag_keys,
  };
}

/** The run's staging relation in tables mode: its CTAS table (Athena, Trino) or DuckDB's temp table. */
export const stagingTable = (focus: FocusTable): string => focus.stagingTables?.staging ?? STAGING_TABLE;

/**
 * How a statement over staging reaches it: the run's staging table, or (no table yet, `--inline`,
 * or a statement run on its own) the staging query itself as a sub-query.
 */
function stagingRelation(focus: FocusTable, config: SentinelConfig, window: DataWindow, detail: boolean) {
  if (stagingMode(focus) === 'tables') return stagingTable(focus);
  return `(\n${indent(stagingSql(focus, config, window, detail))}\n) AS staging`;
}

/**
 * Coverage of the data window from staging (staleness, the export's first covered day, rows without
 * an account or a cost, delivery folders): no read of the export of its own.
 */
export function coverageSql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('coverage', focus.dialect, {
    staging: stagingRelation(focus, config, window, false),
    coverage_rows: coverageRelation(focus, config, window),
    split: stagingShape(focus) === 'detector-rows',
    window_start: window.start,
    window_end: window.end,
  });
}

/**
 * The bill's unit prices for the hourly watch (sql/prices.sql, docs/watch.md "Prices"), from staging over
 * the run's data window: one more statement on the staging table, never a second read of the export.
 */
export function pricesStatementSql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('prices', focus.dialect, {
    staging: stagingRelation(focus, config, window, true),
    price_start: window.start,
    price_end: window.end,
  });
}

/** The delivery folders of each period staging read (run only when coverage counts more than one). */
export function deliveriesSql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('deliveries', focus.dialect, { coverage_rows: coverageRelation(focus, config, window) });
}

/**
 * The rows coverage counts, per period, delivery folder and day: staging's own rows (one scan), or on
 * DuckDB a narrow read of the export (coverage-rows.sql), since its staging keeps only detector rows.
 */
function coverageRelation(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  if (stagingShape(focus) === 'one-scan') return stagingRelation(focus, config, window, false);
  return `(\n${indent(coverageRowsSql(focus, config, window))}\n) AS coverage_rows`;
}

/** coverage-rows.sql: the export's rows per period, delivery folder and day (DuckDB's coverage input). */
export function coverageRowsSql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('coverage-rows', focus.dialect, { ...base(focus, config), periods: window.periods });
}

/** The export's first covered day (Usage rows) and newest charge over every period (docs/cli.md errors). */
export function exportBoundsSql(focus: FocusTable, config: SentinelConfig): string {
  return renderSql('export-bounds', focus.dialect, base(focus, config));
}

/** The one read of the export per run: every row of the touched periods, classified (staging.sql). */
export function stagingSql(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  detail: boolean,
): string {
  return renderSql('staging', focus.dialect, {
    ...base(focus, config),
    periods: window.periods,
    window_start: window.start,
    window_end: window.end,
    window_after: addDays(window.end, 1),
    coverage_rows: stagingShape(focus) === 'one-scan',
    detail,
  });
}

/** Staging's inference rows (staged-inference.sql), over the run's staging table or the staging query. */
export function stagedInferenceSql(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  detail: boolean,
): string {
  return renderSql('staged-inference', focus.dialect, {
    staging: stagingRelation(focus, config, window, detail),
    tag_keys: config.tag_keys,
    detail,
  });
}

/** The days of the data window on which the export has no charge at all (run only when some are missing). */
export function missingDaysSql(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  span: { start: IsoDate; end: IsoDate },
): string {
  return renderSql('missing-days', focus.dialect, {
    coverage_rows: coverageRelation(focus, config, window),
    span_start: span.start,
    span_end: span.end,
  });
}

/** Staging's compute rows per account and day (compute-daily.sql). */
export function computeSql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('compute-daily', focus.dialect, {
    staging: stagingRelation(focus, config, window, false),
  });
}

const indent = (sql: string) =>
  sql
    .trimEnd()
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');

/** Every Bedrock charge per account and day (bedrock-daily.sql), over staging. */
export function bedrockDailySql(focus: FocusTable, config: SentinelConfig, window: DataWindow): string {
  return renderSql('bedrock-daily', focus.dialect, {
    staging: stagingRelation(focus, config, window, false),
  });
}

/**
 * How a detector or the context statement reaches staging: its inference rows (`staged`), compute
 * rows (`compute`), every Bedrock charge per day (`bedrock`) and staging itself (`staging`) — sub-queries
 * over the run's staging table, or (`--inline`) CTEs whose first is the staging query itself.
 */
function stagingRefs(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  needs: { detail: boolean; compute: boolean; bedrock: boolean },
) {
  if (stagingMode(focus) === 'tables') {
    const sub = (sql: string) => `(\n${indent(sql)}\n)`;
    return {
      staging_cte: '',
      compute_cte: '',
      bedrock_cte: '',
      staging: stagingTable(focus),
      staged: sub(stagedInferenceSql(focus, config, window, needs.detail)),
      compute: sub(computeSql(focus, config, window)),
      bedrock: sub(bedrockDailySql(focus, config, window)),
    };
  }
  const inline: FocusTable = {
    ...focus,
    staging: 'tables',
    stagingTables: { schema: '', table: 'staging', staging: 'staging' },
  };
  const staging = `staging AS (\n${indent(stagingSql(focus, config, window, needs.detail))}\n),\n`;
  const staged = `staged AS (\n${indent(stagedInferenceSql(inline, config, window, needs.detail))}\n),\n`;
  const compute = needs.compute ? `compute AS (\n${indent(computeSql(inline, config, window))}\n),\n` : '';
  const bedrock = needs.bedrock
    ? `bedrock AS (\n${indent(bedrockDailySql(inline, config, window))}\n),\n`
    : '';
  return {
    staging_cte: staging + staged,
    compute_cte: compute,
    bedrock_cte: bedrock,
    staging: 'staging',
    staged: 'staged',
    compute: 'compute',
    bedrock: 'bedrock',
  };
}

/** A detector's statement: its query file with its own parameters, over the run's staging (docs/detection.md). */
export function detectorSql(
  detector: DetectorId,
  focus: FocusTable,
  config: SentinelConfig,
  input: DetectorStatementInput,
): string {
  const module = detectorOf(detector);
  const windows = module.windows(config);
  const window = dataWindow([detector], config, [input.asOfStart, input.asOfEnd]);
  const spineStart =
    input.firstCoveredDay && input.firstCoveredDay > window.start ? input.firstCoveredDay : window.start;
  return renderSql(module.sqlFile, focus.dialect, {
    ...stagingRefs(focus, config, window, {
      detail: module.readsStagingDetail,
      compute: false,
      bedrock: module.allBedrockCharges,
    }),
    spine_start: spineStart,
    spine_end: input.asOfEnd,
    as_of_start: input.asOfStart,
    as_of_end: input.asOfEnd,
    recent_days: windows.recentDays,
    recent_preceding: windows.recentPreceding,
    baseline_near: windows.baselineNear,
    baseline_far: windows.baselineFar,
    ...module.sqlParams(config, input),
  });
}

/**
 * What the context statement computes for one request: a flagged finding's whole context
 * (`finding`: breakdowns, daily series, compute spend), or a live case's daily series only
 * (`series`: the days a run records on a case whose key did not fire on the newest day, docs/emails.md).
 */
export type ContextRequestKind = 'finding' | 'series';

/** One finding (or case) whose context the context statement computes. */
export interface ContextRequest {
  ref: string;
  kind: ContextRequestKind;
  account_id: string;
  model: string | null;
  recent_start: IsoDate;
  recent_end: IsoDate;
  baseline_start: IsoDate;
  baseline_end: IsoDate;
  series_start: IsoDate;
  recent_days: number;
  baseline_days: number;
  rank_by: 'increase' | 'uncached_input';
  /** `bedrock`: the series counts every Bedrock charge (a budget's); `inference`: token inference. */
  series_scope: 'inference' | 'bedrock';
  /** The account's month, read where the run covers last month whole (`month_known`). */
  month_known: boolean;
  month_start: IsoDate;
  last_month_start: IsoDate;
  last_month_end: IsoDate;
  run_start: IsoDate;
  days_after: number;
}

export function seriesStart(asOf: IsoDate): IsoDate {
  return addDays(asOf, -(SERIES_DAYS - 1));
}

export function contextSql(
  focus: FocusTable,
  config: SentinelConfig,
  window: DataWindow,
  findings: ContextRequest[],
): string {
  return renderSql('context', focus.dialect, {
    ...stagingRefs(focus, config, window, { detail: true, compute: true, bedrock: true }),
    findings,
    tag_keys: config.tag_keys,
    top_n: BREAKDOWN_TOP_N,
  });
}
