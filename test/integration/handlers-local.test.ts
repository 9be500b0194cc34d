/**
 * The three Lambda handlers in process, over the local adapters a config can name (case store in a
 * directory, outbox, events file, DuckDB over a generated export): scheduled detect → cases and
 * owner emails with signed answer links → GET (changes nothing) and POST on the ack handler →
 * the case is acknowledged; a rerun sends nothing; a follow-up past the deadline reminds.
 * The AWS backends of the same ports are tested against moto in their own files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import type { RunRecord } from '../../functions/core/runs.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';

const NOW = new Date('2026-03-03T08:00:00Z');
const SIGNING_KEY = 'test-signing-key-0123456789abcdef';
let work: string;
let out: string;
let logs: string[];
let handlers: {
  detect: (
    event: unknown,
    context: Context,
  ) => Promise<{ run_id: string; outcome: string; findings: number }>;
  followUp: (
    event: unknown,
    context: Context,
  ) => Promise<{ run_id: string; cases_moved: number; watch: { hours: number } | null }>;
  ack: (
    event: unknown,
    context: Context,
  ) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
};

const context = (remainingMs = 900_000): Context =>
  ({
    awsRequestId: 'req-1',
    functionName: 'sentinel-test',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

function httpEvent(
  method: 'GET' | 'POST',
  query: Record<string, string>,
  body?: string,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} /ack`,
    rawPath: '/ack',
    rawQueryString: new URLSearchParams(query).toString(),
    headers: method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {},
    queryStringParameters: method === 'GET' ? query : undefined,
    requestContext: { http: { method, path: '/ack' } } as APIGatewayProxyEventV2['requestContext'],
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

const files = (dir: string): string[] =>
  readdirSync(join(out, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const cases = (): CaseRecord[] =>
  files('cases').map((f) => JSON.parse(readFileSync(f, 'utf8')) as CaseRecord);
const emails = () => readdirSync(join(out, 'outbox')).filter((n) => n.endsWith('.eml'));

/** The first signed `investigating` link in the owner emails. */
function answerLink(answer: string): URL {
  for (const name of readdirSync(join(out, 'outbox')).filter((n) => n.endsWith('.txt'))) {
    const text = readFileSync(join(out, 'outbox', name), 'utf8');
    const match = new RegExp(`https://ack\\.example\\.test/ack\\?\\S*answer=${answer}\\S*`).exec(text);
    if (match) return new URL(match[0]);
  }
  throw new Error(`no ${answer} link in the outbox`);
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  work = mkdtempSync(join(tmpdir(), 'sentinel-handlers-'));
  out = join(work, 'out');
  const org = await writeSyntheticOrganization(join(work, 'gen'), {
    seed: 3,
    accounts: 12,
    days: 90,
    end: '2026-03-01',
  });
  process.env.SENTINEL_CONFIG = JSON.stringify({
    focus: org.exportDir,
    out,
    owners: org.ownersFile,
    notify: { ack_base_url: 'https://ack.example.test/ack' },
    // The hourly function watches first (docs/watch.md): the generator's metrics file, the same tokens as the export.
    watch: { metrics: org.metricsFile },
  });
  process.env.SENTINEL_SIGNING_KEY = SIGNING_KEY;
  logs = [];
  const capture = (line: unknown) => {
    logs.push(String(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void logs.push(args.map(String).join(' ')),
    );
  }
  handlers = {
    detect: (await import('../../functions/handlers/detect.js')).handler as never,
    followUp: (await import('../../functions/handlers/follow-up.js')).handler as never,
    ack: (await import('../../functions/handlers/ack.js')).handler as never,
  };
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  rmSync(work, { recursive: true, force: true });
});

describe('Lambda handlers over the local adapters', () => {
  it('detect invoked with {"dryRun": true} walks every step, says what it would send, and sends or changes nothing', async () => {
    const result = (await handlers.detect({ dryRun: true }, context())) as Awaited<
      ReturnType<typeof handlers.detect>
    > & { dry_run?: boolean; would_send?: { kind: string; to: string[] }[] };
    expect(result).toMatchObject({ outcome: 'succeeded', dry_run: true });
    expect(result.findings).toBeGreaterThan(0);
    expect(result.would_send?.some((m) => m.kind === 'owner-alert')).toBe(true);
    expect(existsSync(join(out, 'outbox'))).toBe(false);
    expect(existsSync(join(out, 'cases'))).toBe(false);
    const [record] = files('runs').map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunRecord);
    expect(record).toMatchObject({ command: 'scheduled-detect', dry_run: true });
    rmSync(join(out, 'runs'), { recursive: true }); // the real run below starts from an empty store
  });

  it('scheduled detect writes findings, cases, a run record and the owner emails with signed links', async () => {
    const result = await handlers.detect(scheduled, context());
    expect(result.outcome).toBe('succeeded');
    expect(result.findings).toBeGreaterThan(0);
    const run = JSON.parse(readFileSync(files('runs')[0]!, 'utf8')) as RunRecord;
    expect(run.command).toBe('scheduled-detect');
    expect(run.evaluated_days).toEqual(['2026-03-01']);
    expect(cases().length).toBeGreaterThan(0);
    expect(emails().length).toBeGreaterThan(0);
    expect(answerLink('investigating').searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('a rerun at the same time sends nothing new', async () => {
    const before = emails().length;
    const again = await handlers.detect(scheduled, context());
    expect(again.outcome).toBe('succeeded');
    expect(emails()).toHaveLength(before);
  });

  it('GET shows the confirmation page with the answer and a note field, and changes nothing', async () => {
    const link = answerLink('investigating');
    const caseKey = link.searchParams.get('case')!;
    const before = cases().find((c) => c.case_key === caseKey)!;
    const response = await handlers.ack(httpEvent('GET', Object.fromEntries(link.searchParams)), context());
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Investigating');
    expect(response.body).toContain('<textarea id="note" name="note"');
    expect(response.body).toContain('method="post"');
    expect(response.headers['Content-Security-Policy']).toContain("form-action 'self'");
    expect(response.headers['X-Frame-Options']).toBe('DENY');
    expect(response.headers['Referrer-Policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(cases().find((c) => c.case_key === caseKey)).toEqual(before);
  });

  it('a tampered, an expired or an incomplete link gets a 4xx page and changes nothing', async () => {
    const link = answerLink('investigating');
    const params = Object.fromEntries(link.searchParams);
    const before = JSON.stringify(cases());
    const tampered = await handlers.ack(httpEvent('GET', { ...params, answer: 'legitimate' }), context());
    expect(tampered.statusCode).toBe(403);
    expect(tampered.body).toContain('signature mismatch');
    const incomplete = await handlers.ack(httpEvent('GET', { case: params.case! }), context());
    expect(incomplete.statusCode).toBe(400);
    const posted = await handlers.ack(
      httpEvent('POST', {}, new URLSearchParams({ ...params, epoch: '7' }).toString()),
      context(),
    );
    expect(posted.statusCode).toBe(403);
    vi.setSystemTime(new Date(NOW.getTime() + 15 * 86_400_000));
    const expired = await handlers.ack(httpEvent('GET', params), context());
    vi.setSystemTime(NOW);
    expect(expired.statusCode).toBe(410);
    expect(JSON.stringify(cases())).toBe(before);
  });

  it('refuses a body over 16 KB and a POST that is not the form', async () => {
    const big = await handlers.ack(httpEvent('POST', {}, `note=${'x'.repeat(17 * 1024)}`), context());
    expect(big.statusCode).toBe(413);
    expect(big.headers['X-Frame-Options']).toBe('DENY');
    const json = httpEvent('POST', {}, '{"case":"x"}');
    json.headers = { 'content-type': 'application/json' };
    expect((await handlers.ack(json, context())).statusCode).toBe(415);
  });

  it('POST records the answer with its note; the case is acknowledged and its event written', async () => {
    const link = answerLink('investigating');
    const caseKey = link.searchParams.get('case')!;
    const form = new URLSearchParams({
      ...Object.fromEntries(link.searchParams),
      note: 'a retry loop; rolled back',
    });
    const response = await handlers.ack(httpEvent('POST', {}, form.toString()), context());
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('your answer is recorded');
    const c = cases().find((x) => x.case_key === caseKey)!;
    expect(c.state).toBe('acknowledged');
    expect(c.answers.at(-1)).toMatchObject({ answer: 'investigating', note: 'a retry loop; rolled back' });
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8');
    expect(events).toContain('"detail-type":"Case Acknowledged"');
  });

  it('a follow-up past the deadline sends the reminders', async () => {
    vi.setSystemTime(new Date(NOW.getTime() + 49 * 3_600_000));
    const before = emails().length;
    const result = await handlers.followUp(scheduled, context());
    vi.setSystemTime(NOW);
    expect(result.cases_moved).toBeGreaterThan(0);
    // The watch ran first over the hours since the last one, priced by the detect run's prices.
    expect(result.watch?.hours).toBeGreaterThan(0);
    expect(emails().length).toBeGreaterThan(before);
    expect(cases().some((c) => c.state === 'reminded')).toBe(true);
  });

  it('logs one JSON object per line and never the signature or the signing key', () => {
    const lines = logs.filter((l) => l.trim().startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const all = logs.join('\n');
    expect(all).not.toContain(SIGNING_KEY);
    expect(all).not.toMatch(/sig=/);
    const sig = answerLink('stopped').searchParams.get('sig')!;
    expect(all).not.toContain(sig);
  });
});
