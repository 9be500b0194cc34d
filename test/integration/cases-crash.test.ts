/**
 * The outbox protocol of docs/storage.md across real processes: reruns, crashes (SIGKILL at each protocol
 * point) and two concurrent runs on one local store. Detection is replaced by fixed findings; the
 * rest is the built CLI wiring (local store, outbox mailer, events file, owners file).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEmlHeaders } from '../../functions/adapters/mailer/mime.js';
import type { CaseEvent, CaseRecord, NotificationEntry } from '../../functions/core/cases/model.js';
import { makeFinding } from '../fixtures/findings.js';

const CHILD = fileURLToPath(new URL('../fixtures/pipeline-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/functions/adapters/open-ports.js', import.meta.url));

const NOW = '2026-03-03T08:00:00.000Z';
const LATER = '2026-03-03T09:00:00.000Z'; // past the 15-minute lease of a killed process, before any deadline
const DAYS = ['2026-02-28', '2026-03-01'];

// ana owns two accounts with the same cc (one message, two sections); bo owns one; 444… is unmapped (FinOps).
const FINDINGS = [
  ...DAYS.map((d) => makeFinding({ account: '111111111111', asOf: d, recent: 120, baseline: 7 })),
  makeFinding({ account: '222222222222', asOf: '2026-03-01', recent: 60, baseline: 5 }),
  makeFinding({ account: '333333333333', asOf: '2026-03-01', recent: 300, baseline: 20 }),
  makeFinding({ account: '444444444444', asOf: '2026-03-01', recent: 80, baseline: 3 }),
];
const OWNERS_CSV = `account_id,owner_email,account_name,team,cc
111111111111,ana@example.com,Payments,pay,pay-leads@example.com
222222222222,ana@example.com,Payments staging,pay,pay-leads@example.com
333333333333,bo@example.com,Search,search,
`;

let dir: string;
let args: { out: string; findings: string; owners: string; killSwitch?: Record<string, unknown> };

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function child(
  command: 'run' | 'follow-up',
  now: string,
  env: Record<string, string> = {},
): Promise<ChildResult> {
  const payload = JSON.stringify({ command, now, ...args, asOfDays: command === 'run' ? DAYS : undefined });
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, payload], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function ok(command: 'run' | 'follow-up', now: string): Promise<void> {
  const r = await child(command, now);
  expect(r.code === 0 ? '' : r.stderr).toBe('');
  expect(r.code).toBe(0);
}

async function jsonFiles<T>(sub: string): Promise<T[]> {
  const root = join(dir, 'out', sub);
  if (!existsSync(root)) return [];
  const out: T[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.name.endsWith('.json')) out.push(JSON.parse(await readFile(full, 'utf8')) as T);
    }
  };
  await walk(root);
  return out;
}

interface Email {
  kind: string;
  to: string;
  cc: string;
  caseKeys: string[];
}

async function outbox(): Promise<Email[]> {
  const root = join(dir, 'out', 'outbox');
  if (!existsSync(root)) return [];
  const emails: Email[] = [];
  for (const name of (await readdir(root)).filter((n) => n.endsWith('.eml')).sort()) {
    const h = parseEmlHeaders(await readFile(join(root, name), 'utf8'));
    emails.push({
      kind: h.get('x-sentinel-kind') ?? '',
      to: h.get('to') ?? '',
      cc: h.get('cc') ?? '',
      caseKeys: (h.get('x-sentinel-case-keys') ?? '').split(' ').filter(Boolean),
    });
  }
  return emails;
}

const caseKeyOf = (account: string) => FINDINGS.find((f) => f.account_id === account)!.case_key;

/** The state every scenario must end in: one alert per case, nothing due, one event per case. */
async function expectSettled(): Promise<void> {
  const emails = await outbox();
  const alerts = emails.filter((e) => e.kind === 'owner-alert');
  const perCase = new Map<string, number>();
  for (const e of alerts) for (const k of e.caseKeys) perCase.set(k, (perCase.get(k) ?? 0) + 1);
  expect([...perCase.values()]).toEqual([1, 1, 1, 1]);
  // ana's two accounts share a cc: one message with two sections.
  const ana = alerts.filter((e) => e.to.includes('ana@example.com'));
  expect(ana).toHaveLength(1);
  expect(ana[0]!.caseKeys.sort()).toEqual([caseKeyOf('111111111111'), caseKeyOf('222222222222')].sort());
  expect(ana[0]!.cc).toContain('pay-leads@example.com');
  expect(alerts.filter((e) => e.to.includes('bo@example.com'))).toHaveLength(1);
  expect(alerts.filter((e) => e.to.includes('finops@example.com'))).toHaveLength(1); // the unmapped account

  const cases = await jsonFiles<CaseRecord>('cases');
  expect(cases).toHaveLength(4);
  for (const c of cases) {
    expect(c.state).toBe('open');
    expect(c.due).toEqual([]);
    expect(c.events_due).toEqual([]);
  }
  const events = await jsonFiles<CaseEvent>('case-events');
  expect(events.map((e) => e.detail_type)).toEqual([
    'Case Opened',
    'Case Opened',
    'Case Opened',
    'Case Opened',
  ]);
  const log = await jsonFiles<NotificationEntry>('notifications');
  const owners = log.filter((e) => e.kind !== 'finops-digest');
  expect(owners.every((e) => e.status === 'sent' || e.status === 'sending')).toBe(true);
  expect(owners.filter((e) => e.status === 'sent')).toHaveLength(3);
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error('build first: npm run build (npm test does it)');
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentinel-cases-'));
  await writeFile(join(dir, 'findings.json'), JSON.stringify(FINDINGS));
  await writeFile(join(dir, 'owners.csv'), OWNERS_CSV);
  args = { out: join(dir, 'out'), findings: join(dir, 'findings.json'), owners: join(dir, 'owners.csv') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('notify protocol across processes', () => {
  it('a rerun on the same data sends zero new emails and writes no new case events', async () => {
    await ok('run', NOW);
    const emails = await outbox();
    expect(emails.map((e) => e.kind).sort()).toEqual([
      'finops-digest',
      'owner-alert',
      'owner-alert',
      'owner-alert',
    ]);
    const events = (await jsonFiles<CaseEvent>('case-events')).length;
    const lines = (await readFile(join(dir, 'out', 'events.jsonl'), 'utf8')).trim().split('\n').length;
    await ok('run', NOW);
    await ok('run', LATER);
    expect(await outbox()).toEqual(emails);
    expect((await jsonFiles<CaseEvent>('case-events')).length).toBe(events);
    const after = (await readFile(join(dir, 'out', 'events.jsonl'), 'utf8')).trim().split('\n');
    // Only the run records' own "Detection Run Completed" events are new.
    expect(after.length - lines).toBe(2);
    expect(after.slice(lines).every((l) => l.includes('"Detection Run Completed"'))).toBe(true);
    await expectSettled();
  });

  it.each([
    ['after-transitions', 'run'],
    ['after-claim', 'follow-up'],
    ['after-log-sending', 'run'],
    ['after-send', 'follow-up'],
    ['after-log-sent', 'run'],
  ] as const)(
    'killed by SIGKILL %s, then a %s: exactly one email per owner, every case settled',
    async (point, then) => {
      const crashed = await child('run', NOW, { SENTINEL_FAULT: `crash-after:${point}` });
      expect(crashed.signal).toBe('SIGKILL');
      if (point === 'after-transitions') {
        expect(await outbox()).toEqual([]);
        const cases = await jsonFiles<CaseRecord>('cases');
        expect(cases.every((c) => c.due.length === 1 && c.events_due.length === 1)).toBe(true);
      }
      await ok(then, LATER);
      await expectSettled();
      // A further follow-up finds nothing to do.
      const before = await outbox();
      await ok('follow-up', '2026-03-03T10:00:00.000Z');
      expect(await outbox()).toEqual(before);
    },
  );

  it('killed between attaching the kill switch and recording it: the next run records it, once', async () => {
    // 333… is the one high case: enforce with min_severity high stops it (docs/kill-switch.md).
    args.killSwitch = { mode: 'enforce', accounts: ['333333333333'], min_severity: 'high' };
    const crashed = await child('run', NOW, { SENTINEL_FAULT: 'crash-after:after-kill-switch-act' });
    expect(crashed.signal).toBe('SIGKILL');
    const engagedFile = join(dir, 'out', 'kill-switch', 'engaged.json');
    const attached = JSON.parse(await readFile(engagedFile, 'utf8')).accounts as {
      account_id: string;
      policy_id: string;
      engaged_at: string;
    }[];
    expect(attached.map((a) => a.account_id)).toEqual(['333333333333']);
    const before = (await jsonFiles<CaseRecord>('cases')).find((c) => c.account_id === '333333333333')!;
    expect(before.kill_switch ?? null).toBeNull();
    expect(before.due.filter((d) => d.kind === 'kill-switch' && d.message_id !== null)).toHaveLength(1);
    expect((await jsonFiles<{ status: string }>('kill-switch/actions')).map((e) => e.status)).toEqual([
      'acting',
    ]);
    expect(await outbox()).toEqual([]);

    await ok('run', LATER);
    const after = (await jsonFiles<CaseRecord>('cases')).find((c) => c.account_id === '333333333333')!;
    expect(after.kill_switch).toMatchObject({
      status: 'engaged',
      policy_id: attached[0]!.policy_id,
      engaged_at: attached[0]!.engaged_at,
    });
    expect(after.due).toEqual([]);
    expect(JSON.parse(await readFile(engagedFile, 'utf8')).accounts).toEqual(
      JSON.parse(JSON.stringify(attached)).map((a: object) => expect.objectContaining(a)),
    );
    const engagedEvents = (await jsonFiles<CaseEvent>('case-events')).filter(
      (e) => e.detail_type === 'Kill Switch Engaged',
    );
    expect(engagedEvents.map((e) => e.case_key)).toEqual([after.case_key]);
    expect((await jsonFiles<{ status: string }>('kill-switch/actions')).map((e) => e.status)).toEqual([
      'done',
    ]);
    // The owner alert of the stopped account says so, and goes out once.
    const alerts = (await outbox()).filter(
      (e) => e.kind === 'owner-alert' && e.caseKeys.includes(after.case_key),
    );
    expect(alerts).toHaveLength(1);
    await ok('follow-up', '2026-03-03T10:00:00.000Z');
    expect(
      (await jsonFiles<CaseEvent>('case-events')).filter((e) => e.detail_type.startsWith('Kill Switch')),
    ).toHaveLength(1);
  });

  it('two concurrent runs on one store lose no update and send nothing twice', async () => {
    const [a, b] = await Promise.all([child('run', NOW), child('run', NOW)]);
    expect([a.stderr, b.stderr].filter((s) => s.includes('error'))).toEqual([]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // Whatever the loser of the notify lease left is sent by the next follow-up.
    await ok('follow-up', LATER);
    await expectSettled();
    const cases = await jsonFiles<CaseRecord>('cases');
    expect(cases.find((c) => c.account_id === '111111111111')?.last_as_of).toBe('2026-03-01');
  });
});
