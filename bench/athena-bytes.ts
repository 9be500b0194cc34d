/**
 * Bytes an Athena run must read, from Parquet metadata: Athena reads the column chunks of the
 * columns a query references, in the partitions it touches, and bills each query at least 10 MB.
 * Row-group pruning by min/max statistics is ignored (export files are not sorted by time or service),
 * so the figures are what a query reads at most; both sides of every comparison are counted the same way.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SentinelConfig } from '../functions/core/config.js';
import { addDays, dayRange, periodsTouched } from '../functions/core/dates.js';
import { BILL_DETECTORS, dataWindow } from '../functions/core/detect/registry.js';
import {
  coverageStatement,
  type PlannedStatement,
  stagingStatements,
  stagingTablesFor,
} from '../functions/core/detect/statement-plan.js';
import {
  computeSql,
  coverageSql,
  type FocusTable,
  stagingSql,
} from '../functions/core/detect/statement-sql.js';
import type { DetectorId, IsoDate } from '../functions/core/types.js';
import { originalQuerySql } from './qb15-original.js';

export const ATHENA_MINIMUM_BYTES = 10 * 1024 * 1024;
export const USD_PER_TB = 5;

export interface ExportLayout {
  /** Compressed bytes per billing period and top-level column. */
  bytes: Map<string, Map<string, number>>;
  rows: number;
  rowsByPeriod: Map<string, number>;
  columns: Set<string>;
  periods: string[];
}

export async function exportLayout(connection: DuckDBConnection, files: string[]): Promise<ExportLayout> {
  const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
  const reader = await connection.runAndReadAll(
    `SELECT file_name, row_group_id, row_group_num_rows, path_in_schema, total_compressed_size
     FROM parquet_metadata([${list}])`,
  );
  const bytes = new Map<string, Map<string, number>>();
  const rowsByPeriod = new Map<string, number>();
  const seenGroups = new Set<string>();
  const columns = new Set<string>();
  for (const row of reader.getRowObjectsJson()) {
    const file = String(row.file_name);
    const period = /BILLING_PERIOD=(\d{4}-\d{2})/i.exec(file)?.[1];
    if (!period) throw new Error(`no BILLING_PERIOD folder in ${file}`);
    const column = String(row.path_in_schema).split(',')[0]!.trim().toLowerCase();
    columns.add(column);
    let perColumn = bytes.get(period);
    if (!perColumn) {
      perColumn = new Map();
      bytes.set(period, perColumn);
    }
    perColumn.set(column, (perColumn.get(column) ?? 0) + Number(row.total_compressed_size));
    const group = `${file}#${String(row.row_group_id)}`;
    if (!seenGroups.has(group)) {
      seenGroups.add(group);
      rowsByPeriod.set(period, (rowsByPeriod.get(period) ?? 0) + Number(row.row_group_num_rows));
    }
  }
  const rows = [...rowsByPeriod.values()].reduce((a, b) => a + b, 0);
  return { bytes, rows, rowsByPeriod, columns, periods: [...bytes.keys()].sort() };
}

/** SQL without comments and with string contents blanked, so only identifiers can match. */
function codeOf(sql: string): string {
  // One pass, left to right: an apostrophe inside a comment opens no string, "--" inside a string no comment.
  return sql.replace(/'(?:[^']|'')*'|--[^\n]*/g, (m) => (m.startsWith('--') ? '' : "''")).toLowerCase();
}

/** FOCUS columns a piece of SQL names (the export's columns that appear as identifiers). */
export function referencedColumns(sql: string, layout: ExportLayout): string[] {
  const words = new Set(codeOf(sql).match(/[a-z_][a-z0-9_]*/g) ?? []);
  return [...layout.columns].filter((c) => words.has(c)).sort();
}

/** One read of the export inside a statement: the sub-query's columns over its periods. */
export interface ExportRead {
  sql: string;
  /** null: every period (no billing_period predicate). */
  periods: string[] | null;
}

export interface StatementBytes {
  name: string;
  columns: string[];
  periods: string[];
  bytes: number;
  billedBytes: number;
}

export function statementBytes(
  name: string,
  reads: ExportRead[],
  layout: ExportLayout,
  excludeColumns: string[] = [],
): StatementBytes {
  let bytes = 0;
  const columns = new Set<string>();
  const periods = new Set<string>();
  for (const read of reads) {
    const cols = referencedColumns(read.sql, layout).filter((c) => !excludeColumns.includes(c));
    for (const c of cols) columns.add(c);
    for (const period of read.periods ?? layout.periods) {
      periods.add(period);
      const perColumn = layout.bytes.get(period);
      for (const c of cols) bytes += perColumn?.get(c) ?? 0;
    }
  }
  return {
    name,
    columns: [...columns].sort(),
    periods: [...periods].sort(),
    bytes,
    billedBytes: Math.max(ATHENA_MINIMUM_BYTES, bytes),
  };
}

/** Every detector over the bill (budget included), as a run has them. */
const DETECTORS: DetectorId[] = [...BILL_DETECTORS];

/**
 * A weekly run's Athena statements over as-of days D−6 … D (both detectors): coverage, each
 * detector (staging as its first CTE, pruned to that detector's window), context (staging with
 * detail columns and compute spend). Reads are the sub-queries the statements embed (statements.ts).
 */
export function weeklyRunStatements(
  focus: FocusTable,
  config: SentinelConfig,
  asOf: IsoDate,
  layout: ExportLayout,
): StatementBytes[] {
  const days = dayRange(addDays(asOf, -6), asOf);
  const runWindow = dataWindow(DETECTORS, config, days);
  const result = [
    statementBytes(
      'coverage',
      [{ sql: coverageSql(focus, config, runWindow), periods: runWindow.periods }],
      layout,
    ),
  ];
  for (const detector of DETECTORS) {
    const window = dataWindow([detector], config, days);
    result.push(
      statementBytes(
        detector,
        [{ sql: stagingSql(focus, config, window, false), periods: window.periods }],
        layout,
      ),
    );
  }
  // The price table reads staging with its detail columns over the run's window.
  result.push(
    statementBytes(
      'prices',
      [{ sql: stagingSql(focus, config, runWindow, true), periods: runWindow.periods }],
      layout,
    ),
  );
  // Context reads the run's window whatever the findings are (their list only filters rows).
  result.push(
    statementBytes(
      'context',
      [
        { sql: stagingSql(focus, config, runWindow, true), periods: runWindow.periods },
        { sql: computeSql(focus, config, runWindow), periods: runWindow.periods },
      ],
      layout,
    ),
  );
  return result;
}

/** The billing periods a statement's `billing_period IN (…)` predicate names (null: none, every period). */
export function prunedPeriods(sql: string): string[] | null {
  const list = /billing_period\s+IN\s*\(([^)]*)\)/i.exec(sql)?.[1];
  if (list === undefined) return null;
  return [...list.matchAll(/'(\d{4}-\d{2})'/g)].map((m) => m[1]!);
}

/**
 * The weekly run as built on Athena (docs/architecture.md "one scan per run"): the statements `runDetection`
 * sends for as-of days D−6 … D with both detectors, taken from the same statement plan. A statement
 * that names the FOCUS table reads the columns it references in the periods its `billing_period`
 * predicate names; the others read the run's small staging table and are billed Athena's 10 MB
 * minimum: the staging-table listing (information_schema), coverage, each detector, the context.
 * DROP TABLE is DDL (not billed); the missing-days, deliveries and unit-check statements run only
 * when coverage finds something to name.
 */
export function builtRunStatements(
  focus: FocusTable,
  config: SentinelConfig,
  asOf: IsoDate,
  layout: ExportLayout,
): StatementBytes[] {
  const days = dayRange(addDays(asOf, -6), asOf);
  const window = dataWindow(DETECTORS, config, days);
  const run: FocusTable = {
    ...focus,
    stagingSchema: 'sentinel',
    staging: 'tables',
    stagingTables: stagingTablesFor('sentinel', new Date(`${asOf}T06:00:00Z`), '00000000'),
  };
  const plan: PlannedStatement[] = [
    ...stagingStatements(run, config, window),
    coverageStatement(run, config, window),
  ];
  const sent = plan.map((s) =>
    s.sql.includes(focus.name)
      ? statementBytes(s.label, [{ sql: s.sql, periods: prunedPeriods(s.sql) }], layout)
      : smallStatement(s.label, 'the staging table'),
  );
  return [
    smallStatement('staging tables', 'information_schema'),
    ...sent,
    ...DETECTORS.map((d) => smallStatement(d, 'the staging table')),
    smallStatement('context', 'the staging table'),
    // The watch's price table (sql/prices.sql, prices/latest.json) reads the same staging table.
    smallStatement('prices', 'the staging table'),
  ];
}

/** The original QB15 query as written: no billing_period predicate, its own columns. */
export function originalStatement(focus: FocusTable, asOf: IsoDate, layout: ExportLayout): StatementBytes {
  const sql = originalQuerySql(focus, { asOfStart: asOf, asOfEnd: asOf, asIntended: false });
  return statementBytes('original (QB15 as written)', [{ sql, periods: null }], layout);
}

/**
 * An incremental design: each run reads only the periods holding new or restated export days
 * (the week since the last run plus `restatedDays` AWS may still revise) into daily aggregates;
 * detectors and context read the aggregates.
 */
export function incrementalRun(
  focus: FocusTable,
  config: SentinelConfig,
  asOf: IsoDate,
  layout: ExportLayout,
  restatedDays = 14,
  /** What-if: columns the scan would not need under a changed population rule. */
  excludeColumns: string[] = [],
): StatementBytes[] {
  const from = addDays(asOf, -(6 + restatedDays));
  const window = { start: from, end: asOf, periods: periodsTouched(from, asOf) };
  const scan = statementBytes(
    `new days ${from} … ${asOf} into daily aggregates`,
    [
      {
        sql: `${stagingSql(focus, config, window, true)}\n${computeSql(focus, config, window)}\n${coverageSql(focus, config, window)}`,
        periods: window.periods,
      },
    ],
    layout,
    excludeColumns,
  );
  return [scan, ...[...DETECTORS, 'context', 'prices'].map((name) => smallStatement(name))];
}

function smallStatement(name: string, over = 'the aggregates'): StatementBytes {
  return {
    name: `${name} over ${over}`,
    columns: [],
    periods: [],
    bytes: 0,
    billedBytes: ATHENA_MINIMUM_BYTES,
  };
}

export const sumBilled = (statements: StatementBytes[]) => statements.reduce((a, s) => a + s.billedBytes, 0);
export const sumBytes = (statements: StatementBytes[]) => statements.reduce((a, s) => a + s.bytes, 0);

/**
 * Billed bytes at another export size, scaling each statement's bytes per export row (same months,
 * same widths), then applying the 10 MB minimum per statement.
 */
export function billedAtRows(statements: StatementBytes[], layoutRows: number, rows: number): number {
  return statements.reduce((a, s) => a + Math.max(ATHENA_MINIMUM_BYTES, (s.bytes / layoutRows) * rows), 0);
}

export const usdOf = (bytes: number) => (bytes / 1e12) * USD_PER_TB;
