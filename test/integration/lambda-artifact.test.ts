/**
 * The artifact as deployed (docs/decisions/018-the-artifact-as-deployed.md): the zips of `npm run package`
 * run under Node 22 in the Runtime Interface Emulator, each with the environment its template gives it,
 * the SDK talking HTTP to moto (S3, SES, EventBridge, Secrets Manager) and to the Athena shim over the
 * test Trino. Scheduled detect → findings, cases, emails, events; the ack function's GET and POST
 * through API Gateway's v2 event; a follow-up 49 hours later sends the reminders; the detect function
 * stopped by its timeout records itself as failed and the next invocation, started cold, finishes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../functions/core/runs.js';
import { type DeployedStack, deployStack } from '../fixtures/deployed-stack.js';
import type { RunningFunction } from '../fixtures/lambda-rie.js';
import { ensureLambdaRuntime } from '../setup/lambda-runtime.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

let stack: DeployedStack;
const running: RunningFunction[] = [];
const start = async (...args: Parameters<DeployedStack['start']>) => {
  const fn = await stack.start(...args);
  running.push(fn);
  return fn;
};

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

function httpEvent(method: 'GET' | 'POST', params: Record<string, string>) {
  const query = new URLSearchParams(params).toString();
  return {
    version: '2.0',
    routeKey: `${method} /ack`,
    rawPath: '/ack',
    rawQueryString: method === 'GET' ? query : '',
    headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    queryStringParameters: method === 'GET' ? params : undefined,
    requestContext: {
      http: { method, path: '/ack', sourceIp: '198.51.100.7' },
      requestId: 'r',
      stage: '$default',
    },
    body: method === 'POST' ? Buffer.from(query).toString('base64') : undefined,
    isBase64Encoded: method === 'POST',
  };
}

beforeAll(async () => {
  const runtime = await ensureLambdaRuntime();
  stack = await deployStack({ runtime });
});

afterAll(async () => {
  for (const fn of running) await fn.stop();
  await stack?.athena.close();
});

describe('the packaged functions in the Lambda runtime (Node 22, the Runtime Interface Emulator)', () => {
  it('runs Node 22 with the template environment: the detect zip finds, opens cases, mails and publishes', async () => {
    const detect = await start('detect');
    expect(detect.spec.environment.SENTINEL_CONFIG).toContain('"engine":"athena"');
    const result = await detect.invoke(scheduled);
    expect(result.failed, result.logs).toBe(false);
    expect(result.json).toMatchObject({ outcome: 'succeeded' });
    expect((result.json as { findings: number }).findings).toBeGreaterThan(0);
    // Powertools' JSON lines, as CloudWatch would get them, name the function and the runtime.
    expect(result.logs).toMatch(/"function_name":"ai-spend-sentinel-rel-[0-9a-f]{6}-detect"/);
    expect(result.logs).toMatch(/detection run finished/);
    const [runKey] = await stack.keys('runs/');
    const run = await stack.json<RunRecord>(runKey!);
    expect(run).toMatchObject({ command: 'scheduled-detect', engine: 'athena', outcome: 'succeeded' });
    expect(run.query_ids.length).toBe(run.statements);
    expect(run.bytes_scanned).toBeGreaterThan(0);
    // The four Athena calls, over HTTP.
    const operations = new Set(stack.athena.calls.map((c) => c.operation));
    expect([...operations].sort()).toEqual(['GetQueryExecution', 'GetQueryResults', 'StartQueryExecution']);
    expect(
      stack.athena.calls.filter((c) => c.operation === 'GetQueryResults').some((c) => c.input.NextToken),
    ).toBe(false);
    expect((await stack.cases()).length).toBeGreaterThan(0);
    expect((await stack.mail()).length).toBeGreaterThan(0);
    const types = (await stack.events()).map((e) => e['detail-type']);
    expect(types).toContain('Case Opened');
    expect(types).toContain('Detection Run Completed');
    // The runtime is Node 22 (the bundle's target).
    expect(detect.logs()).toMatch(/INIT_START Runtime Version: nodejs:22\.23\.5/);
  });

  it('the ack zip: GET shows the confirmation and changes nothing; POST (base64 form body) records the answer', async () => {
    const mail = await stack.mail();
    const link = mail
      .map(
        (m) =>
          /https:\/\/relapi\.execute-api\.us-east-1\.amazonaws\.com\/ack\?[^"]*answer(?:=|&#x3D;)investigating[^"]*/.exec(
            m.body,
          )?.[0],
      )
      .find(Boolean);
    expect(link).toBeDefined();
    const params = Object.fromEntries(
      new URL(link!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')).searchParams,
    );
    const ack = await start('ack');
    const before = (await stack.cases()).find((c) => c.case_key === params.case)!;
    const page = await ack.invoke(httpEvent('GET', params));
    expect(page.json).toMatchObject({ statusCode: 200 });
    expect((page.json as { body: string }).body).toContain('<form');
    expect((await stack.cases()).find((c) => c.case_key === params.case)).toEqual(before);
    const posted = await ack.invoke(httpEvent('POST', { ...params, note: 'rolled back the agent' }));
    expect(posted.json, posted.logs).toMatchObject({ statusCode: 200 });
    expect((await stack.cases()).find((c) => c.case_key === params.case)!.state).toBe('acknowledged');
    expect((await stack.events()).map((e) => e['detail-type'])).toContain('Case Acknowledged');
  });

  it('the follow-up zip, 49 hours later, sends the reminders', async () => {
    const before = (await stack.mail()).length;
    const followUp = await start('followUp', { now: '2026-03-05T09:00:00.000Z' });
    const result = await followUp.invoke(scheduled);
    expect(result.failed, result.logs).toBe(false);
    expect((result.json as { cases_moved: number }).cases_moved).toBeGreaterThan(0);
    expect((await stack.mail()).length).toBeGreaterThan(before);
    expect((await stack.cases()).some((c) => c.state === 'reminded')).toBe(true);
  });

  it('stopped by its timeout, detect stops its Athena query and records itself failed; the next cold start finishes the days', async () => {
    // A fresh stack day: a run one week later, with every statement hanging until the function is stopped.
    stack.athena.faults.statement = (sql) => (sql.startsWith('CREATE TABLE') ? { state: 'HANG' } : undefined);
    const detect = await start('detect', { timeoutSeconds: 36, now: '2026-03-10T06:00:00.000Z' });
    const stopped = await detect.invoke(scheduled);
    expect(stopped.failed).toBe(true);
    expect(stopped.logs).toMatch(/RunAbortedError|stopped/);
    expect(stack.athena.calls.some((c) => c.operation === 'StopQueryExecution')).toBe(true);
    const runs = await Promise.all((await stack.keys('runs/')).map((k) => stack.json<RunRecord>(k)));
    const failed = runs.find(
      (r) => r.started_at.startsWith('2026-03-10') && r.command === 'scheduled-detect',
    );
    expect(failed).toMatchObject({ outcome: 'failed' });
    expect(failed!.error).toMatch(/stopped|abort/i);
    expect((await stack.events()).some((e) => e['detail-type'] === 'Run Failed')).toBe(true);
    stack.athena.faults.statement = undefined;
    const again = await detect.invoke(scheduled);
    expect(again.failed, again.logs).toBe(false);
    expect(again.json).toMatchObject({ outcome: expect.stringMatching(/succeeded|stale/) });
  });
});
