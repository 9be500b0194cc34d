import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileMetricsSource, METRICS_FILE_COLUMNS } from '../../functions/adapters/metrics/file.js';
import { BadInputError, exitCodeFor } from '../../functions/core/errors.js';
import type { HourlyUsage } from '../../functions/core/ports.js';
import { metricsSourceContract } from '../fixtures/metrics-source-contract.js';

const work = mkdtempSync(join(tmpdir(), 'sentinel-metrics-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const file = (name: string, text: string) => {
  const path = join(work, `${n++}-${name}`);
  writeFileSync(path, text);
  return path;
};

const jsonLines = (rows: HourlyUsage[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const csv = (rows: HourlyUsage[]) =>
  `${[
    METRICS_FILE_COLUMNS.join(','),
    ...rows.map((r) =>
      METRICS_FILE_COLUMNS.map((c) => {
        const v = r[c as keyof HourlyUsage];
        return v === null ? '' : String(v);
      }).join(','),
    ),
  ].join('\n')}\n`;

const ACCOUNTS = ['111111111111', '222222222222'];
metricsSourceContract('file, JSON lines', {
  accounts: ACCOUNTS,
  open: async (rows) => new FileMetricsSource(file('hourly.jsonl', jsonLines(rows))),
});
metricsSourceContract('file, CSV', {
  accounts: ACCOUNTS,
  open: async (rows) => new FileMetricsSource(file('hourly.csv', csv(rows))),
});

const RANGE = { from: '2026-12-04T00:00:00Z', to: '2026-12-05T00:00:00Z' };
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ account_id: '111111111111', model_id: 'm', hour: '2026-12-04T10:00:00Z', ...fields });

async function refusal(path: string): Promise<BadInputError> {
  const error = await new FileMetricsSource(path).hourly(RANGE).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BadInputError);
  expect(exitCodeFor(error)).toBe(2);
  return error as BadInputError;
}

describe('metrics file: what it reads', () => {
  it('takes a missing key, null and an empty cell as a metric not published, never 0', async () => {
    const json = file('partial.jsonl', `${line({ input_tokens: 5 })}\n`);
    const [row] = await new FileMetricsSource(json).hourly(RANGE);
    expect(row).toMatchObject({ input_tokens: 5, output_tokens: null, invocations: null });
    const text = file(
      'partial.csv',
      'account_id,model_id,hour,input_tokens,output_tokens\n111111111111,m,2026-12-04T10:00:00Z,5,\n',
    );
    const [fromCsv] = await new FileMetricsSource(text).hourly(RANGE);
    expect(fromCsv).toMatchObject({ input_tokens: 5, output_tokens: null, cache_read_tokens: null });
  });

  it('keeps a row whose every metric is null: an hour the source could not read, not an idle one', async () => {
    const path = file('unknown.jsonl', `${line({})}\n`);
    const rows = await new FileMetricsSource(path).hourly({ ...RANGE, metrics: ['input_tokens'] });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.input_tokens).toBeNull();
  });

  it('reads hours written with milliseconds or a +00:00 offset as the same whole hour', async () => {
    const path = file(
      'hours.jsonl',
      `${line({ hour: '2026-12-04T10:00:00.000Z', input_tokens: 1 })}\n${line({ hour: '2026-12-04T11:00:00+00:00', input_tokens: 2 })}\n`,
    );
    const rows = await new FileMetricsSource(path).hourly(RANGE);
    expect(rows.map((r) => r.hour)).toEqual(['2026-12-04T10:00:00Z', '2026-12-04T11:00:00Z']);
  });
});

describe('metrics file: bad input is exit 2 naming the file and line', () => {
  it('refuses a malformed JSON line', async () => {
    const path = file('broken.jsonl', `${line({ input_tokens: 1 })}\n\n{"account_id": "111111111111",\n`);
    const error = await refusal(path);
    expect(error.message).toContain(`${path}, line 3`);
    expect(error.message).toContain('not a JSON object');
  });

  it('refuses an unknown column, in JSON lines and in a CSV header', async () => {
    const json = await refusal(file('extra.jsonl', `${line({ input_tokens: 1, latency_ms: 3 })}\n`));
    expect(json.message).toMatch(/line 1: unknown column 'latency_ms'/);
    const csvError = await refusal(
      file('extra.csv', 'account_id,model_id,hour,tokens\n111111111111,m,2026-12-04T10:00:00Z,1\n'),
    );
    expect(csvError.message).toMatch(/extra\.csv, line 1: unknown column 'tokens'/);
  });

  it.each([
    [
      'an account id that lost its leading zero',
      { account_id: 12345678901 },
      /account_id 12345678901 is not a 12-digit/,
    ],
    [
      'an hour that is not whole',
      { hour: '2026-12-04T10:30:00Z' },
      /hour "2026-12-04T10:30:00Z" is not the start of a whole UTC hour/,
    ],
    [
      'a local time without an offset',
      { hour: '2026-12-04T10:00:00' },
      /is not the start of a whole UTC hour/,
    ],
    ['a negative count', { input_tokens: -1 }, /input_tokens -1 is not a count/],
    ['a count written as text in JSON', { output_tokens: '12' }, /output_tokens "12" is not a count/],
    ['an empty model id', { model_id: ' ' }, /model_id " " is not a model id/],
  ])('refuses %s', async (_name, fields, message) => {
    const error = await refusal(file('bad.jsonl', `${line({ input_tokens: 1 })}\n${line(fields)}\n`));
    expect(error.message).toMatch(/line 2: /);
    expect(error.message).toMatch(message);
  });

  it('refuses a bad CSV value naming its line', async () => {
    const path = file(
      'bad.csv',
      'account_id,model_id,hour,invocations\n111111111111,m,2026-12-04T10:00:00Z,3\n111111111111,m,2026-12-04T11:00:00Z,many\n',
    );
    const error = await refusal(path);
    expect(error.message).toMatch(/bad\.csv, line 3: invocations "many" is not a count/);
  });

  it('refuses a second row for the same account, model id and hour', async () => {
    const path = file('twice.jsonl', `${line({ input_tokens: 1 })}\n${line({ input_tokens: 2 })}\n`);
    const error = await refusal(path);
    expect(error.message).toMatch(/line 2: a second row .* \(the first is on line 1\)/);
  });

  it('names a file that does not exist', async () => {
    const error = await refusal(join(work, 'nowhere.jsonl'));
    expect(error.message).toContain('nowhere.jsonl cannot be read');
  });
});
