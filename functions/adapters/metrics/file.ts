/**
 * MetricsSource over a file (docs/watch.md "Input"): JSON lines or CSV (by the `.csv` extension) of
 * `account_id, model_id, hour, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
 * invocations` — what `sentinel generate` and the demo write to `metrics/hourly.jsonl`, and what a user
 * can export from anywhere else. A missing metric (a JSON key left out or null, an empty CSV cell) is
 * null, never 0. A malformed line, an unknown column, a bad value or a second row for the same account,
 * model id and hour is bad input (exit 2) naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { BadInputError } from '../../core/errors.js';
import { hourMs, parseHour } from '../../core/hours.js';
import {
  HOURLY_METRICS,
  type HourlyMetric,
  type HourlyRange,
  type HourlyUsage,
  type MetricsSource,
} from '../../core/ports.js';

const KEYS = ['account_id', 'model_id', 'hour'] as const;
export const METRICS_FILE_COLUMNS: readonly string[] = [...KEYS, ...HOURLY_METRICS];
const HINT = `a metrics file has one row per account, model id and hour with the columns ${METRICS_FILE_COLUMNS.join(', ')} (docs/watch.md "Input")`;

export class FileMetricsSource implements MetricsSource {
  readonly kind = 'metrics' as const;
  private rows: HourlyUsage[] | undefined;
  private reads = 0;

  constructor(readonly path: string) {}

  async hourly(range: HourlyRange): Promise<HourlyUsage[]> {
    range.signal?.throwIfAborted();
    this.rows ??= readMetricsFile(this.path);
    this.reads += 1;
    const from = hourMs(range.from);
    const to = hourMs(range.to);
    if (!(from < to)) throw new RangeError(`not an hour range: ${range.from} .. ${range.to}`);
    const accounts = range.accounts ? new Set(range.accounts) : null;
    const wanted = new Set<HourlyMetric>(range.metrics ?? HOURLY_METRICS);
    const out: HourlyUsage[] = [];
    for (const row of this.rows) {
      const at = hourMs(row.hour);
      if (at < from || at >= to || (accounts && !accounts.has(row.account_id))) continue;
      const copy = { ...row };
      for (const metric of HOURLY_METRICS) if (!wanted.has(metric)) copy[metric] = null;
      // Nothing asked for was there: an idle hour for these metrics, not a row (unless the source marked it unknown).
      if (HOURLY_METRICS.every((m) => copy[m] === null) && !HOURLY_METRICS.every((m) => row[m] === null))
        continue;
      out.push(copy);
    }
    return out;
  }

  describe(): string {
    return `metrics file ${this.path}`;
  }

  stats(): { requests: number; metrics_requested: number } {
    return { requests: this.reads, metrics_requested: 0 };
  }
}

/** Every row of a metrics file, validated; sorted by hour, account and model id. */
export function readMetricsFile(path: string): HourlyUsage[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BadInputError(`metrics file ${path} cannot be read: ${(error as Error).message}`, {
      cause: error,
      hint: 'name an existing file with --metrics or watch.metrics',
    });
  }
  const rows = path.toLowerCase().endsWith('.csv') ? parseCsv(path, text) : parseJsonLines(path, text);
  const seen = new Map<string, number>();
  for (const { row, line } of rows) {
    const key = `${row.account_id}|${row.model_id}|${row.hour}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw bad(
        path,
        line,
        `a second row for account ${row.account_id}, model id ${row.model_id}, hour ${row.hour} (the first is on line ${earlier})`,
      );
    }
    seen.set(key, line);
  }
  const text3 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows
    .map((r) => r.row)
    .sort(
      (a, b) => text3(a.hour, b.hour) || text3(a.account_id, b.account_id) || text3(a.model_id, b.model_id),
    );
}

/** Hours repeat on every row of a file: each distinct text is read once. */
const hourCache = new Map<string, string | null>();
function hourOf(text: string): string | null {
  let hour = hourCache.get(text);
  if (hour === undefined) {
    hour = parseHour(text);
    if (hourCache.size > 100_000) hourCache.clear();
    hourCache.set(text, hour);
  }
  return hour;
}

interface Located {
  row: HourlyUsage;
  line: number;
}

function bad(path: string, line: number, problem: string): BadInputError {
  return new BadInputError(`metrics file ${path}, line ${line}: ${problem}`, { hint: HINT });
}

function parseJsonLines(path: string, text: string): Located[] {
  const out: Located[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw bad(path, line, `not a JSON object (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw bad(path, line, 'not a JSON object');
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!METRICS_FILE_COLUMNS.includes(key)) throw bad(path, line, `unknown column '${key}'`);
    }
    out.push({ row: toRow(path, line, record), line });
  }
  return out;
}

function parseCsv(path: string, text: string): Located[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      skip_empty_lines: true,
      bom: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    throw bad(path, line, `not readable as CSV (${(error as Error).message})`);
  }
  const [header, ...body] = records;
  if (!header) return [];
  const columns = header.record;
  for (const column of columns) {
    if (!METRICS_FILE_COLUMNS.includes(column))
      throw bad(path, header.info.lines, `unknown column '${column}'`);
  }
  for (const key of KEYS) {
    if (!columns.includes(key)) throw bad(path, header.info.lines, `the column '${key}' is missing`);
  }
  return body.map(({ record, info }) => {
    const values: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const cell = record[i] ?? '';
      values[column] = cell === '' ? null : cell;
    });
    return { row: toRow(path, info.lines, values, true), line: info.lines };
  });
}

function toRow(path: string, line: number, record: Record<string, unknown>, fromText = false): HourlyUsage {
  const account = record.account_id;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) {
    throw bad(
      path,
      line,
      `account_id ${JSON.stringify(account ?? null)} is not a 12-digit AWS account id (write it as a string: a number loses leading zeros)`,
    );
  }
  const model = record.model_id;
  if (typeof model !== 'string' || model.trim() === '') {
    throw bad(path, line, `model_id ${JSON.stringify(model ?? null)} is not a model id`);
  }
  const hourText = record.hour;
  const hour = typeof hourText === 'string' ? hourOf(hourText) : null;
  if (!hour) {
    throw bad(
      path,
      line,
      `hour ${JSON.stringify(hourText ?? null)} is not the start of a whole UTC hour such as 2026-12-04T18:00:00Z`,
    );
  }
  const row: HourlyUsage = {
    account_id: account,
    model_id: model.trim(),
    hour,
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_write_tokens: null,
    invocations: null,
  };
  for (const metric of HOURLY_METRICS) {
    const value = record[metric];
    if (value === undefined || value === null) continue;
    const number =
      fromText && typeof value === 'string' && /^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)
        ? Number(value)
        : value;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
      throw bad(
        path,
        line,
        `${metric} ${JSON.stringify(value)} is not a count (a number ≥ 0, or empty/null when not published)`,
      );
    }
    row[metric] = number;
  }
  return row;
}
