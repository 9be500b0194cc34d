/**
 * The /ack page in a real browser: headless Chromium (Debian's, driven by playwright-core) opens an
 * answer link served by the `ack` handler on a local HTTP server, sees the answer and the note
 * field, submits, and the case changes state; a tampered link shows the error page. Screenshots
 * go to `.screenshots/` (git-ignored) for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = resolve('.screenshots');
let work: string;
let out: string;
let server: Server;
let base: string;
let browser: Browser;
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let ack: (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

const context = { awsRequestId: 'browser', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** An HTTP request as API Gateway HTTP API v2 hands it to the function. */
function toEvent(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    requestContext: { http: { method, path: url.pathname } } as APIGatewayProxyEventV2['requestContext'],
    body: body === '' ? undefined : body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

function linkFor(answer: string): URL {
  for (const name of readdirSync(join(out, 'outbox')).filter((n) => n.endsWith('.txt'))) {
    const match = new RegExp(`https://ack\\.example\\.test/ack\\?\\S*answer=${answer}\\S*`).exec(
      readFileSync(join(out, 'outbox', name), 'utf8'),
    );
    if (match) {
      const link = new URL(match[0]);
      return new URL(`/ack${link.search}`, base);
    }
  }
  throw new Error(`no ${answer} link in the outbox`);
}

const caseOf = (key: string): CaseRecord =>
  JSON.parse(readFileSync(join(out, 'cases', `${key}.json`), 'utf8')) as CaseRecord;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  }
  work = mkdtempSync(join(tmpdir(), 'sentinel-ack-browser-'));
  out = join(work, 'out');
  const today = new Date().toISOString().slice(0, 10);
  const end = new Date(Date.parse(`${today}T00:00:00Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
  const org = await writeSyntheticOrganization(join(work, 'gen'), { seed: 5, accounts: 12, days: 90, end });
  process.env.SENTINEL_CONFIG = JSON.stringify({
    focus: org.exportDir,
    out,
    owners: org.ownersFile,
    notify: { ack_base_url: 'https://ack.example.test/ack' },
  });
  process.env.SENTINEL_SIGNING_KEY = 'browser-test-signing-key-0123456789';
  const detect = (await import('../../functions/handlers/detect.js')).handler as unknown as Handler;
  await detect({}, { ...context, getRemainingTimeInMillis: () => 900_000 } as Context);
  ack = (await import('../../functions/handlers/ack.js')).handler as never;

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', base);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const response = await ack(
        toEvent(req.method ?? 'GET', url, headers, Buffer.concat(chunks).toString('utf8')),
        context,
      );
      // As API Gateway serializes the result: a header middy unset (undefined) is not sent.
      const sent = Object.entries(response.headers).filter(([, v]) => v !== undefined);
      res.writeHead(response.statusCode, Object.fromEntries(sent));
      res.end(response.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the ack page in Chromium', () => {
  it('shows the answer and the note field, records the answer on submit, and the case changes state', async () => {
    const link = linkFor('investigating');
    const caseKey = link.searchParams.get('case')!;
    expect(caseOf(caseKey).state).toBe('open');
    for (const width of [400, 900]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(link.href);
      await page.screenshot({ path: join(SHOTS, `ack-confirm-${width}.png`), fullPage: true });
      await page.close();
    }
    expect(caseOf(caseKey).state).toBe('open');

    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(link.href);
    expect(await page.textContent('h1')).toContain('Confirm your answer');
    expect(await page.textContent('.answer')).toBe('Investigating');
    await page.fill('textarea[name="note"]', 'retry loop in the ingestion agent; rolled back');
    await Promise.all([page.waitForURL(`${base}/ack`), page.click('button[type="submit"]')]);
    expect(await page.textContent('h1')).toContain('your answer is recorded');
    await page.screenshot({ path: join(SHOTS, 'ack-recorded-900.png'), fullPage: true });
    await page.close();

    const c = caseOf(caseKey);
    expect(c.state).toBe('acknowledged');
    expect(c.answers.at(-1)).toMatchObject({
      answer: 'investigating',
      note: 'retry loop in the ingestion agent; rolled back',
    });
  });

  it('a tampered link shows the error page and changes nothing', async () => {
    const link = linkFor('stopped');
    const caseKey = link.searchParams.get('case')!;
    const before = JSON.stringify(caseOf(caseKey));
    link.searchParams.set('answer', 'legitimate');
    const page = await browser.newPage({ viewport: { width: 400, height: 800 } });
    const response = await page.goto(link.href);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('h1')).toContain('This link cannot be used');
    expect(await page.textContent('body')).toContain('signature mismatch');
    expect(await page.locator('form').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'ack-tampered-400.png'), fullPage: true });
    await page.close();
    expect(JSON.stringify(caseOf(caseKey))).toBe(before);
  });
});
