/**
 * The kill switch wired into cases and delivery (docs/kill-switch.md): a qualifying case engages it through
 * the action runner, dry-run only says so, answers and closes release it, FinOps releases it, every run
 * reconciles it with what is attached, and `run --dry-run` under enforce engages nothing.
 */
import { describe, expect, it } from 'vitest';
import { LocalKillSwitch } from '../../functions/adapters/kill-switch/local.js';
import type { CaseEvent, CaseRecord } from '../../functions/core/cases/model.js';
import { acknowledge } from '../../functions/core/commands/acknowledge.js';
import { followUp } from '../../functions/core/commands/follow-up.js';
import { killSwitchStatus, releaseKillSwitch } from '../../functions/core/commands/kill-switch.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { parseConfig, type SentinelConfig } from '../../functions/core/config.js';
import { stopPolicy } from '../../functions/core/kill-switch/policy.js';
import { silentLogger } from '../../functions/core/log.js';
import { renderedData, testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';

const SANDBOX = '222233334444';
const PROD = '555566667777';
const OTHER = '888899990000';
const T0 = '2026-03-03T08:00:00.000Z';

const config = (killSwitch: Record<string, unknown>): SentinelConfig =>
  parseConfig({ kill_switch: { accounts: [SANDBOX, OTHER], ...killSwitch } });

/** A critical runaway (~$490/day over a $10 baseline: $14,700 over 30 days) on an account. */
const critical = (account: string, asOf = '2026-03-01') =>
  makeFinding({ account, asOf, recent: 500, baseline: 10 });
/** A high one ($3,000 over 30 days). */
const high = (account: string, asOf = '2026-03-01') =>
  makeFinding({ account, asOf, recent: 110, baseline: 10 });

const OWNERS = [SANDBOX, PROD, OTHER].map((accountId) => ({
  accountId,
  ownerEmail: `owner-${accountId.slice(-4)}@example.com`,
  accountName: `acct-${accountId.slice(-4)}`,
  team: null,
  cc: [],
}));

function setup(ks: Record<string, unknown>, findings = [critical(SANDBOX), critical(PROD)]) {
  const t = testPorts({ now: T0, findings, config: config(ks), owners: OWNERS });
  const killSwitch = new LocalKillSwitch(t.store, { clock: t.clock });
  const ports = { ...t.ports, killSwitch };
  const run = (over: Parameters<typeof runPipeline>[2] = {}) =>
    runPipeline(ports, t.config, { asOfDays: ['2026-03-01'], ...over });
  const cases = () =>
    [...t.store.blobs.entries()]
      .filter(([k]) => k.startsWith('cases/'))
      .map(([, v]) => JSON.parse(v) as CaseRecord);
  const caseOf = (account: string) => cases().find((c) => c.account_id === account)!;
  const caseEvents = () =>
    [...t.store.blobs.entries()]
      .filter(([k]) => k.startsWith('case-events/'))
      .map(([, v]) => JSON.parse(v) as CaseEvent);
  return { ...t, ports, killSwitch, run, cases, caseOf, caseEvents };
}

describe('the kill switch in delivery', () => {
  it('enforce: engages only the critical eligible account, records it on the case, and says so on the bus', async () => {
    const s = setup({ mode: 'enforce' }, [critical(SANDBOX), critical(PROD), high(OTHER)]);
    const result = await s.run();
    const engaged = await s.killSwitch.engaged();
    expect(engaged.map((e) => e.account_id)).toEqual([SANDBOX]);
    expect(engaged[0]!.policy).toEqual(stopPolicy({ break_glass_role: null }));
    const c = s.caseOf(SANDBOX);
    expect(c.kill_switch).toMatchObject({
      status: 'engaged',
      policy_id: engaged[0]!.policy_id,
      engaged_at: engaged[0]!.engaged_at,
      epoch: 1,
      severity: 'critical',
      change: 'opened',
    });
    expect(c.due).toEqual([]);
    expect(s.caseOf(PROD).kill_switch ?? null).toBeNull();
    expect(s.caseOf(OTHER).kill_switch ?? null).toBeNull();
    const types = s.bus.events.map((e) => e.detailType);
    expect(types.filter((t) => t.startsWith('Kill Switch'))).toEqual(['Kill Switch Engaged']);
    const event = s.caseEvents().find((e) => e.detail_type === 'Kill Switch Engaged')!;
    expect(event.case_key).toBe(c.case_key);
    expect(event.kill_switch).toMatchObject({ mode: 'enforce', policy_id: engaged[0]!.policy_id });
    expect(result.run.counts.kill_switch_engage).toBe(1);
  });

  it('dry-run: a Would Engage event and record, nothing attached', async () => {
    const s = setup({ mode: 'dry-run' });
    await s.run();
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch).toMatchObject({ status: 'would-engage', policy_id: null });
    expect(s.bus.events.map((e) => e.detailType).filter((t) => t.startsWith('Kill Switch'))).toEqual([
      'Kill Switch Would Engage',
    ]);
  });

  it('off: no check is made due and nothing engages', async () => {
    const s = setup({ mode: 'off' });
    await s.run();
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.cases().every((c) => (c.kill_switch ?? null) === null)).toBe(true);
  });

  it('below min_severity does not engage; min_severity high does', async () => {
    const low = setup({ mode: 'enforce' }, [high(SANDBOX)]);
    await low.run();
    expect(await low.killSwitch.engaged()).toEqual([]);
    const raised = setup({ mode: 'enforce', min_severity: 'high' }, [high(SANDBOX)]);
    await raised.run();
    expect((await raised.killSwitch.engaged()).map((e) => e.account_id)).toEqual([SANDBOX]);
  });

  it('"stopped" releases it at once; the answer result says so', async () => {
    const s = setup({ mode: 'enforce' });
    await s.run();
    s.clock.advanceHours(2);
    const answered = await acknowledge({ ...s.ports }, s.config, {
      caseKey: s.caseOf(SANDBOX).case_key,
      answer: 'stopped',
      by: 'owner@example.com',
    });
    expect(answered.status === 'recorded' && answered.killSwitch).toBe('released');
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch).toMatchObject({
      status: 'released',
      released_by: 'answer-stopped',
      released_by_whom: 'owner@example.com',
    });
    expect(s.bus.events.map((e) => e.detailType)).toContain('Kill Switch Released');
  });

  it('"investigating" does not release; "legitimate" does', async () => {
    const s = setup({ mode: 'enforce' });
    await s.run();
    const caseKey = s.caseOf(SANDBOX).case_key;
    const investigating = await acknowledge(s.ports, s.config, { caseKey, answer: 'investigating' });
    expect(investigating.status === 'recorded' && investigating.killSwitch).toBeUndefined();
    expect((await s.killSwitch.engaged()).map((e) => e.account_id)).toEqual([SANDBOX]);
    await acknowledge(s.ports, s.config, { caseKey, answer: 'legitimate' });
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch?.released_by).toBe('answer-legitimate');
  });

  it('an answer without the kill switch port leaves the release due; the next follow-up lifts it', async () => {
    const s = setup({ mode: 'enforce' });
    await s.run();
    const { killSwitch: _absent, ...withoutPort } = s.ports;
    const answered = await acknowledge(withoutPort, s.config, {
      caseKey: s.caseOf(SANDBOX).case_key,
      answer: 'stopped',
    });
    expect(answered.status === 'recorded' && answered.killSwitch).toBe('pending');
    expect((await s.killSwitch.engaged()).map((e) => e.account_id)).toEqual([SANDBOX]);
    s.clock.advanceHours(1);
    await followUp(s.ports, s.config);
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch?.status).toBe('released');
  });

  it('at most max_engaged: past it, no new stop and FinOps gets the case as an escalation', async () => {
    const s = setup({ mode: 'enforce', max_engaged: 1 }, [critical(SANDBOX), critical(OTHER)]);
    await s.run();
    expect((await s.killSwitch.engaged()).map((e) => e.account_id)).toHaveLength(1);
    const escalatedCase = s.cases().find((c) => c.kill_switch?.status === 'escalated')!;
    expect(escalatedCase).toBeDefined();
    const escalation = s.mailer.sent.find((m) => m.kind === 'escalation')!;
    expect(escalation.caseKeys).toEqual([escalatedCase.case_key]);
    expect(escalation.to).toEqual(s.config.notify.escalation);
    expect(renderedData(escalation).sections[0]!.killSwitch?.status).toBe('escalated');
  });

  it('the owner alert carries what the kill switch did', async () => {
    const s = setup({ mode: 'enforce', break_glass_role: 'arn:aws:iam::*:role/BreakGlass' });
    await s.run();
    const alert = s.mailer.sent.find(
      (m) => m.kind === 'owner-alert' && m.caseKeys.includes(s.caseOf(SANDBOX).case_key),
    )!;
    const section = renderedData(alert).sections.find((x) => x.accountId === SANDBOX)!;
    expect(section.killSwitch).toMatchObject({
      status: 'engaged',
      since: s.caseOf(SANDBOX).kill_switch!.engaged_at,
      breakGlassRole: 'arn:aws:iam::*:role/BreakGlass',
    });
  });

  it('releases when the case resolves by itself (quiet days)', async () => {
    const s = setup({ mode: 'enforce' }, [critical(SANDBOX)]);
    await s.run();
    for (const [hours, day] of [
      [24, '2026-03-02'],
      [48, '2026-03-03'],
      [72, '2026-03-04'],
    ] as const) {
      s.clock.set(new Date(Date.parse(T0) + hours * 3_600_000).toISOString());
      await s.run({ asOfDays: [day] });
    }
    expect(s.caseOf(SANDBOX).state).toBe('resolved');
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch?.released_by).toBe('case-resolved');
  });

  it('FinOps releases by account; the case records who', async () => {
    const s = setup({ mode: 'enforce' });
    await s.run();
    const status = await killSwitchStatus(s.ports);
    expect(status.map((r) => [r.account_id, r.case?.case_key])).toEqual([
      [SANDBOX, s.caseOf(SANDBOX).case_key],
    ]);
    const released = await releaseKillSwitch({ ...s.ports, log: silentLogger() }, s.config, {
      accountId: SANDBOX,
      cause: 'finops-cli',
      by: 'finops@example.com',
    });
    expect(released.status).toBe('released');
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.caseOf(SANDBOX).kill_switch).toMatchObject({ status: 'released', released_by: 'finops-cli' });
    const again = await releaseKillSwitch({ ...s.ports, log: silentLogger() }, s.config, {
      accountId: SANDBOX,
      cause: 'finops-cli',
      by: null,
    });
    expect(again.status).toBe('not-engaged');
  });

  it('reconciles: a stop attached without a record is recorded; a record without a stop is released', async () => {
    const s = setup({ mode: 'enforce' }, [critical(SANDBOX), high(OTHER)]);
    await s.run();
    const sandbox = s.caseOf(SANDBOX);
    const other = s.caseOf(OTHER);
    // Lifted by hand in the console; attached by hand for the other case.
    await s.killSwitch.release({ account_id: SANDBOX });
    await s.killSwitch.engage({
      account_id: OTHER,
      case_key: other.case_key,
      reason: 'by hand',
      policy: stopPolicy({ break_glass_role: null }),
    });
    s.clock.advanceHours(1);
    await followUp(s.ports, s.config);
    expect(s.caseOf(SANDBOX).kill_switch).toMatchObject({ status: 'released', released_by: 'policy-gone' });
    expect(s.caseOf(OTHER).kill_switch).toMatchObject({ status: 'engaged' });
    const reconciled = s.caseEvents().filter((e) => e.kill_switch?.reconciled);
    expect(reconciled.map((e) => [e.case_key, e.detail_type]).sort()).toEqual(
      [
        [sandbox.case_key, 'Kill Switch Released'],
        [other.case_key, 'Kill Switch Engaged'],
      ].sort(),
    );
  });

  it('reconciles: a stop whose case is closed is released', async () => {
    const s = setup({ mode: 'enforce' }, [critical(SANDBOX)]);
    await s.run();
    const { killSwitch: _absent, ...withoutPort } = s.ports;
    await acknowledge(withoutPort, s.config, { caseKey: s.caseOf(SANDBOX).case_key, answer: 'stopped' });
    // The release item is lost (a case file restored from before it): reconciliation still lifts the stop.
    const key = `cases/${s.caseOf(SANDBOX).case_key}.json`;
    const c = JSON.parse(s.store.blobs.get(key)!) as CaseRecord;
    c.due = [];
    s.store.blobs.set(key, JSON.stringify(c));
    await followUp(s.ports, s.config);
    expect(await s.killSwitch.engaged()).toEqual([]);
  });

  it('run --dry-run under enforce engages nothing and changes no case', async () => {
    const s = setup({ mode: 'enforce' });
    const before = new Map(s.store.blobs);
    const result = await s.run({ dryRun: true });
    expect(await s.killSwitch.engaged()).toEqual([]);
    expect(s.store.blobs.has('kill-switch/engaged.json')).toBe(false);
    expect([...s.store.blobs.keys()].filter((k) => !before.has(k) && !k.startsWith('runs/'))).toEqual([]);
    expect(result.wouldKillSwitch).toEqual([
      { action: 'engage', account_id: SANDBOX, case_key: expect.any(String) },
    ]);
  });

  it('the digest lists each stopped account with its age and how to lift it, once a day while it holds', async () => {
    const s = setup({ mode: 'enforce' }, [critical(SANDBOX)]);
    await s.run();
    const engagedAt = s.caseOf(SANDBOX).kill_switch!.engaged_at!;
    const digests = () => s.mailer.sent.filter((m) => m.kind === 'finops-digest');
    expect(renderedData(digests()[0]!).digest!.killSwitch!.engaged).toEqual([
      expect.objectContaining({ accountId: SANDBOX, ageHours: 0, age: 'under an hour', since: engagedAt }),
    ]);
    // A day and 5 hours later, the same finding again: nothing changed but the stop holds.
    s.clock.set(new Date(Date.parse(engagedAt) + 29 * 3_600_000).toISOString());
    await s.run({ asOfDays: ['2026-03-02'] });
    expect(digests()).toHaveLength(2);
    const [line] = renderedData(digests()[1]!).digest!.killSwitch!.engaged;
    expect(line).toMatchObject({ accountId: SANDBOX, ageHours: 29, age: '1 day 5 h' });
    expect(line!.release).toEqual({
      url: null,
      command: `sentinel kill-switch release --account ${SANDBOX} --out ${s.config.out}`,
    });
    // Again on the same detection day: no second digest for the stop alone.
    await s.run({ asOfDays: ['2026-03-02'] });
    expect(digests()).toHaveLength(2);
  });

  it('a dry-run digest lists what enforce mode would have stopped', async () => {
    const s = setup({ mode: 'dry-run' }, [critical(SANDBOX)]);
    await s.run();
    const digest = s.mailer.sent.find((m) => m.kind === 'finops-digest')!;
    const ks = renderedData(digest).digest!.killSwitch!;
    expect(ks.mode).toBe('dry-run');
    expect(ks.engaged).toEqual([]);
    expect(ks.wouldEngage.map((w) => w.accountId)).toEqual([SANDBOX]);
  });
});
