/**
 * Writes FOCUS rows the way AWS Data Exports lays them out in S3, with DuckDB:
 *   <dir>/data/BILLING_PERIOD=YYYY-MM/<exportName>-00001.snappy.parquet
 *   <dir>/metadata/BILLING_PERIOD=YYYY-MM/<exportName>-Manifest.json
 * and, for reader tests, the raw-export (PascalCase) naming, FOCUS 1.0's x_usagetype, TIMESTAMPTZ
 * columns and a CSV flavour (tags as a JSON object string).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import {
  type ColumnNaming,
  type ExportColumn,
  exportColumns,
  type FocusVersion,
  glueType,
  STAGING_COLUMNS,
  type TimestampType,
} from './export-columns.js';
import type { FocusRow } from './focus-row.js';
import { hash32 } from './random.js';

export type { ColumnNaming, FocusVersion, TimestampType } from './export-columns.js';

export interface FocusExportOptions {
  /** Names the files and the S3 folder (default `focus-export`). */
  exportName?: string;
  /** `lowercase` as Glue shows the table (default), `pascal` as the raw export files hold it. */
  columnNaming?: ColumnNaming;
  /** `1.2` puts the usage type in `skumeter` (default); `1.0` in `x_usagetype`. */
  focusVersion?: FocusVersion;
  timestampType?: TimestampType;
  /** Where the export would live in S3, for the manifests' `dataFiles` (default `s3://<bucket>/focus`). */
  s3Prefix?: string;
  /** Write the per-period manifests (default true). */
  manifests?: boolean;
  /** Payer (management) account that owns the export, for the manifests' `exportArn`. */
  payerAccountId?: string;
}

export interface WrittenPeriod {
  billingPeriod: string;
  rows: number;
  dataFile: string;
  manifestFile: string | null;
}

export interface FocusExportSummary {
  dir: string;
  rows: number;
  periods: WrittenPeriod[];
}

export const DEFAULT_EXPORT_NAME = 'focus-export';
const STAGING_TABLE = 'focus_staging';

/** Writes `rows` as a FOCUS export under `dir` (an export folder; stale BILLING_PERIOD folders are replaced). */
export async function writeFocusExport(
  dir: string,
  rows: readonly FocusRow[],
  options: FocusExportOptions = {},
): Promise<FocusExportSummary> {
  const session = await openFocusSession();
  try {
    await loadFocusRows(session.connection, rows);
    const periods = await periodsOf(session.connection, STAGING_TABLE);
    return await writeExportPeriods(
      session.connection,
      dir,
      periods,
      (period) => `SELECT * FROM ${STAGING_TABLE} WHERE billing_period = ${sqlString(period)}`,
      options,
    );
  } finally {
    session.close();
  }
}

/** Writes `rows` as one CSV file with the export's columns; `tags` is a JSON object string. */
export async function writeFocusCsv(
  file: string,
  rows: readonly FocusRow[],
  options: Pick<FocusExportOptions, 'columnNaming' | 'focusVersion'> = {},
): Promise<{ file: string; rows: number }> {
  const session = await openFocusSession();
  try {
    await loadFocusRows(session.connection, rows);
    mkdirSync(dirname(file), { recursive: true });
    const columns = exportColumns(options.focusVersion ?? '1.2');
    const select = columns
      .map((c) => `${csvExpression(c)} AS ${quoteIdent(outputName(c, options.columnNaming ?? 'lowercase'))}`)
      .join(', ');
    const count = await copyCount(
      session.connection,
      `COPY (SELECT ${select} FROM ${STAGING_TABLE} ORDER BY chargeperiodstart) TO ${sqlString(file)} (FORMAT csv, HEADER true)`,
    );
    return { file, rows: count };
  } finally {
    session.close();
  }
}

export interface FocusSession {
  connection: DuckDBConnection;
  close(): void;
}

/** An in-memory DuckDB with the session settings every writer needs (UTC days, bounded memory). */
export async function openFocusSession(settings: { memoryLimit?: string; threads?: number } = {}) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  if (settings.memoryLimit) await connection.run(`SET memory_limit = ${sqlString(settings.memoryLimit)}`);
  if (settings.threads) await connection.run(`SET threads = ${Math.max(1, Math.floor(settings.threads))}`);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  } satisfies FocusSession;
}

/**
 * Loads rows into the canonical staging table with DuckDB's appender, creating or appending to it.
 * Tag sets repeat across rows, so each distinct set is cast from JSON to a MAP once and joined
 * back by id (casting per row costs more than everything else together).
 */
export async function loadFocusRows(connection: DuckDBConnection, rows: readonly FocusRow[]): Promise<void> {
  await connection.run(`CREATE TABLE IF NOT EXISTS ${STAGING_TABLE} (${stagingDdl()})`);
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE focus_appended (
      billingaccountid VARCHAR, chargeperiodstart TIMESTAMP, chargeperiodend TIMESTAMP,
      subaccountid VARCHAR, subaccountname VARCHAR, servicename VARCHAR, servicecategory VARCHAR,
      x_servicecode VARCHAR, x_operation VARCHAR, usagetype VARCHAR, chargecategory VARCHAR,
      chargeclass VARCHAR, chargedescription VARCHAR, billedcost DOUBLE, effectivecost DOUBLE,
      listcost DOUBLE, consumedquantity DOUBLE, consumedunit VARCHAR, pricingunit VARCHAR,
      pricingquantity DOUBLE, regionid VARCHAR, resourceid VARCHAR, tag_set INTEGER,
      providername VARCHAR, publishername VARCHAR)`,
  );
  const tagSetIds = new Map<string, number>();
  const appender = await connection.createAppender('focus_appended');
  const text = (value: string | null | undefined) =>
    value == null ? appender.appendNull() : appender.appendVarchar(value);
  const number = (value: number | null | undefined) =>
    value == null || Number.isNaN(value) ? appender.appendNull() : appender.appendDouble(value);
  const timestamp = (value: Date) =>
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n));
  for (const row of rows) {
    text(row.billingaccountid);
    timestamp(row.chargeperiodstart);
    timestamp(row.chargeperiodend);
    text(row.subaccountid);
    text(row.subaccountname);
    text(row.servicename);
    text(row.servicecategory);
    text(row.x_servicecode);
    text(row.x_operation);
    text(row.skumeter ?? row.x_usagetype ?? null);
    text(row.chargecategory);
    text(row.chargeclass);
    text(row.chargedescription);
    number(row.billedcost);
    number(row.effectivecost);
    number(row.listcost);
    number(row.consumedquantity);
    text(row.consumedunit);
    text(row.pricingunit);
    number(row.pricingquantity);
    text(row.regionid);
    text(row.resourceid);
    const tagsJson = JSON.stringify(row.tags);
    let tagSet = tagSetIds.get(tagsJson);
    if (tagSet === undefined) {
      tagSet = tagSetIds.size;
      tagSetIds.set(tagsJson, tagSet);
    }
    appender.appendInteger(tagSet);
    text(row.providername);
    text(row.publishername);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run('CREATE OR REPLACE TEMP TABLE focus_tag_sets (tag_set INTEGER, tags_json VARCHAR)');
  const tagAppender = await connection.createAppender('focus_tag_sets');
  for (const [json, id] of tagSetIds) {
    tagAppender.appendInteger(id);
    tagAppender.appendVarchar(json);
    tagAppender.endRow();
  }
  tagAppender.closeSync();
  await connection.run(
    `INSERT INTO ${STAGING_TABLE}
     SELECT billingaccountid,
            date_trunc('month', chargeperiodstart) AS billingperiodstart,
            date_trunc('month', chargeperiodstart) + INTERVAL 1 MONTH AS billingperiodend,
            chargeperiodstart, chargeperiodend, subaccountid, subaccountname, servicename,
            servicecategory, x_servicecode, x_operation, usagetype, chargecategory, chargeclass,
            chargedescription, billedcost, effectivecost, listcost, consumedquantity, consumedunit,
            pricingunit, pricingquantity, regionid, resourceid,
            t.tags,
            providername, publishername, 'USD' AS billingcurrency,
            strftime(chargeperiodstart, '%Y-%m') AS billing_period
     FROM focus_appended a
     JOIN (SELECT tag_set, CAST(CAST(tags_json AS JSON) AS MAP(VARCHAR, VARCHAR)) AS tags FROM focus_tag_sets) t
       USING (tag_set)
     ORDER BY a.rowid`,
  );
  await connection.run('DROP TABLE focus_appended');
  await connection.run('DROP TABLE focus_tag_sets');
}

export function stagingDdl(): string {
  return STAGING_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
}

export async function periodsOf(connection: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT billing_period FROM ${table} WHERE billing_period IS NOT NULL ORDER BY 1`,
  );
  return reader.getRowObjectsJson().map((r) => String(r.billing_period));
}

/**
 * Writes one Parquet file and one manifest per billing period. `selectPeriod` returns a query over
 * canonical staging columns for that period (the scale generator passes SQL that synthesizes rows).
 */
export async function writeExportPeriods(
  connection: DuckDBConnection,
  dir: string,
  periods: readonly string[],
  selectPeriod: (period: string) => string,
  options: FocusExportOptions = {},
  onPeriod?: (period: WrittenPeriod) => void,
): Promise<FocusExportSummary> {
  const exportName = options.exportName ?? DEFAULT_EXPORT_NAME;
  const naming = options.columnNaming ?? 'lowercase';
  const columns = exportColumns(options.focusVersion ?? '1.2');
  const timestampType = options.timestampType ?? 'TIMESTAMP';
  const s3Prefix = (options.s3Prefix ?? 's3://acme-billing-exports/focus').replace(/\/+$/, '');
  clearPeriodFolders(dir);
  const projection = columns
    .map((c) => `${parquetExpression(c, timestampType)} AS ${quoteIdent(outputName(c, naming))}`)
    .join(', ');
  const written: WrittenPeriod[] = [];
  for (const period of periods) {
    const fileName = `${exportName}-00001.snappy.parquet`;
    const dataDir = join(dir, 'data', `BILLING_PERIOD=${period}`);
    mkdirSync(dataDir, { recursive: true });
    const dataFile = join(dataDir, fileName);
    const rows = await copyCount(
      connection,
      `COPY (SELECT ${projection} FROM (${selectPeriod(period)})) TO ${sqlString(dataFile)}
       (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`,
    );
    let manifestFile: string | null = null;
    if (options.manifests ?? true) {
      const manifestDir = join(dir, 'metadata', `BILLING_PERIOD=${period}`);
      mkdirSync(manifestDir, { recursive: true });
      manifestFile = join(manifestDir, `${exportName}-Manifest.json`);
      const manifest = exportManifest(
        { exportName, s3Prefix, period, columns, naming, timestampType, rows },
        options.payerAccountId ?? exportOwner(exportName),
      );
      writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const entry = { billingPeriod: period, rows, dataFile, manifestFile };
    written.push(entry);
    onPeriod?.(entry);
  }
  return { dir, rows: written.reduce((sum, p) => sum + p.rows, 0), periods: written };
}

interface ManifestInput {
  exportName: string;
  s3Prefix: string;
  period: string;
  columns: ExportColumn[];
  naming: ColumnNaming;
  timestampType: TimestampType;
  rows: number;
}

function exportManifest(input: ManifestInput, payerAccountId: string) {
  const { exportName, s3Prefix, period, columns, naming, timestampType, rows } = input;
  // Deterministic ids: the same data gives the same manifest, so reruns produce identical exports.
  const id = (salt: string) =>
    [hash32(exportName, period, salt), hash32(period, salt, rows), hash32(salt, rows, exportName)]
      .map((h) => h.toString(16).padStart(8, '0'))
      .join('');
  const executionId = id('execution');
  const uuid = `${executionId.slice(0, 8)}-${executionId.slice(8, 12)}-4${executionId.slice(13, 16)}-a${executionId.slice(17, 20)}-${executionId.slice(20, 24)}${id('node').slice(0, 8)}`;
  return {
    exportArn: `arn:aws:bcm-data-exports:us-east-1:${payerAccountId}:export/${exportName}-${id('arn').slice(0, 8)}`,
    exportName,
    executionId: uuid,
    billingPeriod: period,
    exportType: 'FOCUS_1_2_AWS',
    format: 'PARQUET',
    compression: 'SNAPPY',
    columns: columns.map((c) => ({
      name: outputName(c, naming),
      type:
        c.kind === 'timestamp' && timestampType === 'TIMESTAMPTZ'
          ? 'timestamp with time zone'
          : glueType(c.kind),
    })),
    dataFiles: [`${s3Prefix}/${exportName}/data/BILLING_PERIOD=${period}/${exportName}-00001.snappy.parquet`],
    rowCount: rows,
  };
}

function exportOwner(exportName: string): string {
  return String(100_000_000_000 + (hash32('payer', exportName) % 899_999_999_999));
}

function outputName(column: ExportColumn, naming: ColumnNaming): string {
  return naming === 'pascal' ? column.pascal : column.name;
}

function parquetExpression(column: ExportColumn, timestampType: TimestampType): string {
  if (column.kind === 'timestamp') return `CAST(${column.source} AS ${timestampType})`;
  return column.source;
}

function csvExpression(column: ExportColumn): string {
  if (column.kind === 'timestamp') return `strftime(${column.source}, '%Y-%m-%dT%H:%M:%SZ')`;
  if (column.kind === 'map') return `CAST(to_json(${column.source}) AS VARCHAR)`;
  return column.source;
}

/** Removes earlier BILLING_PERIOD folders so a rewritten export never mixes in stale periods. */
function clearPeriodFolders(dir: string): void {
  for (const part of ['data', 'metadata']) {
    let entries: string[];
    try {
      entries = readdirSync(join(dir, part));
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (/^BILLING_PERIOD=/i.test(entry)) rmSync(join(dir, part, entry), { recursive: true, force: true });
    }
  }
}

async function copyCount(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  const first = reader.getRows()[0]?.[0];
  return Number(first ?? 0);
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
