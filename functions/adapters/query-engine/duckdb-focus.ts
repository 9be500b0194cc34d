/**
 * Makes a local FOCUS export look like the Glue/Athena table: a DuckDB view `focus` with Glue's
 * lowercase column names and types, whatever the files use (PascalCase raw exports, CSV strings,
 * TIMESTAMPTZ). The schema is inspected first; a missing column, or values that cannot be read
 * as their type, stop the run with a message naming the column (exit 2).
 */

import type { SentinelConfig } from '../../core/config.js';
import { type ColumnKind, checkFocusColumns, requiredColumns } from '../../core/detect/focus-columns.js';
import type { FocusTable } from '../../core/detect/statement-sql.js';
import { BadInputError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { type ResolvedExport, resolveExport } from '../focus-export/resolve-files.js';
import { DuckDbQueryEngine } from './duckdb.js';

type Kind = ColumnKind;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

function sourceRelation(resolved: ResolvedExport): string {
  const files = `[${resolved.files.map(sqlString).join(', ')}]`;
  if (resolved.format === 'csv') {
    // Every column as text first: account ids keep leading zeros, and bad values are found by name.
    return `read_csv(${files}, header = true, all_varchar = true, union_by_name = true)`;
  }
  return `read_parquet(${files}, union_by_name = true, hive_partitioning = ${resolved.partitioned})`;
}

function classify(duckType: string): Kind | 'other' {
  const t = duckType.toUpperCase();
  if (t.startsWith('MAP(')) return 'map';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  if (
    /^(DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)/.test(t)
  ) {
    return 'number';
  }
  if (t === 'VARCHAR') return 'string';
  return 'other';
}

export async function attachFocusExport(
  engine: DuckDbQueryEngine,
  resolved: ResolvedExport,
  costColumn: string,
  describeSource: string,
): Promise<FocusTable> {
  const relation = sourceRelation(resolved);
  let columns: { name: string; type: string }[];
  try {
    const rows = await engine.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
    columns = rows
      .getRowObjectsJson()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (error) {
    throw new BadInputError(`--focus ${describeSource}: cannot read the export: ${firstLine(error)}`, {
      cause: error,
      hint: 'the file may be truncated or not Parquet/CSV; re-download it from the export bucket',
    });
  }
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  checkFocusColumns(
    columns.map((c) => c.name),
    costColumn,
    `--focus ${describeSource}`,
  );
  const required = requiredColumns(costColumn);

  const select: string[] = [];
  for (const [name, kind] of Object.entries(required)) {
    const column = byName.get(name)!;
    select.push(`${await columnExpression(engine, relation, name, column, kind, describeSource)} AS ${name}`);
  }
  for (const name of ['skumeter', 'x_usagetype']) {
    const column = byName.get(name);
    select.push(
      column ? `CAST(${ident(column.name)} AS VARCHAR) AS ${name}` : `CAST(NULL AS VARCHAR) AS ${name}`,
    );
  }
  const period = byName.get('billing_period');
  select.push(
    resolved.partitioned && period
      ? `CAST(${ident(period.name)} AS VARCHAR) AS billing_period`
      : `strftime(${timestampExpression(byName.get('chargeperiodstart')!)}, '%Y-%m') AS billing_period`,
  );
  await engine.execute(`CREATE OR REPLACE VIEW focus AS SELECT ${select.join(',\n  ')} FROM ${relation}`);
  return {
    dialect: 'duckdb',
    name: 'focus',
    usageType: 'coalesce(skumeter, x_usagetype)',
  };
}

function timestampExpression(column: { name: string; type: string }): string {
  const type = classify(column.type);
  if (type === 'timestamp') return `CAST(${ident(column.name)} AS TIMESTAMP)`;
  // Text: parse with any offset it carries, then take the UTC wall time (the session is in UTC).
  return `CAST(CAST(${ident(column.name)} AS TIMESTAMPTZ) AS TIMESTAMP)`;
}

async function columnExpression(
  engine: DuckDbQueryEngine,
  relation: string,
  name: string,
  column: { name: string; type: string },
  kind: Kind,
  describeSource: string,
): Promise<string> {
  const actual = classify(column.type);
  const ref = ident(column.name);
  const fail = (value: unknown, what: string) =>
    new BadInputError(
      `--focus ${describeSource}: column ${name} holds '${String(value)}', which is not ${what}`,
      {
        hint: `fix or remove the rows whose ${name} is not ${what}`,
      },
    );
  const findBad = async (test: string): Promise<unknown> => {
    const rows = await engine.connection.runAndReadAll(
      `SELECT ${ref} AS value FROM ${relation} WHERE ${ref} IS NOT NULL AND trim(CAST(${ref} AS VARCHAR)) <> '' AND ${test} LIMIT 1`,
    );
    return rows.getRowObjectsJson()[0]?.value;
  };
  switch (kind) {
    case 'string':
      return `CAST(${ref} AS VARCHAR)`;
    case 'number': {
      if (actual === 'number') return `CAST(${ref} AS DOUBLE)`;
      if (actual !== 'string') throw fail(column.type, 'a number');
      const bad = await findBad(`TRY_CAST(${ref} AS DOUBLE) IS NULL`);
      if (bad !== undefined) throw fail(bad, 'a number');
      return `TRY_CAST(NULLIF(trim(${ref}), '') AS DOUBLE)`;
    }
    case 'timestamp': {
      if (actual === 'timestamp') return timestampExpression(column);
      if (actual !== 'string') throw fail(column.type, 'a timestamp');
      const bad = await findBad(`TRY_CAST(${ref} AS TIMESTAMPTZ) IS NULL`);
      if (bad !== undefined) throw fail(bad, 'a timestamp');
      return timestampExpression(column);
    }
    case 'map': {
      if (actual === 'map') return `CAST(${ref} AS MAP(VARCHAR, VARCHAR))`;
      if (actual !== 'string') throw fail(column.type, 'a map of tags');
      // CSV: tags as a JSON object string.
      const bad = await findBad(`(NOT json_valid(${ref}) OR json_type(${ref}) <> 'OBJECT')`);
      if (bad !== undefined) throw fail(bad, 'a JSON object of tags');
      return `CAST(json(NULLIF(trim(${ref}), '')) AS MAP(VARCHAR, VARCHAR))`;
    }
  }
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0] ?? '';
}

/**
 * The embedded engine over the export files `focus` names: resolve the files (manifests, one
 * delivery per period), attach them as the `focus` view, and hand back the engine.
 */
export async function openDuckDbFocus(
  config: SentinelConfig,
  log: Logger,
): Promise<{ engine: DuckDbQueryEngine; focus: FocusTable }> {
  const engine = await DuckDbQueryEngine.open();
  try {
    const resolved = await resolveExport(config.focus, (pattern) => engine.glob(pattern));
    for (const ignored of resolved.ignoredDeliveries) {
      log.warn(
        `billing period ${ignored.period} holds several deliveries: reading only ${ignored.kept}, ignoring ${ignored.delivery} (set the export to overwrite)`,
      );
    }
    const focus = await attachFocusExport(engine, resolved, config.cost_column, config.focus);
    return { engine, focus };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
