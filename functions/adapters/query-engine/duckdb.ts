/**
 * QueryEngine on embedded DuckDB. Every connection runs in UTC (DuckDB casts TIMESTAMPTZ to DATE in
 * the session time zone). Results come back in the typed shape every engine returns (docs/architecture.md):
 * integers and decimals as numbers (also inside lists, maps and structs), dates as `YYYY-MM-DD`,
 * maps as plain objects, lists and structs as JSON values.
 */
import {
  DuckDBArrayType,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  type DuckDBType,
  DuckDBTypeId,
} from '@duckdb/node-api';
import { BadInputError, RunAbortedError, UpstreamError } from '../../core/errors.js';
import type { QueryEngine, QueryStats, Row } from '../../core/ports.js';

const NUMERIC_AS_STRING = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);

/** Every connection reads and prints timestamps in UTC (a session setting in DuckDB). */
const inUtc = (connection: DuckDBConnection) => connection.run(`SET TimeZone = 'UTC'`);

export class DuckDbQueryEngine implements QueryEngine {
  readonly kind = 'query-engine' as const;
  readonly name = 'duckdb' as const;
  readonly dialect = 'duckdb' as const;
  private readonly counters: QueryStats = { statements: 0, bytesScanned: 0, queryIds: [], rows: 0 };
  /**
   * Statements sent at once run on a connection each (run-detection.ts): the first connection whenever it
   * is free (so statements sent one after another share one session), more opened as needed, kept idle.
   */
  private connectionBusy = false;
  private readonly spare: DuckDBConnection[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string } = {}): Promise<DuckDbQueryEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    // Threads and memory are the instance's; the time zone is each connection's own.
    await inUtc(connection);
    if (options.threads) await connection.run(`SET threads = ${Math.floor(options.threads)}`);
    if (options.memoryLimit)
      await connection.run(`SET memory_limit = '${options.memoryLimit.replace(/'/g, '')}'`);
    return new DuckDbQueryEngine(instance, connection);
  }

  /**
   * `work` on a connection of its own, with the signal wired to that connection's interrupt (an aborted
   * run stops mid-statement). Tables and views live in the one in-memory database every connection sees.
   */
  private async onConnection<T>(
    signal: AbortSignal | undefined,
    work: (connection: DuckDBConnection) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted)
      throw new RunAbortedError(`DuckDB statement not started: ${String(signal.reason ?? 'aborted')}`);
    const leased = await this.lease();
    const interrupt = () => leased.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      return await work(leased);
    } catch (error) {
      if (signal?.aborted) throw new RunAbortedError('DuckDB statement interrupted', { cause: error });
      throw error;
    } finally {
      signal?.removeEventListener('abort', interrupt);
      if (leased === this.connection) this.connectionBusy = false;
      else this.spare.push(leased);
    }
  }

  private async lease(): Promise<DuckDBConnection> {
    if (!this.connectionBusy) {
      this.connectionBusy = true;
      return this.connection;
    }
    const spare = this.spare.pop();
    if (spare) return spare;
    const opened = await this.instance.connect();
    await inUtc(opened);
    return opened;
  }

  async query(sql: string, options: { label?: string; signal?: AbortSignal } = {}): Promise<Row[]> {
    this.counters.statements += 1;
    try {
      const reader = await this.onConnection(options.signal, (connection) => connection.runAndReadAll(sql));
      const rows = reader.getRowObjectsJson() as Row[];
      const types = reader.columnTypes();
      const converted = reader
        .columnNames()
        .map((name, i) => ({ name, type: types[i]! }))
        .filter((column) => needsConversion(column.type));
      if (converted.length > 0) {
        for (const row of rows) {
          for (const { name, type } of converted) row[name] = convertJson(type, row[name]);
        }
      }
      this.counters.rows += rows.length;
      return rows;
    } catch (error) {
      throw classifyError(error, options.label ?? 'query');
    }
  }

  async execute(sql: string, options: { label?: string; signal?: AbortSignal } = {}): Promise<void> {
    this.counters.statements += 1;
    try {
      await this.onConnection(options.signal, (connection) => connection.run(sql));
    } catch (error) {
      throw classifyError(error, options.label ?? 'statement');
    }
  }

  /** Files matching a glob pattern (DuckDB's own glob, so patterns mean the same as in read_parquet). */
  async glob(pattern: string): Promise<string[]> {
    const reader = await this.connection.runAndReadAll(
      `SELECT file FROM glob('${pattern.replace(/'/g, "''")}')`,
    );
    return reader
      .getRowObjectsJson()
      .map((r) => String(r.file))
      .sort();
  }

  stats(): QueryStats {
    return { ...this.counters, queryIds: [...this.counters.queryIds] };
  }

  async close(): Promise<void> {
    for (const connection of [...this.spare, this.connection]) connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * A file of the export that cannot be decoded (corrupt pages, a truncated file, bad compression)
 * is bad input, exit 2, naming the file; anything else is an engine failure.
 */
const UNREADABLE_FILE =
  /Failed to read file|decompression failure|No magic bytes|Invalid Input Error: .*(parquet|csv)/i;

/** A table or column that does not exist: the user names another one. */
const MISSING_NAME = /^(Catalog Error: Table with name|Binder Error: Referenced column)/;

function classifyError(error: unknown, label: string): Error {
  if (error instanceof RunAbortedError) return error;
  const message = String((error as Error).message ?? error);
  if (UNREADABLE_FILE.test(message)) {
    return new BadInputError(`--focus: a file of the export cannot be read: ${message.split('\n')[0]}`, {
      cause: error,
      hint: 'the file is corrupt or truncated; download it again from the export bucket (or remove it)',
    });
  }
  if (MISSING_NAME.test(message)) {
    return new BadInputError(`DuckDB ${label} failed: ${message.split('\n')[0]}`, {
      cause: error,
      hint: 'check the table name (focus) and that the table has the FOCUS columns docs/detection.md "Input" lists',
    });
  }
  return new UpstreamError(`DuckDB ${label} failed: ${message}`, { cause: error });
}

/** Whether the JSON form of a value of this type differs from the engine-neutral shape. */
function needsConversion(type: DuckDBType): boolean {
  if (NUMERIC_AS_STRING.has(type.typeId)) return true;
  if (type instanceof DuckDBMapType) return true;
  if (type instanceof DuckDBListType || type instanceof DuckDBArrayType)
    return needsConversion(type.valueType);
  if (type instanceof DuckDBStructType) return type.entryTypes.some(needsConversion);
  return false;
}

/** The JSON form DuckDB gives (big numbers as strings, maps as key/value lists) in the neutral shape. */
function convertJson(type: DuckDBType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (NUMERIC_AS_STRING.has(type.typeId)) return typeof value === 'string' ? Number(value) : value;
  if (type instanceof DuckDBMapType) {
    const out: Record<string, unknown> = {};
    for (const entry of value as { key: unknown; value: unknown }[]) {
      out[String(entry.key)] = convertJson(type.valueType, entry.value);
    }
    return out;
  }
  if (type instanceof DuckDBListType || type instanceof DuckDBArrayType) {
    return (value as unknown[]).map((v) => convertJson(type.valueType, v));
  }
  if (type instanceof DuckDBStructType) {
    const out: Record<string, unknown> = {};
    type.entryNames.forEach((name, i) => {
      out[name] = convertJson(type.entryTypes[i]!, (value as Record<string, unknown>)[name]);
    });
    return out;
  }
  return value;
}
