/**
 * Faults at every external call of a run on AWS's backends (moto behind a fault proxy): S3 500, 503
 * SlowDown, a reset after the write took effect, a 412 from a concurrent writer; SES throttling,
 * the daily quota, MessageRejected, sending paused, AccessDenied; EventBridge entries failed inside a
 * successful PutEvents and an outage of the bus; Secrets Manager unavailable. Each run must say what
 * failed (its exit status and its log), and after the next run or follow-up (the fault gone) every
 * case is alerted once, every event stored and delivered, nothing left due, no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, ProxiedRequest } from '../fixtures/faulty-proxy.js';
import {
  type ChildResult,
  openScenario,
  openSuite,
  pool,
  type Scenario,
  type Settlement,
  type Suite,
  settlement,
} from './harness.js';
import { recordTrial } from './report.js';
import { FINDINGS, OWNERS_CSV } from './scenario-data.js';

const NOW = '2026-03-03T08:00:00.000Z';
const LATER = '2026-03-03T09:00:00.000Z';
const AFTER = '2026-03-03T10:00:00.000Z';
const DAYS = ['2026-02-28', '2026-03-01'];

const s3Error = (status: number, code: string, message: string): Fault => ({
  answer: status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`,
});
const restJsonError = (status: number, type: string, message: string): Fault => ({
  answer: status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  body: JSON.stringify({ message }),
});
const jsonError = (status: number, type: string, message: string): Fault => ({
  answer: status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify({ __type: type, message }),
});

const isSes = (r: ProxiedRequest) => r.url.startsWith('/v2/email/outbound-emails');
const isS3Put = (r: ProxiedRequest, part: string) => r.method === 'PUT' && r.url.includes(`/state/${part}`);
const isPutEvents = (r: ProxiedRequest) => r.target === 'AWSEvents.PutEvents';

/** A plan that faults each of the first `keys` distinct keys written once (a retry of the same request passes). */
const oncePerKey = (keys: number, match: (r: ProxiedRequest) => boolean, fault: Fault) => () => {
  const seen = new Set<string>();
  return (r: ProxiedRequest): Fault | undefined => {
    const key = r.url.split('?')[0]!;
    if (!match(r) || seen.has(key) || seen.size >= keys) return undefined;
    seen.add(key);
    return fault;
  };
};

/** A plan that faults the first `times` matching requests, retries included (Infinity: all of them). */
const first =
  (times: number, match: (r: ProxiedRequest) => boolean, fault: Fault | ((r: ProxiedRequest) => Fault)) =>
  () => {
    let left = times;
    return (r: ProxiedRequest): Fault | undefined => {
      if (left <= 0 || !match(r)) return undefined;
      left -= 1;
      return typeof fault === 'function' ? fault(r) : fault;
    };
  };

/** EventBridge takes every entry but the first, and reports that one failed (throttled) inside a 200. */
const partialPutEvents: Fault = {
  handle: async (request, forward) => {
    const body = JSON.parse(request.body.toString('utf8')) as { Entries: unknown[] };
    const rest = body.Entries.slice(1);
    const accepted = rest.length
      ? ((
          JSON.parse(
            (await forward(Buffer.from(JSON.stringify({ ...body, Entries: rest })))).body.toString(),
          ) as {
            Entries: unknown[];
          }
        ).Entries ?? [])
      : [];
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, ...accepted],
      }),
    };
  },
};

interface FaultCase {
  service: string;
  fault: string;
  plan: () => (r: ProxiedRequest) => Fault | undefined;
  /** The faulted run's exit status, and what its output must say. */
  exit: 0 | 1;
  says: RegExp;
  /** What finishes the job once the fault is gone. */
  next: 'follow-up' | 'run';
  /** Checks right after the faulted run. */
  during?: (scenario: Scenario) => Promise<string[]>;
  /** Checks of its own in place of "everything alerted once" (the refused address). */
  check?: (s: Settlement, scenario: Scenario) => Promise<string[]>;
}

const CASES: FaultCase[] = [
  {
    service: 'S3',
    fault: '500 InternalError on the first write of each case file',
    plan: oncePerKey(
      4,
      (r) => isS3Put(r, 'cases/'),
      s3Error(500, 'InternalError', 'We encountered an internal error.'),
    ),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: '503 SlowDown three times on a notification log write (the SDK retries four times)',
    plan: first(
      3,
      (r) => isS3Put(r, 'notifications/'),
      s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
    ),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: '503 SlowDown on every notification log write for the whole run',
    plan: first(
      Number.POSITIVE_INFINITY,
      (r) => isS3Put(r, 'notifications/'),
      s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
    ),
    exit: 1,
    says: /S3 PutObject s3:\/\/.*notifications\/.*SlowDown/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: 'connection reset after a create-only case write took effect (the retry meets 412)',
    plan: first(2, (r) => isS3Put(r, 'cases/') && r.headers['if-none-match'] === '*', {
      resetAfterForward: true,
    }),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: 'connection reset after an if-match case write took effect',
    plan: first(3, (r) => isS3Put(r, 'cases/') && r.headers['if-match'] !== undefined, {
      resetAfterForward: true,
    }),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: '412 PreconditionFailed on if-match case writes (a concurrent writer)',
    plan: first(
      3,
      (r) => isS3Put(r, 'cases/') && r.headers['if-match'] !== undefined,
      s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
    ),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'S3',
    fault: '503 on the owners file read, twice',
    plan: first(
      2,
      (r) => r.method === 'GET' && r.url.includes('owners.csv'),
      s3Error(503, 'ServiceUnavailable', 'Service is unable to handle request.'),
    ),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'SES',
    fault: 'TooManyRequestsException twice on each of the first sends',
    plan: first(4, isSes, restJsonError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.')),
    exit: 0,
    says: /"messages_sent":4/,
    next: 'follow-up',
  },
  {
    service: 'SES',
    fault: 'throttled throughout the run (every attempt of every send)',
    plan: first(
      Number.POSITIVE_INFINITY,
      isSes,
      restJsonError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.'),
    ),
    exit: 0,
    says: /failed, will retry: SES SendEmail .*failed after 5 attempts.*TooManyRequestsException/,
    next: 'follow-up',
  },
  {
    service: 'SES',
    fault: 'daily quota used up',
    plan: first(
      Number.POSITIVE_INFINITY,
      isSes,
      restJsonError(400, 'LimitExceededException', 'Daily message quota exceeded.'),
    ),
    exit: 0,
    says: /daily sending quota is used up[\s\S]*not attempted/,
    next: 'follow-up',
  },
  {
    service: 'SES',
    fault: "MessageRejected naming one owner's address (SES sandbox)",
    plan: first(
      1,
      (r) => isSes(r) && r.body.toString().includes('bo@example.com'),
      restJsonError(
        400,
        'MessageRejected',
        'Email address is not verified. The following identities failed the check in region US-EAST-1: bo@example.com',
      ),
    ),
    exit: 0,
    says: /refused for good: SES SendEmail .*SES refused bo@example\.com/,
    next: 'follow-up',
    check: async (s, scenario) => {
      const problems: string[] = [];
      const bo = (await scenario.cases()).find((c) => c.account_id === '333333333333')!;
      if (!bo.refused.some((r) => r.address === 'bo@example.com'))
        problems.push('the refused address is not on the case');
      if (bo.due.length > 0) problems.push("bo's alert is still due");
      const digests = (await scenario.mail()).filter((m) => m.subject.startsWith('FinOps digest'));
      if (!digests.some((d) => /1 refused address/.test(d.subject)))
        problems.push('no digest reports the refused address');
      const others = s.lost.filter((k) => k !== bo.case_key);
      if (others.length > 0) problems.push(`lost: ${others.join(', ')}`);
      if (s.duplicated.length > 0) problems.push(`duplicated: ${JSON.stringify(s.duplicated)}`);
      if (s.eventsMissing.length > 0 || s.stillDue.length > 0) problems.push(JSON.stringify(s));
      return problems;
    },
  },
  {
    service: 'SES',
    fault: 'sending paused for the account',
    plan: first(
      Number.POSITIVE_INFINITY,
      isSes,
      restJsonError(400, 'SendingPausedException', 'Sending is paused for this account.'),
    ),
    exit: 0,
    says: /SendingPausedException[\s\S]*resume it in SES/,
    next: 'follow-up',
  },
  {
    service: 'SES',
    fault: 'AccessDenied (the role may not send to a sandbox recipient)',
    plan: first(
      Number.POSITIVE_INFINITY,
      isSes,
      restJsonError(
        403,
        'AccessDeniedException',
        "User `arn:aws:sts::123456789012:assumed-role/detect/x' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/bo@example.com'",
      ),
    ),
    exit: 0,
    says: /IAM refused the send[\s\S]*sandbox/,
    next: 'follow-up',
  },
  {
    service: 'EventBridge',
    fault: 'one entry of each of the first PutEvents failed (throttled) inside a successful call',
    plan: first(3, isPutEvents, partialPutEvents),
    exit: 0,
    says: /"outcome":"succeeded"/,
    next: 'follow-up',
  },
  {
    service: 'EventBridge',
    fault: 'the bus unavailable for the whole run (500 on every PutEvents)',
    plan: first(
      Number.POSITIVE_INFINITY,
      isPutEvents,
      jsonError(500, 'InternalException', 'An internal error occurred.'),
    ),
    // The run's own event cannot be published, so the run fails, naming the bus; the run is recorded
    // failed and the next detection repeats it. The case events stay due on their cases meanwhile.
    exit: 1,
    says: /EventBridge bus .* not published[\s\S]*stay due/,
    next: 'follow-up',
    // An outage of the bus never holds back the emails (the case events are published later).
    during: async (scenario) => {
      const sent = (await scenario.mail()).length;
      const due = (await scenario.cases()).filter((c) => c.events_due.length > 0).length;
      return [
        ...(sent < 4 ? [`only ${sent} of the 4 emails went out while the bus was down`] : []),
        ...(due === 0 ? ['no case kept its events due while the bus was down'] : []),
      ];
    },
  },
  {
    service: 'Secrets Manager',
    fault: 'unavailable (GetSecretValue 500 throughout)',
    plan: first(
      Number.POSITIVE_INFINITY,
      (r) => r.target === 'secretsmanager.GetSecretValue',
      jsonError(500, 'InternalServiceError', 'An error occurred on the server side.'),
    ),
    exit: 1,
    says: /Secrets Manager|secret/i,
    next: 'run',
  },
];

let suite: Suite;
beforeAll(async () => {
  suite = await openSuite();
});
afterAll(async () => {
  await suite?.close();
});

const said = (r: ChildResult) => `${r.stdout}\n${r.stderr}`;

describe('faults at every external call of a run on S3, SES, EventBridge and Secrets Manager', () => {
  it('each run says what failed; the next run or follow-up finishes; nothing lost or sent twice', async () => {
    // SENTINEL_RELIABILITY_FAULTS=<regex> runs the matching cases only (a reproduction).
    const only = process.env.SENTINEL_RELIABILITY_FAULTS;
    const cases = only ? CASES.filter((c) => new RegExp(only, 'i').test(`${c.service}: ${c.fault}`)) : CASES;
    expect(cases.length).toBeGreaterThan(0);
    const outcomes = await pool(cases, 3, async (c) => {
      const scenario = await openScenario(suite, `fault-${c.service}-${c.fault}`, {
        findings: FINDINGS,
        ownersCsv: OWNERS_CSV,
      });
      const plan = c.plan();
      const faulted = await scenario.run('run', NOW, { asOfDays: DAYS, plan: (r) => plan(r) });
      const injected = scenario.proxy.seen.filter((s) => s.fault !== undefined).length;
      const problems: string[] = [];
      if (faulted.code !== c.exit)
        problems.push(`exit ${faulted.code}, not ${c.exit}: ${faulted.stderr.slice(0, 400)}`);
      if (!c.says.test(said(faulted)))
        problems.push(`its output does not say ${c.says}: ${said(faulted).slice(-600)}`);
      if (c.during) problems.push(...(await c.during(scenario)));
      const then =
        c.next === 'run'
          ? await scenario.run('run', LATER, { asOfDays: DAYS })
          : await scenario.run('follow-up', LATER);
      if (then.code !== 0) problems.push(`the ${c.next} after it failed: ${then.stderr.slice(0, 400)}`);
      const more = await scenario.run('follow-up', AFTER);
      if (more.code !== 0) problems.push(`a further follow-up failed: ${more.stderr.slice(0, 400)}`);
      const s = await settlement(scenario);
      if (c.check) problems.push(...(await c.check(s, scenario)));
      else if (
        s.lost.length ||
        s.duplicated.length ||
        s.eventsMissing.length ||
        s.stillDue.length ||
        s.unlogged
      ) {
        problems.push(JSON.stringify(s));
      }
      recordTrial({
        area: 'faults',
        tried: `${c.service}: ${c.fault}; then a ${c.next}`,
        times: injected,
        held:
          problems.length === 0
            ? `${c.exit === 0 ? 'the run finished' : 'the run failed'} and said so (${c.says.source.slice(0, 60)}); afterwards ${c.check ? 'the refused owner recorded and reported, every other case' : 'every case'} alerted once, every event stored and delivered, nothing due`
            : problems.join('; '),
        ok: problems.length === 0,
        figures: { 'faults injected': injected, 'SES messages': s.mails },
      });
      return { name: `${c.service}: ${c.fault}`, problems };
    });
    expect(outcomes.filter((o) => o.problems.length > 0)).toEqual([]);
  });
});
