/**
 * Load: 1,000 owners alerted in one run, and 200 reminders in one follow-up, through SES as a busy
 * account sees it: a fault proxy in front of moto answers SendEmail with SES's own throttling error
 * (429 TooManyRequestsException, "Maximum sending rate exceeded") beyond 14 messages a second (a token
 * bucket of 14), and with a 500 to 1% of the sends it lets through (a seeded draw). The real SDK
 * parses the real HTTP answers, which a mocked client would not show. The case store, owners file and
 * events are the local adapters (a directory, `events.jsonl`): over moto's S3, which serves one request
 * at a time, the run's 12,000-odd store calls take most of ten minutes and would measure moto, not the
 * sending. Every case must be alerted (or reminded) once, nothing left due, no message sent twice;
 * the duration and the SES calls are the figures.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord, NotificationEntry } from '../../functions/core/cases/model.js';
import type { Finding } from '../../functions/core/types.js';
import type { Fault, ProxiedRequest } from '../fixtures/faulty-proxy.js';
import { makeFinding } from '../fixtures/findings.js';
import { motoData } from '../fixtures/moto.js';
import { openScenario, openSuite, type Scenario, type Suite } from './harness.js';
import { recordTrial } from './report.js';

const NOW = '2026-03-03T08:00:00.000Z';
/** Past the 48-hour deadline: every open case is reminded. */
const REMIND = '2026-03-05T09:00:00.000Z';
const DAY = '2026-03-01';
const RATE = 14;

const isSes = (r: ProxiedRequest) => r.url.startsWith('/v2/email/outbound-emails');

const sesError = (status: number, type: string, message: string): Fault => ({
  answer: status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  body: JSON.stringify({ message }),
});

/** A small seeded generator (mulberry32): the same 1% of sends fail on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SesCounts {
  calls: number;
  throttled: number;
  failed: number;
  accepted: number;
}

/** SES at 14 messages a second with 1% transient failures; counts what it answered. */
function busySes(counts: SesCounts, seed: number) {
  const random = seeded(seed);
  let tokens = RATE;
  let last = Date.now();
  return (r: ProxiedRequest): Fault | undefined => {
    if (!isSes(r)) return undefined;
    counts.calls += 1;
    const now = Date.now();
    tokens = Math.min(RATE, tokens + ((now - last) / 1000) * RATE);
    last = now;
    if (tokens < 1) {
      counts.throttled += 1;
      return sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
    }
    tokens -= 1;
    if (random() < 0.01) {
      counts.failed += 1;
      return sesError(
        500,
        'InternalFailure',
        'The request processing has failed because of an unknown error.',
      );
    }
    counts.accepted += 1;
    return undefined;
  };
}

function owners(n: number, first: number) {
  const accounts = Array.from({ length: n }, (_, i) => String(first + i));
  const findings = accounts.map((account, i) =>
    makeFinding({ account, asOf: DAY, recent: 100 + (i % 50), baseline: 5 }),
  );
  const csv = `account_id,owner_email,account_name,team,cc\n${accounts
    .map((a, i) => `${a},owner-${i}@example.com,Account ${i},team-${i % 20},`)
    .join('\n')}\n`;
  return { findings, csv };
}

/** A scenario whose state, owners and events are local; its SES calls go through its proxy to moto. */
async function localScenario(name: string, findings: Finding[], csv: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-load-'));
  writeFileSync(join(dir, 'owners.csv'), csv);
  const scenario = await openScenario(suite, name, {
    findings,
    ownersCsv: csv,
    config: { out: join(dir, 'state'), owners: join(dir, 'owners.csv'), events: { transport: 'jsonl' } },
  });
  return { scenario, dir };
}

const jsonFiles = <T>(dir: string): T[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as T);

/** Nothing lost, nothing twice, nothing left due; the SES messages counted by log entry. */
async function localSettlement(scenario: Scenario, dir: string) {
  const cases = jsonFiles<CaseRecord>(join(dir, 'state', 'cases'));
  const log = jsonFiles<NotificationEntry>(join(dir, 'state', 'notifications'));
  const sent = (
    ((await motoData()).ses?.Message ?? []) as unknown as {
      source: string;
      subject: string;
      destinations: { ToAddresses?: string[]; CcAddresses?: string[] };
    }[]
  ).filter((m) => m.source === scenario.from);
  const key = (subject: string, to: string[], cc: string[]) =>
    `${subject}|${[...to].sort()}|${[...cc].sort()}`;
  const ids = new Map(log.map((e) => [key(e.subject, e.to, e.cc), e.message_id]));
  const times = new Map<string, number>();
  let unlogged = 0;
  for (const m of sent) {
    const id = ids.get(key(m.subject, m.destinations.ToAddresses ?? [], m.destinations.CcAddresses ?? []));
    if (!id) unlogged += 1;
    else times.set(id, (times.get(id) ?? 0) + 1);
  }
  const alerted = new Set(
    log
      .filter((e) => e.kind === 'owner-alert' && e.status === 'sent' && (times.get(e.message_id) ?? 0) > 0)
      .flatMap((e) => e.cases.map((c) => c.case_key)),
  );
  const events = readFileSync(join(dir, 'state', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  return {
    cases,
    log,
    mails: sent.length,
    events: events.length,
    held: {
      lost: cases.filter((c) => !alerted.has(c.case_key)).length,
      duplicated: [...times.values()].filter((n) => n > 1).length,
      stillDue: cases.filter((c) => c.due.length > 0).length,
      eventsDue: cases.filter((c) => c.events_due.length > 0).length,
      unlogged,
    },
  };
}

let suite: Suite;
beforeAll(async () => {
  suite = await openSuite();
});
afterAll(async () => {
  await suite?.close();
});

describe('load through SES throttled at 14 messages a second with 1% transient failures', () => {
  it('alerts 1,000 owners in one run: each once, nothing left due', async () => {
    const { findings, csv } = owners(1000, 500_000_000_000);
    const { scenario, dir } = await localScenario('load-1000-owners', findings, csv);
    const counts: SesCounts = { calls: 0, throttled: 0, failed: 0, accepted: 0 };
    const plan = busySes(counts, 1000);
    const started = Date.now();
    const run = await scenario.run('run', NOW, { asOfDays: [DAY], plan });
    const ms = Date.now() - started;
    expect(run.code, run.stderr.slice(0, 2000)).toBe(0);
    const s = await localSettlement(scenario, dir);
    const sentInRun = run.out?.messages.filter((m) => m.status === 'sent').length ?? 0;
    recordTrial({
      area: 'load',
      tried:
        '1,000 owners (one case each) in one run, SES throttled at 14/s (token bucket) with 1% transient 500s, through the fault proxy to moto',
      times: counts.calls,
      held: `${s.mails} messages accepted (1,000 alerts and the FinOps digest), all by the run itself; ${s.held.lost} lost, ${s.held.duplicated} duplicated, ${s.held.stillDue} left due, ${s.held.eventsDue} with events due, ${s.events} events written`,
      ok: Object.values(s.held).every((v) => v === 0) && s.mails === 1001,
      figures: {
        'run seconds': (ms / 1000).toFixed(1),
        'messages per second': ((sentInRun * 1000) / ms).toFixed(1),
        'SES calls': counts.calls,
        throttled: counts.throttled,
        'transient 500s': counts.failed,
      },
    });
    expect(s.held).toEqual({ lost: 0, duplicated: 0, stillDue: 0, eventsDue: 0, unlogged: 0 });
    expect(s.mails).toBe(1001);
    expect(sentInRun).toBe(1001);
  });

  it('sends 200 reminders in one follow-up: each once', async () => {
    const { findings, csv } = owners(200, 600_000_000_000);
    const { scenario, dir } = await localScenario('load-200-reminders', findings, csv);
    const counts: SesCounts = { calls: 0, throttled: 0, failed: 0, accepted: 0 };
    const plan = busySes(counts, 200);
    const run = await scenario.run('run', NOW, { asOfDays: [DAY], plan });
    expect(run.code, run.stderr.slice(0, 2000)).toBe(0);
    const before = { ...counts };
    const started = Date.now();
    const follow = await scenario.run('follow-up', REMIND, { plan });
    const ms = Date.now() - started;
    expect(follow.code, follow.stderr.slice(0, 2000)).toBe(0);
    const s = await localSettlement(scenario, dir);
    const reminders = s.log.filter((e) => e.kind === 'reminder' && e.status === 'sent');
    const reminded = new Set(reminders.flatMap((e) => e.cases.map((c) => c.case_key)));
    const held = { ...s.held, notReminded: s.cases.filter((c) => !reminded.has(c.case_key)).length };
    recordTrial({
      area: 'load',
      tried:
        '200 open cases past their 48-hour deadline: one follow-up, SES throttled at 14/s with 1% transient 500s',
      times: counts.calls - before.calls,
      held: `${reminders.length} reminders sent by the one follow-up, every case reminded once; ${held.lost} lost, ${held.duplicated} duplicated, ${held.stillDue} left due`,
      ok: Object.values(held).every((v) => v === 0) && reminders.length === 200,
      figures: {
        'follow-up seconds': (ms / 1000).toFixed(1),
        'SES calls': counts.calls - before.calls,
        throttled: counts.throttled - before.throttled,
        'transient 500s': counts.failed - before.failed,
      },
    });
    expect(held).toEqual({ lost: 0, duplicated: 0, stillDue: 0, eventsDue: 0, unlogged: 0, notReminded: 0 });
    expect(reminders).toHaveLength(200);
  });
});
