/**
 * What the two remote engines share, Athena and Trino (docs/architecture.md): both send one statement at a
 * time to a server that runs it, count what the run record reports (statements, rows, bytes scanned,
 * query ids), and name a missing table or column as something the user fixes in `focus`. Each
 * engine says only how it runs a statement and reads its rows.
 */
import { BadInputError } from '../../core/errors.js';
import type { QueryEngine, QueryStats, Row } from '../../core/ports.js';

/** What the user fixes when the engine cannot find the FOCUS table or one of its columns. */
export const FOCUS_TABLE_HINT =
  'check focus (the FOCUS table, DATABASE.TABLE) and that it has the columns docs/detection.md "Input" lists';

/** A failure the user fixes by naming another table or column: bad input, with the hint. */
export const focusTableError = (message: string, cause?: unknown): BadInputError =>
  new BadInputError(message, { ...(cause === undefined ? {} : { cause }), hint: FOCUS_TABLE_HINT });

export interface StatementOptions {
  signal?: AbortSignal;
  label?: string;
}

export abstract class RemoteQueryEngine implements QueryEngine {
  readonly kind = 'query-engine' as const;
  abstract readonly name: 'athena' | 'trino';
  readonly dialect = 'athena' as const;
  protected readonly counters: QueryStats = { statements: 0, bytesScanned: 0, queryIds: [], rows: 0 };

  /** Runs a statement and returns its rows (`wantRows`: false, when only its effect matters). */
  protected abstract run(
    sql: string,
    label: string,
    signal: AbortSignal | undefined,
    wantRows: boolean,
  ): Promise<Row[]>;

  async query(sql: string, options: StatementOptions = {}): Promise<Row[]> {
    const rows = await this.run(sql, options.label ?? 'query', options.signal, true);
    this.counters.rows += rows.length;
    return rows;
  }

  async execute(sql: string, options: StatementOptions = {}): Promise<void> {
    await this.run(sql, options.label ?? 'statement', options.signal, false);
  }

  stats(): QueryStats {
    return { ...this.counters, queryIds: [...this.counters.queryIds] };
  }

  async close(): Promise<void> {}
}
