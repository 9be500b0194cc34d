import { afterAll, describe, expect, it } from 'vitest';
import { MappedOwnerDirectory } from '../../functions/adapters/owners/file.js';
import { describeEpisode } from '../../functions/cli/case-summary.js';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import {
  type Applied,
  applyCaseInput,
  type CaseInput,
  TRANSITIONS,
  type TransitionRow,
} from '../../functions/core/cases/transitions.js';
import { acknowledge } from '../../functions/core/commands/acknowledge.js';
import { followUp } from '../../functions/core/commands/follow-up.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { addDays } from '../../functions/core/dates.js';
import { renderMessage } from '../../functions/core/notify/render.js';
import type { Owner } from '../../functions/core/ports.js';
import { renderedData, testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';

const rules = { followUpHours: 48, autoResolveDays: 3, suppressDays: 30, resuppressGrowth: 2 };
const T0 = '2026-03-03T08:00:00.000Z';
const owners = [
  { accountId: '111111111111', ownerEmail: 'ana@example.com', accountName: 'Payments', team: 'pay', cc: [] },
];
const hoursAfter = (h: number, from = T0) => new Date(Date.parse(from) + h * 3_600_000);

/** Every row the tests apply, so the last test can prove the whole table was walked. */
const walked = new Set<TransitionRow>();

function step(c: CaseRecord | null, input: CaseInput, now: Date | string = T0): Applied {
  const applied = applyCaseInput(c, input, { now: new Date(now), rules });
  walked.add(applied.row);
  return applied;
}

const finding = (
  over: Parameters<typeof makeFinding>[0] = {},
  mayOpen = true,
  runId = 'run-1',
): CaseInput => ({
  type: 'finding',
  finding: makeFinding(over),
  mayOpen,
  runId,
  owner: {
    accountId: '111111111111',
    ownerEmail: 'owner@example.com',
    accountName: null,
    team: null,
    cc: [],
    routed: true,
  },
});
const answer = (
  a: 'stopped' | 'legitimate' | 'investigating',
  epoch: number | null = null,
  note: string | null = null,
) =>
  ({
    type: 'answer',
    answer: a,
    note,
    by: 'owner@example.com',
    epoch,
    defaultAsOf: '2026-03-04',
  }) as CaseInput;

function opened(): CaseRecord {
  return step(null, finding({ asOf: '2026-03-01', recent: 40, baseline: 7 })).next!;
}

describe('case engine: docs/cases.md transition table', () => {
  it('opens a case on a finding of a catch-up or recent day: epoch 1, alert due, deadline now + 48 h', () => {
    const a = step(null, finding({ asOf: '2026-03-01' }));
    const c = a.next!;
    expect(c.state).toBe('open');
    expect(c.epoch).toBe(1);
    expect(c.notified_at).toBe(T0);
    expect(c.deadline).toBe(hoursAfter(48).toISOString());
    expect(a.event?.detail_type).toBe('Case Opened');
    expect(c.due).toEqual([
      { event_id: a.event!.event_id, kind: 'owner-alert', raised: false, message_id: null },
    ]);
    expect(c.events_due.map((e) => e.detail_type)).toEqual(['Case Opened']);
  });

  it('stores nothing for a finding of an old backfilled day', () => {
    const a = step(null, finding({ asOf: '2025-12-01' }, false), T0);
    expect(a.next).toBeNull();
    expect(a.changed).toBe(false);
  });

  it('updates a live case silently: latest numbers and peak in the file, no event, deadline unchanged', () => {
    const c = opened();
    const a = step(c, finding({ asOf: '2026-03-02', recent: 38, baseline: 7 }), hoursAfter(2));
    expect(a.event).toBeUndefined();
    expect(a.next!.latest.as_of).toBe('2026-03-02');
    expect(a.next!.peak_value).toBe(40);
    expect(a.next!.deadline).toBe(c.deadline);
    expect(a.next!.due).toEqual(c.due);
  });

  it('raises a live case whose severity rises: Case Updated and an update alert, deadline unchanged', () => {
    const c = opened(); // 30 × 33 = $990 → medium
    expect(c.peak_severity).toBe('medium');
    const a = step(c, finding({ asOf: '2026-03-02', recent: 100, baseline: 7 }), hoursAfter(5));
    expect(a.next!.peak_severity).toBe('high');
    expect(a.event?.detail_type).toBe('Case Updated');
    expect(a.next!.deadline).toBe(c.deadline);
    expect(a.next!.due.at(-1)).toMatchObject({ kind: 'owner-alert', raised: true });
  });

  it('reminds at the deadline (now ≥ deadline), escalates at the next, then does nothing more', () => {
    const c = opened();
    expect(step(c, { type: 'deadline' }, hoursAfter(47.99)).changed).toBe(false);
    const r = step(c, { type: 'deadline' }, hoursAfter(48));
    expect(r.next!.state).toBe('reminded');
    expect(r.event?.detail_type).toBe('Case Reminded');
    expect(r.next!.deadline).toBe(hoursAfter(96).toISOString());
    expect(r.next!.due.at(-1)?.kind).toBe('reminder');
    const e = step(r.next, { type: 'deadline' }, hoursAfter(96));
    expect(e.next!.state).toBe('escalated');
    expect(e.next!.deadline).toBeNull();
    expect(e.next!.due.at(-1)?.kind).toBe('escalation');
    const later = step(e.next, { type: 'deadline' }, hoursAfter(1000));
    expect(later.changed).toBe(false);
  });

  it('acknowledges the first investigating of an epoch; a later one records the note only (no snoozing)', () => {
    const c = opened();
    const ack = step(c, answer('investigating', null, 'looking'), hoursAfter(10));
    expect(ack.next!.state).toBe('acknowledged');
    expect(ack.next!.deadline).toBe(hoursAfter(58).toISOString());
    expect(ack.event?.detail_type).toBe('Case Acknowledged');
    const again = step(ack.next, answer('investigating', null, 'still looking'), hoursAfter(40));
    expect(again.next!.state).toBe('acknowledged');
    expect(again.next!.deadline).toBe(ack.next!.deadline);
    expect(again.event).toBeUndefined();
    expect(again.next!.answers.map((x) => x.note)).toEqual(['looking', 'still looking']);
  });

  it('reminds an acknowledged case whose deadline passes; investigating again does not re-acknowledge', () => {
    const ack = step(opened(), answer('investigating'), hoursAfter(10)).next!;
    const r = step(ack, { type: 'deadline' }, hoursAfter(58));
    expect(r.next!.state).toBe('reminded');
    const again = step(r.next, answer('investigating'), hoursAfter(60));
    expect(again.next!.state).toBe('reminded');
    const e = step(again.next, { type: 'deadline' }, hoursAfter(106));
    expect(e.next!.state).toBe('escalated');
  });

  it('resolves on stopped with resolved_on = the default as-of day at answer time', () => {
    const a = step(opened(), answer('stopped'), hoursAfter(3));
    expect(a.next!.state).toBe('resolved');
    expect(a.next!.resolved_on).toBe('2026-03-04');
    expect(a.next!.deadline).toBeNull();
    expect(a.event?.detail_type).toBe('Case Resolved');
  });

  it('auto-resolves after 3 quiet evaluated days, never in the run that notified', () => {
    const c = opened(); // notified by run-1
    const sameRun = step(c, {
      type: 'quiet',
      days: ['2026-03-02', '2026-03-03', '2026-03-04'],
      runId: 'run-1',
    });
    expect(sameRun.next!.state).toBe('open');
    // The alerting run saw those days: a rerun of them resolves nothing (the owner was just asked).
    expect(sameRun.next!.notified_through).toBe('2026-03-04');
    const rerun = step(sameRun.next, {
      type: 'quiet',
      days: ['2026-03-02', '2026-03-03', '2026-03-04'],
      runId: 'run-2',
    });
    expect(rerun.next!.state).toBe('open');
    const two = step(c, { type: 'quiet', days: ['2026-03-02', '2026-03-03'], runId: 'run-2' });
    expect(two.next!.state).toBe('open');
    const three = step(two.next, { type: 'quiet', days: ['2026-03-04', '2026-03-05'], runId: 'run-3' });
    expect(three.next!.state).toBe('resolved');
    expect(three.next!.resolved_on).toBe('2026-03-04');
    expect(three.event?.detail_type).toBe('Case Resolved');
    expect(three.next!.due.filter((d) => d.message_id === null)).toEqual([]); // no email
  });

  it('ignores quiet days on a closed case', () => {
    const resolved = step(opened(), answer('stopped'), hoursAfter(3)).next!;
    expect(step(resolved, { type: 'quiet', days: ['2026-03-05'], runId: 'run-2' }).changed).toBe(false);
  });

  it('a finding resets the quiet count', () => {
    const two = step(opened(), { type: 'quiet', days: ['2026-03-02', '2026-03-03'], runId: 'run-2' }).next!;
    const f = step(two, finding({ asOf: '2026-03-04', recent: 40, baseline: 7 }, true, 'run-3')).next!;
    expect(f.quiet_days).toEqual([]);
    const q = step(f, { type: 'quiet', days: ['2026-03-05', '2026-03-06'], runId: 'run-4' }).next!;
    expect(q.state).toBe('open');
  });

  it('suppresses on legitimate with the peak at answer time', () => {
    const c = step(opened(), finding({ asOf: '2026-03-02', recent: 60, baseline: 7 })).next!;
    const s = step(c, answer('legitimate'), hoursAfter(5));
    expect(s.next!.state).toBe('suppressed');
    expect(s.next!.suppressed_peak).toBe(60);
    expect(s.event?.detail_type).toBe('Case Suppressed');
  });

  it('re-opens a resolved case only for a finding whose recent window starts after resolved_on', () => {
    const resolved = step(opened(), answer('stopped'), hoursAfter(3)).next!; // resolved_on 2026-03-04
    const overlap = step(resolved, finding({ asOf: '2026-03-06' }), hoursAfter(100)); // window 03-04..03-06
    expect(overlap.changed).toBe(false);
    const fresh = step(resolved, finding({ asOf: '2026-03-07' }), hoursAfter(120)); // window 03-05..03-07
    expect(fresh.next!.state).toBe('open');
    expect(fresh.next!.epoch).toBe(2);
    expect(fresh.next!.first_as_of).toBe('2026-03-07');
    expect(fresh.next!.deadline).toBe(hoursAfter(168).toISOString());
    expect(fresh.event?.detail_type).toBe('Case Opened');
    expect(fresh.event?.event_id).not.toBe(resolved.events_due[0]?.event_id);
  });

  it('re-opens a resolved case whose finding shows days after resolved_on above its band: the resolution is contradicted', () => {
    const resolved = step(opened(), answer('stopped', null, 'key rotated'), hoursAfter(3)).next!; // resolved_on 03-04
    // As-of 03-06, window 03-04..03-06: 03-05 and 03-06 still cost $60 against a band of $7.80.
    const series = ['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'].map((date) => ({
      date,
      cost_usd: 60,
      hit_ratio: null,
    }));
    const f = { ...makeFinding({ asOf: '2026-03-06', recent: 60, baseline: 7 }), series };
    const a = step(
      resolved,
      { ...(finding() as Extract<CaseInput, { type: 'finding' }>), finding: f },
      hoursAfter(100),
    );
    expect(a.next).toMatchObject({ state: 'open', epoch: 2 });
    expect(a.event).toMatchObject({
      detail_type: 'Case Opened',
      reopened_from: 'resolved',
      contradicted: true,
    });
    expect(a.next!.reopened).toMatchObject({
      from_state: 'resolved',
      epoch: 1,
      resolved_on: '2026-03-04',
      answer: { answer: 'stopped', note: 'key rotated' },
      contradicting_days: [
        { date: '2026-03-05', cost_usd: 60 },
        { date: '2026-03-06', cost_usd: 60 },
      ],
    });
    // The spike it tells starts after resolved_on, whatever the finding's started_on says.
    expect(a.next!.episode.spike_from).toBe('2026-03-05');
    expect(a.next!.due).toEqual([expect.objectContaining({ kind: 'owner-alert', raised: false })]);
  });

  it('keeps a suppressed case for the same kind below 2× the peak; re-opens at 2× or for another kind', () => {
    const s = step(opened(), answer('legitimate'), hoursAfter(5)).next!; // peak 40
    expect(step(s, finding({ asOf: '2026-03-05', recent: 79, baseline: 7 })).changed).toBe(false);
    const grown = step(s, finding({ asOf: '2026-03-05', recent: 80, baseline: 7 }));
    expect(grown.next!.state).toBe('open');
    expect(grown.next!.epoch).toBe(2);
    const other = step(s, finding({ asOf: '2026-03-05', recent: 41, baseline: 0.5, kind: 'new-spender' }));
    expect(other.next!.state).toBe('open');
  });

  it('does not re-open a suppressed or resolved case for an old backfilled day', () => {
    const s = step(opened(), answer('legitimate'), hoursAfter(5)).next!;
    expect(step(s, finding({ asOf: '2026-03-05', recent: 500 }, false)).changed).toBe(false);
  });

  it('expires a suppression after suppress_days (resolved_on = expiry day), never a cache-absent one', () => {
    const s = step(opened(), answer('legitimate'), T0).next!;
    expect(step(s, { type: 'expiry' }, hoursAfter(30 * 24 - 1)).changed).toBe(false);
    const e = step(s, { type: 'expiry' }, hoursAfter(30 * 24));
    expect(e.next!.state).toBe('resolved');
    expect(e.next!.resolved_on).toBe('2026-04-02');
    const absent = step(
      null,
      finding({ detector: 'cache-miss', kind: 'cache-absent', asOf: '2026-03-01', avoidable: 500 }),
    ).next!;
    const suppressedAbsent = step(absent, answer('legitimate'), T0).next!;
    expect(step(suppressedAbsent, { type: 'expiry' }, hoursAfter(365 * 24)).changed).toBe(false);
  });

  it('refuses answers on closed cases, from an old epoch, and for unknown cases, changing nothing', () => {
    const resolved = step(opened(), answer('stopped'), hoursAfter(3)).next!;
    const closed = step(resolved, answer('legitimate'), hoursAfter(4));
    expect(closed.refusal).toMatch(/the case is closed \(resolved on 2026-03-04\)/);
    expect(closed.next).toBe(resolved);
    const reopened = step(resolved, finding({ asOf: '2026-03-07' }), hoursAfter(120)).next!;
    const old = step(reopened, answer('stopped', 1), hoursAfter(121));
    expect(old.refusal).toMatch(/earlier occurrence of the case \(epoch 1\).*epoch 2/);
    expect(old.changed).toBe(false);
    expect(step(null, answer('stopped')).refusal).toMatch(/no case with this key/);
  });

  it('reroutes a live case the mapping gives another owner: Case Rerouted, an owner alert, deadline unchanged', () => {
    const c = opened();
    const bo: Owner = {
      accountId: '111111111111',
      ownerEmail: 'bo@example.com',
      accountName: 'Payments',
      team: 'pay',
      cc: ['lead@example.com'],
      routed: true,
    };
    const r = step(c, { type: 'route', owner: bo }, hoursAfter(30));
    expect(r.event).toMatchObject({
      detail_type: 'Case Rerouted',
      transition: 'rerouted',
      owner_email: 'bo@example.com',
    });
    expect(r.next).toMatchObject({
      state: 'open',
      owner_email: 'bo@example.com',
      owner_cc: ['lead@example.com'],
      owner_account_name: 'Payments',
      deadline: c.deadline,
    });
    expect(r.next!.due.at(-1)).toMatchObject({
      kind: 'owner-alert',
      raised: false,
      event_id: r.event!.event_id,
    });
    // The same owner with a new cc: refreshed, no event, nothing due.
    const same = step(r.next, { type: 'route', owner: { ...bo, cc: [] } }, hoursAfter(31));
    expect(same.event).toBeUndefined();
    expect(same.next!.owner_cc).toEqual([]);
    expect(same.next!.due).toEqual(r.next!.due);
    // A closed case takes the mapping silently; no case, nothing.
    const closed = step(
      step(c, answer('stopped'), hoursAfter(3)).next,
      { type: 'route', owner: bo },
      hoursAfter(4),
    );
    expect(closed.event).toBeUndefined();
    expect(closed.next!.owner_email).toBe('bo@example.com');
    expect(step(null, { type: 'route', owner: bo }).next).toBeNull();
  });

  it('derives the same event id when a transition is retried', () => {
    const a = step(null, finding({ asOf: '2026-03-01' }));
    const b = step(null, finding({ asOf: '2026-03-01' }), hoursAfter(1));
    expect(a.event!.event_id).toBe(b.event!.event_id);
  });

  it('counts a repeated transition of an epoch on the case: escalated → investigating → reminded → escalated is a new event', () => {
    const r1 = step(opened(), { type: 'deadline' }, hoursAfter(48));
    const e1 = step(r1.next, { type: 'deadline' }, hoursAfter(96));
    const ack = step(e1.next, answer('investigating'), hoursAfter(100));
    expect(ack.next!.state).toBe('acknowledged');
    const r2 = step(ack.next, { type: 'deadline' }, hoursAfter(148));
    const e2 = step(r2.next, { type: 'deadline' }, hoursAfter(196));
    expect(e2.next!.state).toBe('escalated');
    expect([r1.event, r2.event].map((e) => [e!.transition, e!.occurrence])).toEqual([
      ['reminded', 1],
      ['reminded', 2],
    ]);
    expect([e1.event, e2.event].map((e) => [e!.transition, e!.occurrence])).toEqual([
      ['escalated', 1],
      ['escalated', 2],
    ]);
    expect(e2.event!.event_id).not.toBe(e1.event!.event_id);
    expect(r2.event!.event_id).not.toBe(r1.event!.event_id);
    expect(e2.next!.occurrences).toEqual({ opened: 1, reminded: 2, escalated: 2, acknowledged: 1 });
    // The second escalation is due as its own item (a new message), not folded into the first.
    expect(e2.next!.due.at(-1)).toMatchObject({ kind: 'escalation', event_id: e2.event!.event_id });
    // A retry of the same transition on the same case record gives the same id.
    expect(step(r2.next, { type: 'deadline' }, hoursAfter(197)).event!.event_id).toBe(e2.event!.event_id);
  });

  it('starts the occurrence count afresh in a new epoch', () => {
    const resolved = step(opened(), answer('stopped'), hoursAfter(3)).next!;
    const reopened = step(resolved, finding({ asOf: '2026-03-10' }), hoursAfter(200));
    expect(reopened.next!.epoch).toBe(2);
    expect(reopened.event).toMatchObject({ transition: 'opened', occurrence: 1 });
    expect(reopened.next!.occurrences).toEqual({ opened: 1 });
  });
});

describe('case engine through the pipeline', () => {
  const owners = [
    {
      accountId: '111111111111',
      ownerEmail: 'ana@example.com',
      accountName: 'Payments',
      team: 'pay',
      cc: [],
    },
  ];

  it('a catch-up that opens and raises a case sends one alert with the latest numbers and peak severity', async () => {
    const findings = [
      makeFinding({ asOf: '2026-02-25', recent: 40, baseline: 7 }), // medium
      makeFinding({ asOf: '2026-02-26', recent: 100, baseline: 7 }), // high
      makeFinding({ asOf: '2026-02-27', recent: 90, baseline: 7 }), // high
    ];
    const t = testPorts({ findings, owners, now: '2026-03-01T08:00:00Z' });
    await runPipeline(t.ports, t.config, { asOfDays: ['2026-02-25', '2026-02-26', '2026-02-27'] });
    const alerts = t.mailer.sent.filter((m) => m.kind === 'owner-alert');
    expect(alerts).toHaveLength(1);
    const data = renderedData(alerts[0]!);
    expect(data.sections).toHaveLength(1);
    expect(data.sections[0]!.finding.as_of).toBe('2026-02-27');
    expect(data.sections[0]!.finding.recent_avg_daily_usd).toBe(90);
    expect(data.sections[0]!.peakSeverity).toBe('high');
    expect(data.sections[0]!.firstAsOf).toBe('2026-02-25');
    expect(data.sections[0]!.severityRaised).toBe(false);
    // Both transitions still have their event.
    const types = t.bus.events.map((e) => e.detailType);
    expect(types.filter((x) => x === 'Case Opened')).toHaveLength(1);
    expect(types.filter((x) => x === 'Case Updated')).toHaveLength(1);
  });

  it('keeps catch-up per detector: after `run --detector cache-miss`, a plain run the same day still evaluates runaway-inference', async () => {
    // An 18× runaway and a cache regression on the default as-of day (now 2026-03-03 → as-of 03-01).
    const runaway = makeFinding({ asOf: '2026-03-01', recent: 132.05, baseline: 7.32 });
    const cache = makeFinding({ asOf: '2026-03-01', detector: 'cache-miss', account: '222222222222' });
    const t = testPorts({ findings: [runaway, cache], owners, now: '2026-03-03T08:00:00Z' });
    const first = await runPipeline(t.ports, t.config, { detectors: ['cache-miss'] });
    expect(first.findings.map((f) => f.detector)).toEqual(['cache-miss']);
    const second = await runPipeline(t.ports, t.config);
    expect(second.findings.map((f) => f.detector)).toEqual(['runaway-inference']);
    expect(t.detection.requests.at(-1)!.daysByDetector).toEqual({
      'runaway-inference': ['2026-03-01'],
      'cache-miss': [],
      budget: ['2026-03-01'],
    });
    const alerts = t.mailer.sent.filter((m) => m.kind === 'owner-alert');
    expect(alerts.map((m) => renderedData(m).sections[0]!.detector).sort()).toEqual([
      'cache-miss',
      'runaway-inference',
    ]);
    // A third run has nothing left: each detector evaluated the day once.
    const third = await runPipeline(t.ports, t.config);
    expect(third.run.evaluated_days).toEqual([]);
  });

  it('an explicit backfill of old days stores findings but opens no case and sends nothing', async () => {
    const old = ['2026-01-10', '2026-01-11'].map((asOf) => makeFinding({ asOf }));
    const t = testPorts({ findings: old, owners, now: '2026-03-03T08:00:00Z' });
    const result = await runPipeline(t.ports, t.config, { asOfDays: ['2026-01-10', '2026-01-11'] });
    expect(result.findings).toHaveLength(2);
    expect(await t.store.list('cases/')).toEqual([]);
    expect(t.mailer.sent).toEqual([]);
    // A case that does not exist takes no time-driven step either.
    for (const input of [
      { type: 'deadline' },
      { type: 'expiry' },
      { type: 'quiet', days: ['2026-03-01'], runId: 'r' },
    ] satisfies CaseInput[]) {
      expect(step(null, input).next).toBeNull();
    }
  });

  it('walks open → reminder (+49 h) → escalation (+97 h) with the right recipients', async () => {
    const t = testPorts({
      findings: [makeFinding({ asOf: '2026-03-01' })],
      owners,
      now: '2026-03-03T08:00:00Z',
    });
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-03-05T09:00:00Z');
    await followUp(t.ports, t.config);
    const reminder = t.mailer.sent.find((m) => m.kind === 'reminder')!;
    expect(reminder.to).toEqual(['ana@example.com']);
    expect(reminder.cc).toEqual(['finops@example.com']);
    t.clock.set('2026-03-07T09:00:00Z');
    await followUp(t.ports, t.config);
    const escalation = t.mailer.sent.find((m) => m.kind === 'escalation')!;
    expect(escalation.to).toEqual(['finops@example.com']);
    expect(escalation.cc).toEqual(['ana@example.com']);
    t.clock.set('2026-03-30T09:00:00Z');
    await followUp(t.ports, t.config);
    expect(t.mailer.sent.map((m) => m.kind)).toEqual([
      'owner-alert',
      'finops-digest',
      'reminder',
      'escalation',
    ]);
  });

  it('sends the repeated escalation of an epoch as a new message with its own case event', async () => {
    const f = makeFinding({ asOf: '2026-03-01' });
    const t = testPorts({ findings: [f], owners, now: '2026-03-03T08:00:00Z' });
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-03-05T09:00:00Z');
    await followUp(t.ports, t.config); // reminded
    t.clock.set('2026-03-07T09:00:00Z');
    await followUp(t.ports, t.config); // escalated
    t.clock.set('2026-03-07T12:00:00Z');
    await acknowledge(t.ports, t.config, { caseKey: f.case_key, answer: 'investigating' });
    t.clock.set('2026-03-09T13:00:00Z');
    await followUp(t.ports, t.config); // reminded again
    t.clock.set('2026-03-11T14:00:00Z');
    await followUp(t.ports, t.config); // escalated again
    const escalations = t.mailer.sent.filter((m) => m.kind === 'escalation');
    expect(escalations).toHaveLength(2);
    expect(new Set(escalations.map((m) => m.messageId)).size).toBe(2);
    expect(t.mailer.sent.filter((m) => m.kind === 'reminder')).toHaveLength(2);
    const ids = t.bus.events
      .filter((e) => e.detailType.startsWith('Case '))
      .map((e) => (e.detail as { event_id: string }).event_id);
    expect(new Set(ids).size).toBe(ids.length);
    const escalated = t.bus.events
      .filter((e) => e.detailType === 'Case Escalated')
      .map((e) => e.detail as { transition: string; occurrence: number });
    expect(escalated.map((e) => [e.transition, e.occurrence])).toEqual([
      ['escalated', 1],
      ['escalated', 2],
    ]);
    expect((await t.store.list('case-events/')).length).toBe(ids.length);
  });

  it('keeps the owner, cc and name stored on the case when a follow-up has no mapping', async () => {
    const withCc = [{ ...owners[0]!, cc: ['lead@example.com'] }];
    const t = testPorts({ findings: [makeFinding({ asOf: '2026-03-01' })], owners: withCc });
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-03-05T09:00:00Z');
    const noMapping = new MappedOwnerDirectory([], t.config.notify.finops, false);
    const result = await followUp({ ...t.ports, owners: noMapping }, t.config);
    const reminder = t.mailer.sent.find((m) => m.kind === 'reminder')!;
    expect(reminder.to).toEqual(['ana@example.com']);
    expect(reminder.cc).toEqual(['finops@example.com', 'lead@example.com']);
    expect(renderedData(reminder).sections[0]).toMatchObject({ accountName: 'Payments', routed: true });
    expect(result.run.unroutable_cases).toEqual([]);
  });

  it('keeps the stored owner when the mapping lacks the account, with a warning naming it', async () => {
    const t = testPorts({ findings: [makeFinding({ asOf: '2026-03-01' })], owners });
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-03-05T09:00:00Z');
    const other = new MappedOwnerDirectory(
      [{ accountId: '999999999999', ownerEmail: 'zed@example.com', accountName: null, team: null, cc: [] }],
      t.config.notify.finops,
    );
    const warnings: string[] = [];
    const log = { ...t.ports.log, warn: (m: string) => void warnings.push(m) };
    const result = await followUp({ ...t.ports, owners: other, log }, t.config);
    expect(t.mailer.sent.find((m) => m.kind === 'reminder')!.to).toEqual(['ana@example.com']);
    expect(warnings.some((w) => w.includes('owners mapping lacks account 111111111111'))).toBe(true);
    expect(result.run.warnings.some((w) => w.includes('111111111111'))).toBe(true);
  });

  it('reroutes to the owner a new mapping names: Case Rerouted on the bus, an alert to them, deadline unchanged', async () => {
    const f = makeFinding({ asOf: '2026-03-01' });
    const t = testPorts({ findings: [f] }); // no mapping: FinOps owns it
    await runPipeline(t.ports, t.config);
    const before = t.store.json<CaseRecord>(`cases/${f.case_key}.json`);
    expect(before).toMatchObject({ owner_email: 'finops@example.com', routed: false });
    t.clock.set('2026-03-04T09:00:00Z');
    await followUp(
      { ...t.ports, owners: new MappedOwnerDirectory(owners, t.config.notify.finops) },
      t.config,
    );
    const after = t.store.json<CaseRecord>(`cases/${f.case_key}.json`);
    expect(after).toMatchObject({ owner_email: 'ana@example.com', routed: true, deadline: before.deadline });
    expect(t.bus.events.map((e) => e.detailType)).toContain('Case Rerouted');
    const alert = t.mailer.sent.filter((m) => m.kind === 'owner-alert').at(-1)!;
    expect(alert.to).toEqual(['ana@example.com']);
    expect(renderedData(alert).sections[0]).toMatchObject({ routed: true, accountName: 'Payments' });
  });

  it('tells an episode that ended before the first email: peak with dates, end day, rate since, excess so far', async () => {
    // $12/day, $139/day on 17–19 Feb, back to $12 from 20 Feb; findings fire as-of 17–21 Feb.
    const cost = (d: string) => (d >= '2026-02-17' && d <= '2026-02-19' ? 139 : 12);
    const seriesTo = (asOf: string) =>
      Array.from({ length: 30 }, (_, i) => addDays(asOf, i - 29)).map((date) => ({
        date,
        cost_usd: cost(date),
        hit_ratio: null,
      }));
    const recent: Record<string, number> = {
      '2026-02-17': 54.33,
      '2026-02-18': 96.67,
      '2026-02-19': 139,
      '2026-02-20': 96.67,
      '2026-02-21': 54.33,
    };
    const findings = Object.entries(recent).map(([asOf, r]) => ({
      ...makeFinding({ asOf, recent: r, baseline: 12 }),
      series: seriesTo(asOf),
      started_on: '2026-02-17', // every window's last day above the band walks back to 17 Feb
    }));
    const t = testPorts({ findings, owners, now: '2026-03-01T08:00:00Z' }); // default as-of 27 Feb
    const days = Array.from({ length: 11 }, (_, i) => addDays('2026-02-17', i)); // 17 … 27 Feb
    const result = await runPipeline(t.ports, t.config, { asOfDays: days });
    const c = t.store.json<CaseRecord>(`cases/${findings[0]!.case_key}.json`);
    // first counts every finding of the opening run, also 17 Feb (too old to open a case alone).
    expect(c.first_as_of).toBe('2026-02-17');
    // The peak finding is the densest window (its breakdown is shown); the peak value is the highest day.
    expect(c.peak.as_of).toBe('2026-02-19');
    expect(c).toMatchObject({ peak_metric: 'daily_cost_usd', peak_value: 139 });
    expect(c.episode).toMatchObject({
      newest_evaluated: '2026-02-27',
      ongoing: false,
      end_day: '2026-02-20',
      rate_since_usd: 12,
      excess_so_far_usd: 381, // 3 × (139 − 12)
    });
    expect(result.cases[0]?.state).toBe('open'); // notified in this run: no auto-resolve
    // The terminal line tells the same episode as the email.
    expect(describeEpisode(c)).toBe(
      'ended 2026-02-20, $12.00/day since; ran $139.00/day (11.58× $12.00/day) 2026-02-17 … 2026-02-19, highest $139.00 on 2026-02-17; $381.00 above baseline so far',
    );
    const section = renderedData(t.mailer.sent.find((m) => m.kind === 'owner-alert')!).sections[0]!;
    expect(section.episode).toMatchObject({
      ongoing: false,
      spikeFrom: '2026-02-17',
      spikeTo: '2026-02-19',
      endDay: '2026-02-20',
      rateSinceUsd: 12,
      excessSoFarUsd: 381,
      endedBeforeFirstEmail: true,
      meanDailyUsd: 139,
      peakValue: 139,
      peakDay: '2026-02-17',
      // Ended: severity on the $381 spent above the baseline, no projection.
      severity: 'medium',
      projected30dUsd: null,
    });
    const opened = t.bus.events.find((e) => e.detailType === 'Case Opened')!.detail as Record<
      string,
      unknown
    >;
    expect(opened).toMatchObject({
      peak_metric: 'daily_cost_usd',
      ongoing: true, // the event holds the episode as it stood at that transition (opened on 17 Feb)
      end_day: null,
    });
  });

  it('keeps an episode ongoing while the newest evaluated day fires', () => {
    const c = opened();
    const next = step(c, { type: 'quiet', days: [], runId: 'run-2' }).next!;
    expect(next.episode.ongoing).toBe(true);
    const later = step(c, finding({ asOf: '2026-03-02', recent: 45, baseline: 7 }), hoursAfter(1)).next!;
    expect(later.episode).toMatchObject({ newest_evaluated: '2026-03-02', ongoing: true, end_day: null });
    expect(later.peak.as_of).toBe('2026-03-02');
    const quiet = step(later, { type: 'quiet', days: ['2026-03-03'], runId: 'run-3' }, hoursAfter(2)).next!;
    expect(quiet.episode.ongoing).toBe(false);
  });

  it('never reminds or escalates FinOps about a case it owns as the fallback: the digest lists it with its age', async () => {
    // The spike goes on (a finding every day); no mapping: FinOps owns the case.
    const findings = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'].map(
      (asOf) => makeFinding({ asOf }),
    );
    const f = findings[0]!;
    const t = testPorts({ findings, now: '2026-03-03T08:00:00Z' });
    const escalateTo = { ...t.config, notify: { ...t.config.notify, escalation: ['finops@example.com'] } };
    await runPipeline(t.ports, escalateTo);
    expect(t.mailer.sent.filter((m) => m.kind === 'owner-alert').map((m) => m.to)).toEqual([
      ['finops@example.com'],
    ]);
    for (const at of ['2026-03-05T09:00:00Z', '2026-03-07T10:00:00Z']) {
      t.clock.set(at);
      await followUp(t.ports, escalateTo);
    }
    const c = t.store.json<CaseRecord>(`cases/${f.case_key}.json`);
    expect(c).toMatchObject({ state: 'escalated', due: [] });
    expect(t.bus.events.map((e) => e.detailType)).toEqual(
      expect.arrayContaining(['Case Reminded', 'Case Escalated']),
    );
    expect(t.mailer.sent.map((m) => m.kind)).not.toContain('reminder');
    expect(t.mailer.sent.map((m) => m.kind)).not.toContain('escalation');
    // The next detection run's digest lists it as unroutable, with its age.
    t.clock.set('2026-03-08T08:00:00Z');
    await runPipeline(t.ports, escalateTo);
    const digest = renderedData(t.mailer.sent.filter((m) => m.kind === 'finops-digest').at(-1)!);
    expect(digest.digest!.unroutable).toEqual([
      expect.objectContaining({ caseKey: f.case_key, ageDays: 5, state: 'escalated' }),
    ]);
  });

  it("threads a case's reminder and escalation under its alert, with Reply-To FinOps (or notify.reply_to)", async () => {
    const t = testPorts({
      findings: [makeFinding({ asOf: '2026-03-01' })],
      owners,
      now: '2026-03-03T08:00:00Z',
    });
    await runPipeline(t.ports, t.config);
    for (const at of ['2026-03-05T09:00:00Z', '2026-03-07T10:00:00Z']) {
      t.clock.set(at);
      await followUp(t.ports, t.config);
    }
    const [alert, reminder, escalation] = ['owner-alert', 'reminder', 'escalation'].map(
      (kind) => t.mailer.sent.find((m) => m.kind === kind)!,
    );
    const header = (m: typeof alert) => `<p-${m!.messageId}@test.invalid>`;
    expect(alert).toMatchObject({ replyTo: ['finops@example.com'], inReplyTo: null, references: [] });
    expect(reminder).toMatchObject({ inReplyTo: header(alert), references: [header(alert)] });
    expect(escalation).toMatchObject({
      inReplyTo: header(reminder),
      references: [header(alert), header(reminder)],
    });
    const log = t.store.json<{ message_id_header: string }>(`notifications/${alert!.messageId}.json`);
    expect(log.message_id_header).toBe(header(alert));

    const other = testPorts({
      findings: [makeFinding({ asOf: '2026-03-01' })],
      owners,
      now: '2026-03-03T08:00:00Z',
    });
    const replyTo = { ...other.config, notify: { ...other.config.notify, reply_to: 'ai-spend@example.com' } };
    await runPipeline(other.ports, replyTo);
    expect(other.mailer.sent.every((m) => m.replyTo.join() === 'ai-spend@example.com')).toBe(true);
  });

  it('sends every message to FinOps in pilot mode, naming who would have received it', async () => {
    const t = testPorts({
      findings: [makeFinding({ asOf: '2026-03-01' })],
      owners: [{ ...owners[0]!, cc: ['lead@example.com'] }],
      now: '2026-03-03T08:00:00Z',
    });
    const pilot = { ...t.config, notify: { ...t.config.notify, pilot: true } };
    await runPipeline(t.ports, pilot);
    t.clock.set('2026-03-05T09:00:00Z');
    await followUp(t.ports, pilot);
    const sent = t.mailer.sent.filter((m) => m.kind !== 'finops-digest');
    expect(sent.map((m) => m.kind)).toEqual(['owner-alert', 'reminder']);
    for (const m of sent) {
      expect(m).toMatchObject({ to: ['finops@example.com'], cc: [] });
      const data = renderedData(m);
      expect(data.pilot?.to).toEqual(['ana@example.com']);
      const { text, html, subject } = renderMessage(data);
      expect(subject).toMatch(/^\[Pilot\] /);
      expect(text).toMatch(
        /^PILOT MODE: this message went to finops@example\.com only\. Without pilot mode it would have gone to ana@example\.com/,
      );
      expect(html).toContain('Pilot mode');
    }
    expect(renderedData(sent[1]!).pilot).toEqual({
      to: ['ana@example.com'],
      cc: ['finops@example.com', 'lead@example.com'],
    });
  });

  it('moves a case at most one step per follow-up, however late it runs', async () => {
    const t = testPorts({
      findings: [makeFinding({ asOf: '2026-03-01' })],
      owners,
      now: '2026-03-03T08:00:00Z',
    });
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-03-20T08:00:00Z');
    const first = await followUp(t.ports, t.config);
    expect(first.cases.map((c) => c.state)).toEqual(['reminded']);
    expect(t.mailer.sent.some((m) => m.kind === 'escalation')).toBe(false);
    const second = await followUp(t.ports, t.config); // the reminder's deadline runs from its transition
    expect(second.cases).toEqual([]);
  });

  it('answers through acknowledge(): recorded, published, and refused on a closed case', async () => {
    const f = makeFinding({ asOf: '2026-03-01' });
    const t = testPorts({ findings: [f], owners, now: '2026-03-03T08:00:00Z' });
    await runPipeline(t.ports, t.config);
    const ok = await acknowledge(t.ports, t.config, {
      caseKey: f.case_key,
      answer: 'stopped',
      note: 'key rotated',
    });
    expect(ok.status).toBe('recorded');
    expect(ok.case?.state).toBe('resolved');
    expect(t.bus.events.some((e) => e.detailType === 'Case Resolved')).toBe(true);
    expect(await t.store.list('case-events/')).toHaveLength(2);
    const again = await acknowledge(t.ports, t.config, { caseKey: f.case_key, answer: 'legitimate' });
    expect(again).toMatchObject({ status: 'refused' });
  });

  it('auto-resolves in a later run after 3 quiet days, not in the run that notified', async () => {
    const t = testPorts({ findings: [makeFinding({ asOf: '2026-02-24' })], now: '2026-02-26T08:00:00Z' });
    const first = await runPipeline(t.ports, t.config); // evaluates 02-24, opens
    expect(first.cases[0]?.state).toBe('open');
    t.clock.set('2026-03-01T08:00:00Z'); // catch-up 02-25 .. 02-27, no finding
    const second = await runPipeline(t.ports, t.config);
    expect(second.cases[0]).toMatchObject({ state: 'resolved' });
    const c = t.store.json<CaseRecord>(`cases/${makeFinding().case_key}.json`);
    expect(c.resolved_on).toBe('2026-02-27');
  });
});

describe('time travel: a runaway spike that stops (docs/emails.md "The episode")', () => {
  it('records the quiet days of the daily runs: ended, end day, rate since and excess so far; the +49 h reminder says the same', async () => {
    // $12/day, $139/day on 1–3 Mar; then $12.50 on 4–5 Mar and $11 from 6 Mar. The 3-day window
    // fires as-of 1–5 Mar, the last two on the spike's tail.
    const cost = (d: string) =>
      d < '2026-03-01' ? 12 : d <= '2026-03-03' ? 139 : d <= '2026-03-05' ? 12.5 : 11;
    const recent = (asOf: string) => (cost(addDays(asOf, -2)) + cost(addDays(asOf, -1)) + cost(asOf)) / 3;
    const findings = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'].map((asOf) =>
      makeFinding({ asOf, recent: Math.round(recent(asOf) * 100) / 100, baseline: 12 }),
    );
    const t = testPorts({ findings, owners, dailyCost: cost, now: '2026-03-06T08:00:00Z' });
    const key = findings[0]!.case_key;
    const read = () => t.store.json<CaseRecord>(`cases/${key}.json`);

    // 6 Mar 08:00: a catch-up over 1–4 Mar opens the case while the spike still fires.
    await runPipeline(t.ports, t.config, {
      asOfDays: ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'],
    });
    expect(read()).toMatchObject({ state: 'open', episode: { ongoing: true } });
    expect(read().peak.as_of).toBe('2026-03-03'); // the window densest with the $139 days

    // Daily runs: 7 Mar (as-of 5 Mar, fires on the tail), 8 Mar (as-of 6 Mar, quiet).
    t.clock.set('2026-03-07T07:00:00Z');
    await runPipeline(t.ports, t.config);
    expect(read().episode.ongoing).toBe(true);
    t.clock.set('2026-03-08T07:00:00Z');
    await runPipeline(t.ports, t.config);
    // The detector last fired as-of 5 Mar; the run evaluating 6 Mar recorded 6 Mar though it did not fire.
    expect(t.detection.requests.at(-1)!.episodeCases).toEqual([
      { case_key: key, detector: 'runaway-inference', account_id: '111111111111', model: null },
    ]);
    const ended = read();
    expect(ended.episode.days.filter((d) => d.date >= '2026-03-04').map((d) => [d.date, d.cost_usd])).toEqual(
      [
        ['2026-03-04', 12.5],
        ['2026-03-05', 12.5],
        ['2026-03-06', 11],
      ],
    );
    const figures = {
      ongoing: false,
      end_day: '2026-03-04',
      rate_since_usd: 12, // (12.50 + 12.50 + 11) / 3: the quiet day counts
      excess_so_far_usd: 381, // 3 × (139 − 12)
    };
    expect(ended.episode).toMatchObject({ newest_evaluated: '2026-03-06', ...figures });

    // +49 h: the reminder tells the ended episode with the same numbers, and so does its event.
    t.clock.set('2026-03-08T09:00:00Z');
    await followUp(t.ports, t.config);
    const reminder = t.mailer.sent.find((m) => m.kind === 'reminder')!;
    const section = renderedData(reminder).sections[0]!;
    expect(section.episode).toMatchObject({
      peakValue: 139,
      meanDailyUsd: 139,
      ongoing: false,
      spikeFrom: '2026-03-01',
      spikeTo: '2026-03-03',
      endDay: '2026-03-04',
      rateSinceUsd: 12,
      excessSoFarUsd: 381,
    });
    const event = t.bus.events.find((e) => e.detailType === 'Case Reminded')!.detail as Record<
      string,
      unknown
    >;
    expect(event).toMatchObject({
      ...figures,
      peak_value: 139,
      peak_metric: 'daily_cost_usd',
      spike_from: '2026-03-01',
      spike_to: '2026-03-03',
    });

    // 9 Mar: another quiet day moves the rate since, not the end day or the excess.
    t.clock.set('2026-03-09T07:00:00Z');
    await runPipeline(t.ports, t.config);
    expect(read().episode).toMatchObject({
      end_day: '2026-03-04',
      rate_since_usd: 11.75,
      excess_so_far_usd: 381,
    });
  });
});

describe('time travel: the first alert reads the spend as it is (docs/emails.md "The episode")', () => {
  // $7.32/day, then $130.88/day from 17 Dec. The detector fires on the 3-day mean ($48.51 on 17 Dec).
  const spike = (d: string) => (d >= '2026-12-17' ? 130.88 : 7.32);
  const mean3 = (cost: (d: string) => number, asOf: string) =>
    Math.round(((cost(addDays(asOf, -2)) + cost(addDays(asOf, -1)) + cost(asOf)) / 3) * 100) / 100;

  it("mails a spike's first day as that day's rate, not the 3-day mean, and sizes it by that day's excess", async () => {
    const f = makeFinding({ asOf: '2026-12-17', recent: mean3(spike, '2026-12-17'), baseline: 7.32 });
    expect(f.recent_avg_daily_usd).toBe(48.51);
    const t = testPorts({ findings: [f], owners, dailyCost: spike, now: '2026-12-19T06:00:00Z' });
    await runPipeline(t.ports, t.config);
    const alert = t.mailer.sent.find((m) => m.kind === 'owner-alert')!;
    const { text, html, subject } = renderMessage(renderedData(alert));
    expect(text).toContain(
      'ran at $130.88/day on 17 Dec, 17.9× its baseline of $7.32/day, its first day above the baseline',
    );
    expect(html).toContain('$130.88/day on 17 Dec, 17.9× its baseline</strong>');
    expect(subject).toContain('17.9× baseline ($130.88/day, 17 Dec)');
    expect(text).toContain('it adds $3,706.80 over 30 days ($123.56/day above the baseline)');
    for (const part of [text, html, subject]) {
      expect(part).not.toContain('48.51');
      expect(part).not.toMatch(/6\.6×/);
    }
    const opened = t.bus.events.find((e) => e.detailType === 'Case Opened')!.detail as Record<
      string,
      unknown
    >;
    expect(opened).toMatchObject({
      peak_value: 130.88,
      peak_metric: 'daily_cost_usd',
      peak_day: '2026-12-17',
      latest_day: '2026-12-17',
      latest_daily_usd: 130.88,
      mean_daily_usd: 130.88,
      projected_30d_excess_usd: 3706.8,
      severity: 'high',
    });
    // The finding record keeps the detector's numbers (docs/findings.md): the 3-day mean fired.
    expect(t.store.json<CaseRecord>(`cases/${f.case_key}.json`).latest.recent_avg_daily_usd).toBe(48.51);
  });

  it('rates a new spender at $600/day by its latest day: critical at once, no update alert the next day', async () => {
    const cost = (d: string) => (d >= '2026-03-03' ? 600 : 0);
    const newSpender = (asOf: string) => ({
      ...makeFinding({ asOf, recent: mean3(cost, asOf), baseline: 0, kind: 'new-spender' }),
      spike_ratio: null,
      sigma: null,
    });
    const first = newSpender('2026-03-03');
    expect(first).toMatchObject({ recent_avg_daily_usd: 200, severity: 'high' }); // 30 × $200
    const t = testPorts({
      findings: [first, newSpender('2026-03-04')],
      owners,
      dailyCost: cost,
      now: '2026-03-05T06:00:00Z',
    });
    await runPipeline(t.ports, t.config);
    const alert = t.mailer.sent.find((m) => m.kind === 'owner-alert')!;
    const { text, subject } = renderMessage(renderedData(alert));
    expect(subject).toMatch(/^\[Critical\] new Bedrock spend \$600\.00\/day \(3 Mar\)/);
    expect(text).toContain('ran at $600.00/day on 3 Mar, on an account that spent $0.00/day before');
    expect(text).toContain('Excess per day $600.00');
    expect(text).not.toContain('$200.00');
    t.clock.set('2026-03-06T06:00:00Z'); // as-of 4 Mar: the 3-day mean reaches $400 (critical) — nothing new
    await runPipeline(t.ports, t.config);
    expect(t.bus.events.map((e) => e.detailType)).not.toContain('Case Updated');
    expect(t.mailer.sent.filter((m) => m.kind === 'owner-alert')).toHaveLength(1);
  });
});

describe('time travel: answers are checked against the spend (docs/cases.md "Suppression and re-opening")', () => {
  it('re-opens a "stopped" case the spend contradicts, and the alert says so first, with the days', async () => {
    // $12/day; $139 on 1–2 Mar; the owner says "stopped" on 4 Mar; the spend stays at $108 (9×) from 3 Mar.
    const cost = (d: string) => (d < '2026-03-01' ? 12 : d <= '2026-03-02' ? 139 : 108);
    const mean = (asOf: string) =>
      Math.round(((cost(addDays(asOf, -2)) + cost(addDays(asOf, -1)) + cost(asOf)) / 3) * 100) / 100;
    const findings = ['2026-03-01', '2026-03-02', '2026-03-03'].map((asOf) =>
      makeFinding({ asOf, recent: mean(asOf), baseline: 12 }),
    );
    const t = testPorts({ findings, owners, dailyCost: cost, now: '2026-03-03T08:00:00Z' });
    const key = findings[0]!.case_key;
    await runPipeline(t.ports, t.config); // as-of 1 Mar: opens
    t.clock.set('2026-03-04T07:00:00Z');
    await runPipeline(t.ports, t.config); // as-of 2 Mar
    t.clock.set('2026-03-04T10:00:00Z');
    const ack = await acknowledge(t.ports, t.config, {
      caseKey: key,
      answer: 'stopped',
      note: 'killed the loop',
    });
    expect(ack.case).toMatchObject({ state: 'resolved', resolved_on: '2026-03-02' });

    // 5 Mar: as-of 3 Mar fires; its window (1–3 Mar) holds days up to resolved_on, but 3 Mar costs $108.
    t.clock.set('2026-03-05T07:00:00Z');
    const run = await runPipeline(t.ports, t.config);
    expect(run.cases[0]).toMatchObject({ state: 'open', epoch: 2 });
    const opened = t.bus.events.filter((e) => e.detailType === 'Case Opened').at(-1)!.detail as Record<
      string,
      unknown
    >;
    expect(opened).toMatchObject({ epoch: 2, reopened_from: 'resolved', contradicted: true });
    const alert = t.mailer.sent.filter((m) => m.kind === 'owner-alert').at(-1)!;
    expect(alert.to).toEqual(['ana@example.com']);
    const { text, html, subject } = renderMessage(renderedData(alert));
    // First of all, the message says an answer is contradicted; the section then gives the days.
    expect(text).toMatch(/^\*\*\* RE-OPENED: AN ANSWER "STOPPED" IS CONTRADICTED BY THE SPEND SINCE\./);
    const section = text.slice(text.indexOf('RE-OPENED: the answer'));
    expect(text.indexOf('RE-OPENED: the answer')).toBeLessThan(
      text.indexOf('== Runaway Bedrock inference spend'),
    );
    expect(section).toMatch(
      /^RE-OPENED: the answer "stopped" given on Wed 4 Mar 2026, 10:00 UTC is contradicted by the spend since\. Its note: "killed the loop"\./,
    );
    expect(section).toContain(
      'Days after 2 Mar above $12.80/day (the baseline plus twice its day-to-day spread)',
    );
    expect(section).toContain('  - Tue 3 Mar 2026: $108.00/day');
    expect(html).toContain('the answer &ldquo;stopped&rdquo; given on Wed 4 Mar 2026, 10:00 UTC');
    expect(html).toContain('<li>Tue 3 Mar 2026: $108.00/day</li>');
    expect(subject).toMatch(/^Re-opened: /);
    // The new epoch tells the spend after the answer, not the spike that was answered.
    expect(renderedData(alert).sections[0]!.episode).toMatchObject({
      spikeFrom: '2026-03-03',
      latestDailyUsd: 108,
      latestDay: '2026-03-03',
    });
  });

  it('holds a "legitimate" answered on the first day: the same steady spend does not re-open it', async () => {
    const spike = (d: string) => (d >= '2026-12-17' ? 130.88 : 7.32);
    const mean = (asOf: string) =>
      Math.round(((spike(addDays(asOf, -2)) + spike(addDays(asOf, -1)) + spike(asOf)) / 3) * 100) / 100;
    const findings = ['2026-12-17', '2026-12-18', '2026-12-19'].map((asOf) =>
      makeFinding({ asOf, recent: mean(asOf), baseline: 7.32 }),
    );
    const t = testPorts({ findings, owners, dailyCost: spike, now: '2026-12-19T06:00:00Z' });
    const key = findings[0]!.case_key;
    await runPipeline(t.ports, t.config);
    t.clock.set('2026-12-19T09:00:00Z');
    const ack = await acknowledge(t.ports, t.config, {
      caseKey: key,
      answer: 'legitimate',
      note: 'support bot launch',
    });
    // The peak held is the highest day, $130.88 — not the diluted 3-day mean of $48.51.
    expect(ack.case).toMatchObject({ state: 'suppressed', suppressed_peak: 130.88 });
    for (const day of ['2026-12-20T06:00:00Z', '2026-12-21T06:00:00Z']) {
      t.clock.set(day);
      await runPipeline(t.ports, t.config);
    }
    expect(t.store.json<CaseRecord>(`cases/${key}.json`)).toMatchObject({ state: 'suppressed', epoch: 1 });
    expect(t.mailer.sent.filter((m) => m.kind === 'owner-alert')).toHaveLength(1);
  });

  it('quotes the earlier answer and its note when a suppressed case re-opens', async () => {
    const cost = (d: string) => (d < '2026-03-01' ? 12 : d < '2026-03-10' ? 139 : 400);
    const mean = (asOf: string) =>
      Math.round(((cost(addDays(asOf, -2)) + cost(addDays(asOf, -1)) + cost(asOf)) / 3) * 100) / 100;
    const findings = ['2026-03-01', '2026-03-10'].map((asOf) =>
      makeFinding({ asOf, recent: mean(asOf), baseline: 12 }),
    );
    const t = testPorts({ findings, owners, dailyCost: cost, now: '2026-03-03T08:00:00Z' });
    const key = findings[0]!.case_key;
    await runPipeline(t.ports, t.config);
    await acknowledge(t.ports, t.config, { caseKey: key, answer: 'legitimate', note: 'support bot launch' });
    t.clock.set('2026-03-12T08:00:00Z'); // catch-up 2–10 Mar: $400 on 10 Mar is 2.9× the $139 accepted
    await runPipeline(t.ports, t.config);
    const alert = t.mailer.sent.filter((m) => m.kind === 'owner-alert').at(-1)!;
    const { text, html } = renderMessage(renderedData(alert));
    expect(text).toContain(
      'RE-OPENED. The earlier answer, on Tue 3 Mar 2026, 08:00 UTC: legitimate -- "support bot launch".',
    );
    expect(html).toContain('<strong>legitimate</strong> &mdash; &ldquo;support bot launch&rdquo;');
  });
});

afterAll(() => {
  const missed = TRANSITIONS.filter((row) => !walked.has(row)).map(
    (r) => `${r.from.join('|')} × ${r.on}: ${r.when}`,
  );
  expect(missed).toEqual([]);
});
