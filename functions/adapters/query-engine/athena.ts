/**
 * QueryEngine on Amazon Athena (docs/architecture.md): each statement is sent as `sentinel sql --dialect athena`
 * prints it (values inlined, decision 002), in the configured workgroup and database; the engine
 * polls with capped exponential backoff that honours the run's AbortSignal (an aborted run calls
 * StopQueryExecution), pages `GetQueryResults` (the header row comes on the first page only),
 * converts the strings Athena returns by the types in `ResultSetMetadata`, and maps FAILED and
 * CANCELLED to named errors carrying Athena's reason. Bytes scanned and query ids are counted for
 * the run record. Throttled and failed API calls are retried by the SDK client (adaptive mode,
 * built by the composition root); the engine's own loop is the polling. The client is injected
 * (tests route it to a mock or to a real Trino).
 */
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { BadInputError, RunAbortedError, UpstreamError } from '../../core/errors.js';
import type { Row } from '../../core/ports.js';
import { describeAwsError } from '../aws/retry.js';
import { focusTableError, RemoteQueryEngine } from './remote-engine.js';
import { convertValue, parseType, type TrinoType } from './trino.js';

export interface AthenaEngineOptions {
  workgroup: string;
  database: string;
  /** Only for a workgroup that does not enforce its result location (`athena.output_location`). */
  outputLocation?: string | null;
  /** Polling: first wait, cap (default 200 ms doubling to 5 s). */
  poll?: { firstMs?: number; capMs?: number };
  sleep?: (ms: number) => Promise<void>;
}

/** A statement Athena ran and failed or cancelled; the reason is Athena's own. */
export class AthenaQueryError extends UpstreamError {
  constructor(
    readonly label: string,
    readonly queryId: string,
    readonly state: string,
    readonly reason: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(`Athena ${label} (query ${queryId}) ${state}: ${reason}`, options);
  }
}

/** Athena's error text for a table or column the user can fix (name it in `focus`). */
const USER_FIXABLE = /TABLE_NOT_FOUND|COLUMN_NOT_FOUND|SCHEMA_NOT_FOUND|does not exist|cannot be resolved/i;

const abortedError = (signal: AbortSignal, what: string) =>
  new RunAbortedError(`Athena ${what} stopped: ${String(signal.reason ?? 'aborted')}`);

export class AthenaQueryEngine extends RemoteQueryEngine {
  readonly name = 'athena' as const;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaEngineOptions,
  ) {
    super();
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  protected async run(
    sql: string,
    label: string,
    signal: AbortSignal | undefined,
    wantRows: boolean,
  ): Promise<Row[]> {
    const id = await this.start(sql, label, signal);
    return wantRows ? this.results(id, signal) : [];
  }

  /** One API call; what the SDK's retries could not get through is an UpstreamError naming the step. */
  private call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return operation().catch((error: unknown) => {
      if (error instanceof UpstreamError || error instanceof BadInputError) throw error;
      throw new UpstreamError(`Athena ${what} failed: ${describeAwsError(error)}`, { cause: error });
    });
  }

  /** Starts a statement and waits for it; returns its id once SUCCEEDED. */
  private async start(sql: string, label: string, signal: AbortSignal | undefined): Promise<string> {
    if (signal?.aborted) throw abortedError(signal, label);
    this.counters.statements += 1;
    const { workgroup, database, outputLocation } = this.options;
    const started = await this.call(`${label} (start)`, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: workgroup,
          QueryExecutionContext: { Database: database },
          ...(outputLocation ? { ResultConfiguration: { OutputLocation: outputLocation } } : {}),
        }),
      ),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new UpstreamError(`Athena ${label}: StartQueryExecution returned no id`);
    this.counters.queryIds.push(id);

    const firstMs = this.options.poll?.firstMs ?? 200;
    const capMs = this.options.poll?.capMs ?? 5000;
    for (let wait = firstMs; ; wait = Math.min(capMs, wait * 2)) {
      if (signal?.aborted) {
        await this.stop(id);
        throw abortedError(signal, `${label} (query ${id})`);
      }
      const { QueryExecution: execution } = await this.call(`${label} (status)`, () =>
        this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') {
        this.counters.bytesScanned += execution?.Statistics?.DataScannedInBytes ?? 0;
        return id;
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        this.counters.bytesScanned += execution?.Statistics?.DataScannedInBytes ?? 0;
        const reason =
          execution?.Status?.AthenaError?.ErrorMessage ??
          execution?.Status?.StateChangeReason ??
          'no reason given';
        if (state === 'FAILED' && USER_FIXABLE.test(reason)) {
          throw focusTableError(`Athena ${label} (query ${id}) failed: ${reason}`);
        }
        throw new AthenaQueryError(label, id, state, reason, {
          hint:
            state === 'CANCELLED'
              ? 'someone or a workgroup limit (BytesScannedCutoffPerQuery) cancelled it; the next run repeats the days'
              : 'see the query in the Athena console under this id',
        });
      }
      await this.sleepOrAbort(wait, signal);
    }
  }

  private async sleepOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.sleep(ms);
    await Promise.race([
      this.sleep(ms),
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    ]);
  }

  private async stop(id: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch {
      // It may have finished meanwhile; the run is recorded as stopped either way.
    }
  }

  /** Every page of a finished query, converted by the column types of the first page. */
  private async results(id: string, signal: AbortSignal | undefined): Promise<Row[]> {
    const rows: Row[] = [];
    let columns: { name: string; type: TrinoType }[] | undefined;
    let token: string | undefined;
    let first = true;
    do {
      if (signal?.aborted) throw abortedError(signal, `results of query ${id}`);
      const page: GetQueryResultsCommandOutput = await this.call('results', () =>
        this.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map(columnOf);
      const data = page.ResultSet?.Rows ?? [];
      // The first page starts with the header row (column labels), later pages do not.
      for (const row of first ? data.slice(1) : data) {
        const values = row.Data ?? [];
        const out: Row = {};
        columns.forEach((column, i) => {
          out[column.name] = fromAthenaText(column.type, values[i]?.VarCharValue);
        });
        rows.push(out);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

function columnOf(info: ColumnInfo): { name: string; type: TrinoType } {
  const type = (info.Type ?? 'varchar').toLowerCase();
  // Athena names a complex column's type without its parameters (`map`, `array`, `row`).
  return { name: info.Name ?? info.Label ?? '', type: parseType(type) };
}

/**
 * Athena returns every value as text: numbers in Java's notation, dates as `YYYY-MM-DD`, booleans
 * as `true`/`false`, a NULL without VarCharValue. Complex values come as `{k=v, …}` and `[a, b]`
 * with no element types in the metadata, so inside them a value that reads as a number becomes
 * one (the detectors return no complex values; the contract suite pins this reading).
 */
export function fromAthenaText(type: TrinoType, text: string | undefined): unknown {
  if (text === undefined) return null;
  if (type.kind === 'scalar') {
    if (type.name === 'boolean') return text === 'true';
    if (type.name === 'json') return JSON.parse(text);
    if (type.name === 'map' || type.name === 'array' || type.name === 'row') return parseComplexText(text);
    return convertValue(type, text);
  }
  return parseComplexText(text);
}

const NUMBER_TEXT = /^-?(\d+(\.\d*)?|\.\d+)(E[-+]?\d+)?$/i;

function parseComplexText(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) return splitList(t.slice(1, -1)).map(parseComplexText);
  if (t.startsWith('{') && t.endsWith('}')) {
    const out: Record<string, unknown> = {};
    for (const part of splitList(t.slice(1, -1))) {
      const eq = part.indexOf('=');
      if (eq > 0) out[part.slice(0, eq)] = parseComplexText(part.slice(eq + 1));
    }
    return out;
  }
  if (t === 'null') return null;
  return NUMBER_TEXT.test(t) ? Number(t) : t;
}

function splitList(inner: string): string[] {
  if (inner.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of inner) {
    if (ch === '{' || ch === '[') depth++;
    if (ch === '}' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  parts.push(current.trim());
  return parts;
}
