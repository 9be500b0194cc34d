/**
 * QueryEngine on a Trino (or Starburst) cluster that already reads the FOCUS table: the Athena
 * dialect, since Athena engine v3 is Trino-based. Built on `trino-client`, whose client is injected
 * (tests pass a fake; `connect` builds the real one from options).
 *
 * Rows come back in the one typed shape every engine returns (docs/architecture.md): boolean; integer, bigint,
 * double and decimal as numbers; date as `YYYY-MM-DD`; varchar as strings; map as a plain object;
 * array and row as JSON values (a row as an object keyed by its field names); null as null.
 * trino-client returns a failed query in the result's `error` field instead of throwing: a missing
 * table or column is bad input (the user can fix the table name or the column), anything else an
 * upstream failure, each carrying Trino's message. An aborted signal stops reading and cancels the
 * query on the server.
 */
import { BasicAuth, type QueryResult, Trino } from 'trino-client';
import { BadInputError, UpstreamError } from '../../core/errors.js';
import type { Row } from '../../core/ports.js';
import { focusTableError, RemoteQueryEngine } from './remote-engine.js';

/** The part of trino-client's `Trino` the engine uses. */
export interface TrinoClient {
  query(query: {
    query: string;
    user?: string;
    catalog?: string;
    schema?: string;
  }): Promise<AsyncIterable<QueryResult>>;
  cancel(queryId: string): Promise<unknown>;
}

export interface TrinoConnection {
  /** `http(s)://host:port` of the coordinator. */
  server: string;
  catalog: string;
  schema: string;
  user: string;
  /** Basic-auth password; the caller reads it (from SENTINEL_TRINO_PASSWORD) and passes it when set. */
  password?: string;
  /** `X-Trino-Source` (default `ai-spend-sentinel`). */
  source?: string;
}

/** Trino error names a user fixes by naming another table or column. */
const USER_FIXABLE = new Set([
  'TABLE_NOT_FOUND',
  'COLUMN_NOT_FOUND',
  'SCHEMA_NOT_FOUND',
  'CATALOG_NOT_FOUND',
  'MISSING_TABLE',
  'MISSING_COLUMN_NAME',
]);

export class TrinoQueryEngine extends RemoteQueryEngine {
  readonly name = 'trino' as const;

  constructor(
    private readonly client: TrinoClient,
    private readonly session: { catalog: string; schema: string; user: string },
  ) {
    super();
  }

  static connect(connection: TrinoConnection): TrinoQueryEngine {
    const client = Trino.create({
      server: connection.server,
      catalog: connection.catalog,
      schema: connection.schema,
      source: connection.source ?? 'ai-spend-sentinel',
      // Athena evaluates in UTC; so must every session here (days are UTC dates).
      extraHeaders: { 'X-Trino-Time-Zone': 'UTC', 'X-Trino-User': connection.user },
      ...(connection.password === undefined
        ? {}
        : { auth: new BasicAuth(connection.user, connection.password) }),
    });
    return new TrinoQueryEngine(client, connection);
  }

  /** Trino streams the rows of every statement; a statement run for its effect has none worth keeping. */
  protected async run(sql: string, label: string, signal: AbortSignal | undefined): Promise<Row[]> {
    if (signal?.aborted) throw aborted(label, signal);
    this.counters.statements += 1;
    let pages: AsyncIterable<QueryResult>;
    try {
      pages = await this.client.query({
        query: sql,
        catalog: this.session.catalog,
        schema: this.session.schema,
        user: this.session.user,
      });
    } catch (error) {
      throw new UpstreamError(`Trino ${label} failed: ${describe(error)}`, { cause: error });
    }
    let queryId: string | undefined;
    let columns: Column[] | undefined;
    let bytes = 0;
    const rows: Row[] = [];
    try {
      for await (const page of pages) {
        if (page.id && queryId === undefined) {
          queryId = page.id;
          this.counters.queryIds.push(queryId);
        }
        if (signal?.aborted) {
          await this.cancel(queryId);
          throw aborted(label, signal);
        }
        if (page.error) throw failed(label, page);
        if (page.stats) bytes = Math.max(bytes, page.stats.physicalInputBytes ?? 0);
        if (!columns && page.columns)
          columns = page.columns.map((c) => ({ name: c.name, type: parseType(c.type) }));
        if (page.data && page.data.length > 0) {
          if (!columns) throw new UpstreamError(`Trino ${label}: rows arrived before their columns`);
          for (const values of page.data) rows.push(toRow(columns, values as unknown[]));
        }
      }
    } catch (error) {
      if (error instanceof BadInputError || error instanceof UpstreamError) throw error;
      await this.cancel(queryId);
      throw new UpstreamError(`Trino ${label} failed: ${describe(error)}`, { cause: error });
    } finally {
      this.counters.bytesScanned += bytes;
    }
    return rows;
  }

  private async cancel(queryId: string | undefined): Promise<void> {
    if (queryId === undefined) return;
    try {
      await this.client.cancel(queryId);
    } catch {
      // The query may have finished meanwhile; the caller's error says what happened.
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function aborted(label: string, signal: AbortSignal): UpstreamError {
  return new UpstreamError(`Trino ${label} cancelled: ${describe(signal.reason ?? 'aborted')}`, {
    cause: signal.reason,
  });
}

function failed(label: string, page: QueryResult): Error {
  const error = page.error!;
  const message = `Trino ${label} failed (${error.errorName}, query ${page.id}): ${error.message}`;
  if (USER_FIXABLE.has(error.errorName)) return focusTableError(message, error);
  return new UpstreamError(message, { cause: error });
}

// ---- Typed conversion ---------------------------------------------------------------------------

/** A Trino type, parsed from the column's type string (`map(varchar, array(row(a bigint)))`). */
export type TrinoType =
  | { kind: 'scalar'; name: string }
  | { kind: 'array'; element: TrinoType }
  | { kind: 'map'; key: TrinoType; value: TrinoType }
  | { kind: 'row'; fields: { name: string | null; type: TrinoType }[] };

interface Column {
  name: string;
  type: TrinoType;
}

/** Splits on commas outside parentheses and double quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

export function parseType(text: string): TrinoType {
  const t = text.trim();
  const open = t.indexOf('(');
  const base = (open < 0 ? t : t.slice(0, open)).trim().toLowerCase();
  const inner = open < 0 ? '' : t.slice(open + 1, t.lastIndexOf(')'));
  if (base === 'array') return { kind: 'array', element: parseType(inner) };
  if (base === 'map') {
    const [key, value] = splitTopLevel(inner);
    return { kind: 'map', key: parseType(key ?? 'unknown'), value: parseType(value ?? 'unknown') };
  }
  if (base === 'row') {
    return {
      kind: 'row',
      fields: splitTopLevel(inner).map((field) => {
        // `name type`, `"quoted name" type`, or an anonymous `type`.
        const quoted = /^"((?:[^"]|"")*)"\s+(.+)$/s.exec(field);
        if (quoted) return { name: quoted[1]!.replace(/""/g, '"'), type: parseType(quoted[2]!) };
        const named = /^([A-Za-z_][\w$]*)\s+(.+)$/s.exec(field);
        if (named && !/^(double|precision|with|time|zone)$/i.test(named[1]!)) {
          return { name: named[1]!, type: parseType(named[2]!) };
        }
        return { name: null, type: parseType(field) };
      }),
    };
  }
  return { kind: 'scalar', name: base };
}

const NUMERIC = new Set(['tinyint', 'smallint', 'integer', 'bigint', 'real', 'double', 'decimal']);

export function convertValue(type: TrinoType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'array':
      return (value as unknown[]).map((v) => convertValue(type.element, v));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        out[k] = convertValue(type.value, v);
      return out;
    }
    case 'row': {
      const values = value as unknown[];
      if (type.fields.every((f) => f.name === null))
        return values.map((v, i) => convertValue(type.fields[i]!.type, v));
      const out: Record<string, unknown> = {};
      type.fields.forEach((f, i) => {
        out[f.name ?? `field${i}`] = convertValue(f.type, values[i]);
      });
      return out;
    }
    case 'scalar':
      if (NUMERIC.has(type.name)) {
        // Decimals arrive as strings; doubles as numbers or 'NaN' / 'Infinity'.
        return typeof value === 'number' ? value : Number(value);
      }
      if (type.name === 'date') return String(value).slice(0, 10);
      return value;
  }
}

function toRow(columns: Column[], values: unknown[]): Row {
  const row: Row = {};
  columns.forEach((column, i) => {
    row[column.name] = convertValue(column.type, values[i]);
  });
  return row;
}
