/**
 * QueryEngine on embedded DuckDB. Every connection runs in UTC (DuckDB casts TIMESTAMPTZ to DATE in
 * the session time zone). Results come back as plain objects: integers and decimals as numbers,
 * dates as `YYYY-MM-DD`, lists and structs as JSON values.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { BadInputError, RunAbortedError, UpstreamError } from '../../core/errors.js';
import type { QueryEngine, QueryStats, Row } from '../../core/ports.js';

const NUMERIC_AS_STRING = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);

export class DuckDbQueryEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  readonly dialect = 'duckdb' as const;
  private readonly counters: QueryStats = { statements: 0, bytesScanned: 0, queryIds: [], rows: 0 };

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string } = {}): Promise<DuckDbQueryEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const engine = new DuckDbQueryEngine(instance, connection);
    await engine.execute(`SET TimeZone = 'UTC'`);
    if (options.threads) await engine.execute(`SET threads = ${Math.floor(options.threads)}`);
    if (options.memoryLimit)
      await engine.execute(`SET memory_limit = '${options.memoryLimit.replace(/'/g, '')}'`);
    return engine;
  }

  /** Runs `work` with the signal wired to DuckDB's interrupt (an aborted run stops mid-statement). */
  private async interruptible<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    if (!signal) return work();
    if (signal.aborted)
      throw new RunAbortedError(`DuckDB statement not started: ${String(signal.reason ?? 'aborted')}`);
    const interrupt = () => this.connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      return await work();
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('DuckDB statement interrupted', { cause: error });
      throw error;
    } finally {
      signal.removeEventListener('abort', interrupt);
    }
  }

  async query(sql: string, options: { label?: string; signal?: AbortSignal } = {}): Promise<Row[]> {
    this.counters.statements += 1;
    try {
      const reader = await this.interruptible(options.signal, () => this.connection.runAndReadAll(sql));
      const rows = reader.getRowObjectsJson() as Row[];
      const numericColumns = reader
        .columnNames()
        .filter((_, i) => isNumericAsString(reader.columnTypes()[i]));
      if (numericColumns.length > 0) {
        for (const row of rows) {
          for (const column of numericColumns) {
            const value = row[column];
            if (typeof value === 'string') row[column] = Number(value);
          }
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
      await this.interruptible(options.signal, () => this.connection.run(sql));
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
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * A file of the export that cannot be decoded (corrupt pages, a truncated file, bad compression)
 * is bad input, exit 2, naming the file; anything else is an engine failure.
 */
const UNREADABLE_FILE =
  /Failed to read file|decompression failure|No magic bytes|Invalid Input Error: .*(parquet|csv)/i;

function classifyError(error: unknown, label: string): Error {
  if (error instanceof RunAbortedError) return error;
  const message = String((error as Error).message ?? error);
  if (UNREADABLE_FILE.test(message)) {
    return new BadInputError(`--focus: a file of the export cannot be read: ${message.split('\n')[0]}`, {
      cause: error,
      hint: 'the file is corrupt or truncated; download it again from the export bucket (or remove it)',
    });
  }
  return new UpstreamError(`DuckDB ${label} failed: ${message}`, { cause: error });
}

function isNumericAsString(type: DuckDBType | undefined): boolean {
  return type !== undefined && NUMERIC_AS_STRING.has(type.typeId);
}
