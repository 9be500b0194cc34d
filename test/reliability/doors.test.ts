/**
 * Bad input at the doors. A run on AWS's backends (moto) alerts owners whose bill-sourced fields
 * (account name, usage types, resources, regions, tags, the model) carry script, markup and CR/LF;
 * the emails SES accepted must show them escaped, with no header injected. Then the ack handler, in
 * process with the environment a deployment gives it (its config in SENTINEL_CONFIG, the signing key
 * in Secrets Manager), gets forged, expired, truncated, re-cased, swapped and replayed links, wrong
 * methods, oversized, mis-encoded, base64 and multi-valued bodies and query strings, and header
 * injection: every answer is a 4xx page (never a 5xx), changes nothing it should not, injects no
 * header and renders the bill's markup escaped. No log line of any process holds the signing key.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import type { Finding } from '../../functions/core/types.js';
import { makeFinding } from '../fixtures/findings.js';
import { awsEnvironmentOnMoto, motoData } from '../fixtures/moto.js';
import { openScenario, openSuite, type Scenario, SIGNING_KEY, type Suite } from './harness.js';
import { recordTrial } from './report.js';

const NOW = new Date('2026-03-03T08:00:00.000Z');
const DAY = '2026-03-01';

/** What a bill's free-text field may hold; each must come out escaped wherever it is shown. */
const SCRIPT = '<script>alert(1)</script>';
const ATTR = '"><img src=x onerror=alert(2)>';
const LINK = "<a href='javascript:alert(3)'>x</a>";
const RAW = [/<script>alert\(1\)/i, /<img src=x/i, /<a href='javascript:/i];
const ESCAPED = [
  /&lt;script&gt;alert\(1\)/,
  /&lt;img src&#x3D;x|&lt;img src=x/,
  /&lt;a href&#x3D;|&lt;a href=/,
];

const entry = (key: string) => ({ key, recent_cost_usd: 50, baseline_cost_usd: 2, recent_tokens: 1000 });

function hostileFindings(): Finding[] {
  const breakdown = {
    token_classes: [entry(`output ${SCRIPT}`)],
    usage_types: [entry(`USE1-${ATTR}-output-tokens`)],
    resources: [entry(`arn:aws:bedrock:us-east-1:111111111111:${LINK}`)],
    regions: [entry(`us-east-1${SCRIPT}`)],
    tags: [entry(`team=${ATTR}`)],
  };
  const runaway = makeFinding({
    account: '711111111111',
    asOf: DAY,
    recent: 140,
    baseline: 6,
    accountName: `Payments ${SCRIPT}\r\nBcc: intruder@example.com`,
  });
  const cache = makeFinding({
    account: '722222222222',
    asOf: DAY,
    detector: 'cache-miss',
    model: `Claude${ATTR}\r\nX-Injected: yes`,
    accountName: `Search ${LINK}`,
  });
  return [
    { ...runaway, breakdown },
    { ...cache, breakdown },
  ] as Finding[];
}

const OWNERS = `account_id,owner_email,account_name,team,cc
711111111111,ana@example.com,"Payments ${SCRIPT.replace(/"/g, '""')}","pay ${ATTR.replace(/"/g, '""')}",
722222222222,bo@example.com,"Search ${LINK}",search,
`;

type AckResponse = { statusCode: number; headers?: Record<string, string>; body: string };
let ack: (event: unknown, context: Context) => Promise<AckResponse>;
let suite: Suite;
let scenario: Scenario;
const logs: string[] = [];
const context = {
  awsRequestId: 'doors',
  functionName: 'sentinel-ack',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function httpEvent(
  method: string,
  options: {
    query?: Record<string, string>;
    rawQuery?: string;
    body?: string;
    base64?: boolean;
    headers?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/ack',
    rawQueryString: options.rawQuery ?? new URLSearchParams(options.query ?? {}).toString(),
    headers:
      options.headers ??
      (options.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: { http: { method, path: '/ack' } } as APIGatewayProxyEventV2['requestContext'],
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.base64 ?? false,
  } as APIGatewayProxyEventV2;
}

interface SesMessage {
  source: string;
  subject: string;
  body: string;
  destinations: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
}
const sesMail = async (): Promise<SesMessage[]> =>
  (((await motoData()).ses?.Message ?? []) as unknown as SesMessage[]).filter(
    (m) => m.source === scenario.from,
  );

const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
async function links(): Promise<Map<string, Record<string, string>[]>> {
  const out = new Map<string, Record<string, string>[]>();
  for (const m of await sesMail()) {
    for (const match of m.body.matchAll(/https:\/\/rel\.example\.com\/ack\?[^"'\s<]*/g)) {
      const params = Object.fromEntries(new URL(decode(match[0])).searchParams);
      const list = out.get(params.case!) ?? [];
      if (!list.some((l) => l.sig === params.sig)) list.push(params);
      out.set(params.case!, list);
    }
  }
  return out;
}

beforeAll(async () => {
  suite = await openSuite();
  scenario = await openScenario(suite, 'doors', { findings: hostileFindings(), ownersCsv: OWNERS });
  const run = await scenario.run('run', NOW.toISOString(), { asOfDays: [DAY] });
  expect(run.code, run.stderr).toBe(0);

  // The ack function as deployed: its config from the environment, its key from Secrets Manager.
  awsEnvironmentOnMoto();
  process.env.SENTINEL_CONFIG = JSON.stringify(scenario.config);
  process.env.SENTINEL_SIGNING_SECRET_ARN = suite.secretArn;
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'sentinel-ack';
  delete process.env.SENTINEL_SIGNING_KEY;
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
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  vi.resetModules();
  ack = (await import('../../functions/handlers/ack.js')).handler as never;
});

afterAll(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  await suite?.close();
});

/** What every answer of the door must be: a page, no header a request could have put there. */
function pageProblems(what: string, r: AckResponse, status: number | ((s: number) => boolean)): string[] {
  const problems: string[] = [];
  const ok = typeof status === 'number' ? r.statusCode === status : status(r.statusCode);
  if (!ok) problems.push(`${what}: status ${r.statusCode}`);
  if (r.statusCode >= 500) problems.push(`${what}: a 5xx`);
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(String(value)))
      problems.push(`${what}: CR/LF in header ${name}`);
    if (/^(set-cookie|x-injected|location)$/i.test(name)) problems.push(`${what}: header ${name} answered`);
  }
  for (const raw of RAW) if (raw.test(r.body)) problems.push(`${what}: raw markup ${raw} in the page`);
  if (r.body.includes(SIGNING_KEY)) problems.push(`${what}: the signing key in the page`);
  return problems;
}

describe('bad input at the doors', () => {
  it('renders every bill-sourced field escaped in the emails and injects no header', async () => {
    const mail = await sesMail();
    const problems: string[] = [];
    const alerts = mail.filter((m) => !m.subject.startsWith('FinOps digest'));
    if (alerts.length < 2) problems.push(`${alerts.length} owner alerts, expected 2`);
    for (const m of mail) {
      for (const raw of RAW) if (raw.test(m.body)) problems.push(`"${m.subject}": raw ${raw}`);
      if (/[\r\n]/.test(m.subject)) problems.push(`"${m.subject}": CR/LF in the subject`);
      const all = [
        ...(m.destinations.ToAddresses ?? []),
        ...(m.destinations.CcAddresses ?? []),
        ...(m.destinations.BccAddresses ?? []),
      ];
      if (all.some((a) => a.includes('intruder')))
        problems.push(`"${m.subject}": the injected Bcc was sent to`);
    }
    // The fields were shown at all (escaped), or the check above would prove nothing.
    const bodies = mail.map((m) => m.body).join('\n');
    for (const escaped of ESCAPED)
      if (!escaped.test(bodies)) problems.push(`no escaped ${escaped} in any email`);
    recordTrial({
      area: 'doors',
      tried:
        'script, markup and CR/LF in every bill-sourced field (account name, token classes, usage types, resources, regions, tags, model) and in the owners file: the emails SES accepted',
      times: mail.length,
      held:
        problems.length === 0
          ? 'every field shown escaped; no CR/LF in a subject; no injected recipient'
          : problems.join('; '),
      ok: problems.length === 0,
      figures: { emails: mail.length },
    });
    expect(problems).toEqual([]);
  });

  it('answers every bad request with a 4xx page and changes nothing; a good answer is recorded, none after close', async () => {
    const byCase = await links();
    const [caseA, caseB] = [...byCase.keys()];
    expect(caseA && caseB, 'answer links of two cases').toBeTruthy();
    const a = byCase.get(caseA!)!;
    const stopped = a.find((l) => l.answer === 'stopped')!;
    const investigating = a.find((l) => l.answer === 'investigating')!;
    const otherCase = byCase.get(caseB!)!.find((l) => l.answer === 'stopped')!;
    const before = JSON.stringify(await scenario.cases());
    const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
    const flip = (s: string) => s.replace(/[a-z]/, (c) => c.toUpperCase());
    const is4xx = (s: number) => s >= 400 && s < 500;

    const bad: [string, APIGatewayProxyEventV2, number | ((s: number) => boolean)][] = [
      [
        'forged signature',
        httpEvent('GET', { query: { ...stopped, sig: 'A'.repeat(stopped.sig!.length) } }),
        403,
      ],
      ['signature of another case', httpEvent('GET', { query: { ...stopped, case: otherCase.case! } }), 403],
      ['answer swapped', httpEvent('GET', { query: { ...stopped, answer: 'legitimate' } }), 403],
      ['answer outside the three', httpEvent('GET', { query: { ...stopped, answer: 'ignore' } }), is4xx],
      ['epoch changed', httpEvent('GET', { query: { ...stopped, epoch: '9' } }), 403],
      [
        'expiry moved later',
        httpEvent('GET', { query: { ...stopped, exp: String(Number(stopped.exp) + 86_400) } }),
        403,
      ],
      [
        'signature truncated',
        httpEvent('GET', { query: { ...stopped, sig: stopped.sig!.slice(0, -4) } }),
        is4xx,
      ],
      [
        'signature in another case (letters)',
        httpEvent('GET', { query: { ...stopped, sig: flip(stopped.sig!) } }),
        403,
      ],
      [
        'case key in upper case',
        httpEvent('GET', { query: { ...stopped, case: stopped.case!.toUpperCase() } }),
        is4xx,
      ],
      ['no parameters', httpEvent('GET', { query: {} }), 400],
      [
        'multi-valued query (API Gateway joins with a comma)',
        httpEvent('GET', { query: { ...stopped, case: `${stopped.case},${otherCase.case}` } }),
        is4xx,
      ],
      [
        'mis-encoded query',
        httpEvent('GET', { rawQuery: 'case=%ZZ&sig=%E0%A4', query: { case: '%ZZ', sig: '\uFFFD' } }),
        is4xx,
      ],
      [
        'CR/LF in a parameter (header injection)',
        httpEvent('GET', {
          query: {
            ...stopped,
            answer: 'stopped\r\nSet-Cookie: x=1',
            case: `${stopped.case}\r\nLocation: https://evil.example`,
          },
        }),
        is4xx,
      ],
      ...(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE'] as const).map(
        (m) =>
          [`method ${m}`, httpEvent(m, { query: stopped }), 405] as [string, APIGatewayProxyEventV2, number],
      ),
      [
        'POST over 16 KB',
        httpEvent('POST', { body: form({ ...stopped, note: 'x'.repeat(17 * 1024) }) }),
        413,
      ],
      [
        'POST over 16 KB, base64',
        httpEvent('POST', {
          body: Buffer.from(form({ ...stopped, note: 'x'.repeat(17 * 1024) })).toString('base64'),
          base64: true,
        }),
        413,
      ],
      [
        'POST as JSON',
        httpEvent('POST', { body: JSON.stringify(stopped), headers: { 'content-type': 'application/json' } }),
        415,
      ],
      [
        'POST without a body',
        httpEvent('POST', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        is4xx,
      ],
      ['POST mis-encoded form', httpEvent('POST', { body: 'case=%ZZ&answer=%E0%A4&sig=%' }), is4xx],
      [
        'POST invalid UTF-8 (base64)',
        httpEvent('POST', {
          body: Buffer.from([0x63, 0x61, 0x73, 0x65, 0x3d, 0xff, 0xfe, 0xc3]).toString('base64'),
          base64: true,
        }),
        is4xx,
      ],
      // Each parameter's first value: the other case's whole link, never a mix of the two links.
      [
        'POST multi-valued: a second case and signature after the first',
        httpEvent('POST', { body: `${form(otherCase)}&case=${stopped.case}&sig=${stopped.sig}` }),
        (s) => s === 200 || is4xx(s),
      ],
      [
        'POST forged signature',
        httpEvent('POST', { body: form({ ...investigating, sig: 'B'.repeat(investigating.sig!.length) }) }),
        403,
      ],
      [
        'POST with CR/LF in the note and a parameter',
        httpEvent('POST', {
          body: form({
            ...investigating,
            answer: 'investigating\r\nSet-Cookie: y=2',
            note: `x\r\nX-Injected: yes ${SCRIPT}`,
          }),
        }),
        is4xx,
      ],
    ];
    const problems: string[] = [];
    for (const [what, event, status] of bad) {
      const r = await ack(event, context);
      problems.push(...pageProblems(what, r, status));
    }
    // The multi-valued POST may answer the other case (its first values are that link): checked apart.
    const multiValued = (await scenario.cases()).find((c) => c.case_key === caseB)!;
    const afterBad = (await scenario.cases()).filter((c) => c.case_key !== caseB);
    const untouched = (JSON.parse(before) as CaseRecord[]).filter((c) => c.case_key !== caseB);
    if (JSON.stringify(afterBad) !== JSON.stringify(untouched)) problems.push('a bad request changed a case');
    if (multiValued.answers.length > 1) problems.push('the multi-valued POST recorded more than one answer');

    // The expired link, at its expiry plus a second.
    vi.setSystemTime(new Date(Number(stopped.exp) * 1000 + 1000));
    problems.push(
      ...pageProblems('expired link', await ack(httpEvent('GET', { query: stopped }), context), 410),
    );
    vi.setSystemTime(NOW);

    // A good answer, with markup in its note, and the same POST replayed (a later `investigating`
    // records its note and changes neither state nor deadline: docs/cases.md "Answers").
    const post = (p: Record<string, string>, note: string) =>
      ack(httpEvent('POST', { body: form({ ...p, note }) }), context);
    const caseOf = async () => (await scenario.cases()).find((c) => c.case_key === caseA)!;
    problems.push(
      ...pageProblems('the good answer', await post(investigating, `rolled back ${SCRIPT}`), 200),
    );
    const acknowledged = await caseOf();
    problems.push(...pageProblems('the same answer replayed', await post(investigating, 'again'), 200));
    const replayed = await caseOf();
    if (acknowledged.state !== 'acknowledged')
      problems.push(`the good answer left the case ${acknowledged.state}`);
    if (replayed.state !== acknowledged.state || replayed.deadline !== acknowledged.deadline)
      problems.push('the replayed answer moved the state or the deadline');
    const page = await ack(httpEvent('GET', { query: stopped }), context);
    problems.push(...pageProblems('the confirmation page', page, 200));
    if (!/Payments &lt;script&gt;/.test(page.body))
      problems.push('the answer page shows no escaped account name');
    // Closed by `stopped`; then the links replayed after close change nothing.
    problems.push(...pageProblems('stopped', await post(stopped, ''), 200));
    const closed = await caseOf();
    if (closed.state !== 'resolved') problems.push(`stopped left the case ${closed.state}`);
    const legitimate = a.find((l) => l.answer === 'legitimate')!;
    for (const [what, link] of [
      ['stopped replayed after close', stopped],
      ['legitimate after close', legitimate],
      ['investigating after close', investigating],
    ] as const) {
      problems.push(...pageProblems(what, await post(link, 'late'), is4xx));
    }
    if (JSON.stringify(await caseOf()) !== JSON.stringify(closed))
      problems.push('an answer after close changed the case');

    const requests = bad.length + 8;
    recordTrial({
      area: 'doors',
      tried:
        '/ack: forged, swapped (case, answer, epoch, expiry), truncated, re-cased, expired and replayed links; PUT, DELETE, PATCH, OPTIONS, HEAD, TRACE; bodies over 16 KB (plain and base64), JSON, empty, mis-encoded, invalid UTF-8, multi-valued; CR/LF in parameters and the note',
      times: requests,
      held:
        problems.length === 0
          ? 'each a 4xx page with the reason (405, 413, 415, 400, 403, 410, closed), no 5xx, no header injected, markup escaped; no case changed by a bad request; the good answer recorded, a replay moved nothing, answers after close refused'
          : problems.join('; '),
      ok: problems.length === 0,
      figures: { requests },
    });
    expect(problems).toEqual([]);
  });

  it('logs the signing key nowhere: not the runs, not the ack function', async () => {
    const all = [...suite.logs, ...logs].join('\n');
    const lines = all.split('\n').filter(Boolean).length;
    const leaked = all.includes(SIGNING_KEY);
    recordTrial({
      area: 'doors',
      tried:
        'every log line of the run and of the ack function (its key read from Secrets Manager), searched for the signing key',
      times: lines,
      held: leaked ? 'the signing key is in the logs' : 'the key appears in no log line',
      ok: !leaked,
      figures: { 'log lines': lines },
    });
    expect(lines).toBeGreaterThan(10);
    expect(leaked).toBe(false);
  });
});
