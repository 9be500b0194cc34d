/**
 * The dialect seam: the few SQL constructs that differ between DuckDB and Athena (Trino), as named
 * macros. The files in sql/ call these and contain no engine-specific branches of their own.
 * Each macro's comment names the difference it exists for (docs/decisions/001-sql-dialect-seam.md).
 */
export type Dialect = 'duckdb' | 'athena';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export const quoteString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export function dateLiteral(value: unknown): string {
  if (typeof value !== 'string' || !DATE_RE.test(value)) throw new Error(`not a date: ${String(value)}`);
  return `DATE '${value}'`;
}

export function numberLiteral(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`not a finite number: ${String(value)}`);
  // Always a DOUBLE literal in both engines (Trino's 5/2 is 2; a decimal point avoids integer math).
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

export function integerLiteral(value: unknown): string {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new Error(`not an integer: ${String(value)}`);
  return String(value);
}

export interface DialectMacros {
  /** Value of a map<string,string> entry, NULL when the key is missing (Trino's `m['k']` throws). */
  map_get(map: string, key: string): string;
  /** NaN test on a DOUBLE. */
  is_nan(expr: string): string;
  /** Replace every match (DuckDB replaces only the first unless given 'g'). */
  regexp_replace_all(expr: string, pattern: string, replacement: string): string;
  /** A one-column (`day`) table of every date from start to end, both included. */
  date_spine(start: string, end: string): string;
  /**
   * The delivery folder of a row's file below its `BILLING_PERIOD=` folder (an export set to create
   * new files keeps each delivery in one), NULL when the file lies in the period folder itself.
   * DuckDB: always NULL, its file reader reads the newest delivery only (docs/detection.md "Input").
   */
  delivery_folder(): string;
  /**
   * `expr` is one of `values` (a rendered list of literals). DuckDB: `list_contains`, which its Parquet
   * reader takes as a filter of the scan and decodes the other columns only for the rows that pass;
   * an `IN` list it applies after decoding every column (docs/architecture.md "one scan per run").
   */
  in_list(expr: string, values: string): string;
}

export const MACROS: Record<Dialect, DialectMacros> = {
  duckdb: {
    map_get: (map, key) => `map_extract_value(${map}, ${quoteString(key)})`,
    is_nan: (expr) => `isnan(${expr})`,
    regexp_replace_all: (expr, pattern, replacement) =>
      `regexp_replace(${expr}, ${quoteString(pattern)}, ${quoteString(replacement)}, 'g')`,
    date_spine: (start, end) =>
      `SELECT CAST(unnest(generate_series(${dateLiteral(start)}, ${dateLiteral(end)}, INTERVAL 1 DAY)) AS DATE) AS day`,
    delivery_folder: () => 'CAST(NULL AS VARCHAR)',
    in_list: (expr, values) => `list_contains([${values.trim()}], ${expr})`,
  },
  athena: {
    map_get: (map, key) => `element_at(${map}, ${quoteString(key)})`,
    is_nan: (expr) => `is_nan(${expr})`,
    regexp_replace_all: (expr, pattern, replacement) =>
      `regexp_replace(${expr}, ${quoteString(pattern)}, ${quoteString(replacement)})`,
    date_spine: (start, end) =>
      `SELECT day FROM UNNEST(sequence(${dateLiteral(start)}, ${dateLiteral(end)}, INTERVAL '1' DAY)) AS spine(day)`,
    delivery_folder: () => `regexp_extract("$path", '(?i)/BILLING_PERIOD=[^/]+/(.+)/[^/]+$', 1)`,
    in_list: (expr, values) => `${expr} IN (${values.trim()})`,
  },
};
