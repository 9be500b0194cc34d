/**
 * Checks for the Athena (Trino) rendering of the statements: DuckDB-only constructs, the
 * billing_period pruning of every read of the export, and the mechanical mapping of the dialect
 * seam's Athena output back to DuckDB (so the Athena text itself can run on DuckDB fixtures).
 */
import type { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { QueryEngine, QueryStats, Row } from '../../functions/core/ports.js';
import { MACROS } from '../../functions/core/sql/dialect.js';

type Mode = 'normal' | 'single' | 'double' | 'line' | 'block';

/**
 * The statement without comments; with `blankStrings`, every string literal's content removed
 * ('…' → ''), so patterns over code never match text inside strings.
 */
export function codeOf(sql: string, options: { blankStrings: boolean }): string {
  let out = '';
  let mode: Mode = 'normal';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    const next = sql[i + 1];
    switch (mode) {
      case 'normal':
        if (c === '-' && next === '-') {
          mode = 'line';
          i++;
        } else if (c === '/' && next === '*') {
          mode = 'block';
          i++;
        } else {
          if (c === "'") mode = 'single';
          else if (c === '"') mode = 'double';
          out += c;
        }
        break;
      case 'single':
        if (c === "'" && next === "'") {
          if (!options.blankStrings) out += "''";
          i++;
        } else if (c === "'") {
          mode = 'normal';
          out += c;
        } else if (!options.blankStrings) out += c;
        break;
      case 'double':
        out += c;
        if (c === '"') mode = 'normal';
        break;
      case 'line':
        if (c === '\n') {
          mode = 'normal';
          out += c;
        }
        break;
      case 'block':
        if (c === '*' && next === '/') {
          mode = 'normal';
          i++;
        }
        break;
    }
  }
  return out;
}

interface Construct {
  name: string;
  pattern: RegExp;
  /** Match against the code with string contents kept (for constructs that are string literals). */
  inStrings?: boolean;
}

/** DuckDB syntax and functions that Athena (Trino) rejects or reads differently (docs/decisions/001-sql-dialect-seam.md). */
export const DUCKDB_ONLY: Construct[] = [
  { name: ':: cast', pattern: /::/ },
  { name: 'ILIKE', pattern: /\bILIKE\b/i },
  { name: 'QUALIFY', pattern: /\bQUALIFY\b/i },
  { name: 'GROUP BY ALL / ORDER BY ALL', pattern: /\b(GROUP|ORDER)\s+BY\s+ALL\b/i },
  { name: '* EXCLUDE / * REPLACE', pattern: /\*\s*(EXCLUDE|REPLACE)\b/i },
  { name: 'read_parquet / read_csv / read_json', pattern: /\bread_(parquet|csv|csv_auto|json\w*)\s*\(/i },
  { name: 'date literal ± integer', pattern: /\bDATE\s*''\s*[-+]\s*\d/i },
  {
    name: 'date column ± integer',
    pattern: /\b(day|as_of|current_date|\w+_(day|date|start|end|on))\s*[-+]\s*\d/i,
  },
  { name: 'generate_series', pattern: /\bgenerate_series\s*\(/i },
  { name: 'strftime / strptime', pattern: /\bstr[fp]time\s*\(/i },
  { name: 'regexp_matches', pattern: /\bregexp_matches\s*\(/i },
  { name: 'map_extract_value', pattern: /\bmap_extract_value\s*\(/i },
  { name: 'isnan(', pattern: /\bisnan\s*\(/i },
  { name: "map subscript m['k']", pattern: /[\w")\]]\s*\[\s*''\s*\]/ },
  { name: 'list literal [ … ]', pattern: /(?<!\bARRAY\s*)\[/i },
  { name: "struct literal {'a': …}", pattern: /\{/ },
  { name: 'unquoted INTERVAL 1 DAY', pattern: /\bINTERVAL\s+\d/i },
  { name: "regexp 'g' option", pattern: /,\s*'g'\s*\)/, inStrings: true },
  // Accepted by both engines with different meaning (found against a real Trino): write || instead
  // of concat (DuckDB skips a NULL argument, Trino returns NULL); format and contains mean other things.
  { name: 'concat( (NULL-skipping in DuckDB only)', pattern: /\bconcat\s*\(/i },
  { name: 'format( (printf in Trino, fmt in DuckDB)', pattern: /\bformat\s*\(/i },
  { name: 'contains( (array element in Trino, substring in DuckDB)', pattern: /\bcontains\s*\(/i },
];

/** The DuckDB-only constructs found in a statement, each with the text that matched. */
export function duckdbOnlyConstructs(sql: string): string[] {
  const blanked = codeOf(sql, { blankStrings: true });
  const withStrings = codeOf(sql, { blankStrings: false });
  const found: string[] = [];
  for (const construct of DUCKDB_ONLY) {
    const match = (construct.inStrings ? withStrings : blanked).match(construct.pattern);
    if (match) found.push(`${construct.name}: ${JSON.stringify(match[0])}`);
  }
  return found;
}

/**
 * The `billing_period IN (…)` list of every read of `table` in the statement; throws when a read
 * of the table has no such predicate right after it (a full scan of every period).
 */
export function periodFilters(sql: string, table: string): string[][] {
  const code = codeOf(sql, { blankStrings: false });
  const reads = code.split(table).length - 1;
  const escaped = table.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&');
  const pattern = new RegExp(`FROM\\s+${escaped}\\s+WHERE\\s+billing_period\\s+IN\\s*\\(([^)]*)\\)`, 'g');
  const filters = [...code.matchAll(pattern)].map((m) =>
    m[1]!.split(',').map((p) => p.trim().replace(/^'|'$/g, '')),
  );
  if (filters.length !== reads) {
    throw new Error(`${reads} read(s) of ${table} but ${filters.length} billing_period filter(s)`);
  }
  return filters;
}

/** Calendar months (YYYY-MM) of every day from..to, computed day by day. */
export function monthsOfDays(from: string, to: string): string[] {
  const months = new Set<string>();
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    months.add(new Date(t).toISOString().slice(0, 7));
  }
  return [...months];
}

export const daysBefore = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/** Index of the parenthesis closing the one at `open`, skipping string literals. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (inString) {
      if (c === "'" && sql[i + 1] === "'") i++;
      else if (c === "'") inString = false;
    } else if (c === "'") inString = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced parenthesis at ${open}`);
}

/**
 * The Athena text with each seam macro's Athena output replaced by its DuckDB output (and the
 * Athena table by the DuckDB one). Nothing else changes: the dialect test asserts that the result
 * is byte for byte the DuckDB rendering, so the two renderings differ only in the seam macros.
 */
export function athenaToDuckDb(sql: string, athenaTable: string, duckdbTable: string): string {
  let out = sql.split(athenaTable).join(duckdbTable);
  out = out.replace(/\belement_at\(/g, 'map_extract_value(').replace(/\bis_nan\(/g, 'isnan(');
  out = out.split(MACROS.athena.delivery_folder()).join(MACROS.duckdb.delivery_folder());
  out = out.replace(
    /SELECT day FROM UNNEST\(sequence\((DATE '[0-9-]+'), (DATE '[0-9-]+'), INTERVAL '1' DAY\)\) AS spine\(day\)/g,
    'SELECT CAST(unnest(generate_series($1, $2, INTERVAL 1 DAY)) AS DATE) AS day',
  );
  // regexp_replace replaces every match in Trino; DuckDB needs the 'g' option (innermost last).
  const starts = [...out.matchAll(/\bregexp_replace\(/g)].map((m) => m.index! + 'regexp_replace'.length);
  for (const open of starts.reverse()) {
    const close = closingParen(out, open);
    out = `${out.slice(0, close)}, 'g'${out.slice(close)}`;
  }
  return out;
}

/**
 * A QueryEngine that records every statement a run sends and runs it on DuckDB, after `translate`
 * (identity for DuckDB statements; athenaToDuckDb for Athena ones).
 */
export class RecordingEngine implements QueryEngine {
  readonly kind = 'query-engine' as const;
  readonly sent: { label: string; sql: string }[] = [];
  readonly name = 'duckdb' as const;
  constructor(
    readonly dialect: 'duckdb' | 'athena',
    private readonly inner: DuckDbQueryEngine,
    private readonly translate: (sql: string) => string = (sql) => sql,
  ) {}

  async query(sql: string, options: { label?: string } = {}): Promise<Row[]> {
    this.sent.push({ label: options.label ?? 'query', sql });
    return this.inner.query(this.translate(sql), options);
  }

  async execute(sql: string, options: { label?: string } = {}): Promise<void> {
    this.sent.push({ label: options.label ?? 'statement', sql });
    await this.inner.execute(this.translate(sql), options);
  }

  stats(): QueryStats {
    return this.inner.stats();
  }

  async close(): Promise<void> {}
}
