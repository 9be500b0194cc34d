import { describe, expect, it } from 'vitest';
import type { CaseRecord, NotificationEntry } from '../../functions/core/cases/model.js';
import { applyCaseInput } from '../../functions/core/cases/transitions.js';
import { acknowledge } from '../../functions/core/commands/acknowledge.js';
import { followUp } from '../../functions/core/commands/follow-up.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { acquireLease, LEASE_KEY } from '../../functions/core/deliver/lease.js';
import { PermanentRejectionError, UpstreamError } from '../../functions/core/errors.js';
import { groupDue, recipientsFor } from '../../functions/core/notify/grouping.js';
import type { Owner } from '../../functions/core/ports.js';
import { renderedData, testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';

const notify = { finops: 'finops@example.com', escalation: ['oncall@example.com', 'finops@example.com'] };
const rules = { followUpHours: 48, autoResolveDays: 3, suppressDays: 30, resuppressGrowth: 2 };

function openCase(account: string): CaseRecord {
  return applyCaseInput(
    null,
    {
      type: 'finding',
      finding: makeFinding({ account, asOf: '2026-03-01' }),
      mayOpen: true,
      runId: 'r',
      owner: null,
    },
    { now: new Date('2026-03-03T08:00:00Z'), rules },
  ).next!;
}

const owner = (accountId: string, ownerEmail: string, cc: string[] = []): Owner => ({
  accountId,
  ownerEmail,
  accountName: null,
  team: null,
  cc,
  routed: true,
});

const OWNERS = [
  {
    accountId: '111111111111',
    ownerEmail: 'ana@example.com',
    accountName: 'Payments',
    team: null,
    cc: ['lead@example.com'],
  },
  {
    accountId: '222222222222',
    ownerEmail: 'ana@example.com',
    accountName: 'Staging',
    team: null,
    cc: ['lead@example.com'],
  },
  {
    accountId: '333333333333',
    ownerEmail: 'ana@example.com',
    accountName: 'Search',
    team: null,
    cc: ['other@example.com'],
  },
  { accountId: '555555555555', ownerEmail: 'bo@example.com', accountName: 'Data', team: null, cc: [] },
];

describe('recipients (docs/emails.md)', () => {
  const c = openCase('111111111111');
  const o = owner('111111111111', 'ana@example.com', ['lead@example.com', 'Ana@Example.com']);

  it('owner alert: To the owner, Cc the account cc; an address appears once, To wins', () => {
    expect(recipientsFor('owner-alert', o, c, notify)).toEqual({
      to: ['ana@example.com'],
      cc: ['lead@example.com'],
    });
  });

  it('reminder: To the owner, Cc FinOps and the account cc', () => {
    expect(recipientsFor('reminder', o, c, notify)).toEqual({
      to: ['ana@example.com'],
      cc: ['finops@example.com', 'lead@example.com'],
    });
  });

  it('escalation: To the escalation list, Cc the owner, FinOps and the account cc', () => {
    expect(recipientsFor('escalation', o, c, notify)).toEqual({
      to: ['finops@example.com', 'oncall@example.com'],
      cc: ['ana@example.com', 'lead@example.com'],
    });
  });

  it('puts FinOps in the place of an owner address refused in this epoch', () => {
    const refused = {
      ...c,
      refused: [{ address: 'ana@example.com', epoch: 1, error: 'x', at: '', reported: false }],
    };
    expect(recipientsFor('owner-alert', o, refused, notify).to).toEqual(['finops@example.com']);
    const nextEpoch = { ...refused, epoch: 2 };
    expect(recipientsFor('owner-alert', o, nextEpoch, notify).to).toEqual(['ana@example.com']);
  });
});

describe('grouping one run’s due emails', () => {
  const due = (account: string, cc: string[], email = 'ana@example.com') => {
    const record = openCase(account);
    return { record, owner: owner(account, email, cc), items: record.due };
  };

  it('merges an owner’s accounts that share a cc into one message, one section per case', () => {
    const plans = groupDue(
      [due('111111111111', ['lead@example.com']), due('222222222222', ['lead@example.com'])],
      notify,
    );
    expect(plans).toHaveLength(1);
    expect(plans[0]!.sections.map((s) => s.record.account_id)).toEqual(['111111111111', '222222222222']);
  });

  it('keeps accounts with a different cc in separate messages, so no one reads another account', () => {
    const plans = groupDue(
      [due('111111111111', ['lead@example.com']), due('333333333333', ['other@example.com'])],
      notify,
    );
    expect(plans.map((p) => p.cc)).toEqual(
      expect.arrayContaining([['lead@example.com'], ['other@example.com']]),
    );
    expect(plans).toHaveLength(2);
  });

  it('groups escalations by owner and cc like alerts: two accounts with different cc are two messages', () => {
    const escalate = (d: ReturnType<typeof due>) => ({
      ...d,
      items: [{ ...d.items[0]!, kind: 'escalation' as const }],
    });
    const plans = groupDue(
      [
        escalate(due('111111111111', ['lead@example.com'])),
        escalate(due('222222222222', ['lead@example.com'])),
        escalate(due('333333333333', ['other@example.com'])),
      ],
      notify,
    );
    expect(plans.map((p) => [p.kind, p.cc, p.sections.length])).toEqual(
      expect.arrayContaining([
        ['escalation', ['ana@example.com', 'lead@example.com'], 2],
        ['escalation', ['ana@example.com', 'other@example.com'], 1],
      ]),
    );
    expect(plans).toHaveLength(2);
  });

  it('gives the same message the same id, and a different report a different id', () => {
    const a = groupDue([due('111111111111', [])], notify)[0]!;
    const b = groupDue([due('111111111111', [])], notify)[0]!;
    expect(a.messageId).toBe(b.messageId);
    const other = groupDue([due('111111111111', [], 'bo@example.com')], notify)[0]!;
    expect(other.messageId).not.toBe(a.messageId);
  });
});

describe('the notify step', () => {
  const findings = [
    makeFinding({ account: '111111111111', asOf: '2026-03-01' }),
    makeFinding({ account: '222222222222', asOf: '2026-03-01' }),
    makeFinding({ account: '333333333333', asOf: '2026-03-01' }),
    makeFinding({ account: '444444444444', asOf: '2026-03-01' }), // not in the mapping
  ];

  it('sends one owner alert per recipient set and routes an unmapped account to FinOps', async () => {
    const t = testPorts({ findings, owners: OWNERS });
    const result = await runPipeline(t.ports, t.config);
    const alerts = t.mailer.sent.filter((m) => m.kind === 'owner-alert');
    expect(alerts.map((m) => [m.to, m.cc, m.caseKeys.length])).toEqual(
      expect.arrayContaining([
        [['ana@example.com'], ['lead@example.com'], 2],
        [['ana@example.com'], ['other@example.com'], 1],
        [['finops@example.com'], [], 1],
      ]),
    );
    expect(alerts).toHaveLength(3);
    expect(result.run.unroutable_cases).toEqual([findings[3]!.case_key]);
    const digest = renderedData(t.mailer.sent.find((m) => m.kind === 'finops-digest')!);
    expect(digest.digest?.unroutable.map((u) => u.accountId)).toEqual(['444444444444']);
    expect(digest.digest?.changes).toHaveLength(4);
  });

  it('retries a failed message as the same message (same id, same content) until it is sent', async () => {
    const t = testPorts({ findings: [findings[0]!], owners: OWNERS });
    t.mailer.failures.push(new UpstreamError('SES throttled'));
    const first = await runPipeline(t.ports, t.config);
    const failed = first.delivery.messages.find((m) => m.status === 'failed')!;
    expect(failed.kind).toBe('owner-alert');
    const entry = t.store.json<NotificationEntry>(`notifications/${failed.messageId}.json`);
    expect(entry).toMatchObject({ status: 'failed', error: 'SES throttled', attempts: 1 });
    // The digest reports the failed message.
    const digest = renderedData(t.mailer.sent.find((m) => m.kind === 'finops-digest')!);
    expect(digest.digest?.failedMessages.map((f) => f.messageId)).toEqual([failed.messageId]);

    t.clock.advanceHours(1);
    await followUp(t.ports, t.config);
    const resent = t.mailer.sent.filter((m) => m.kind === 'owner-alert');
    expect(resent.map((m) => m.messageId)).toEqual([failed.messageId]);
    expect(resent[0]!.html).toBe(entry.html);
    expect(t.store.json<NotificationEntry>(`notifications/${failed.messageId}.json`)).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
    const c = t.store.json<CaseRecord>(`cases/${findings[0]!.case_key}.json`);
    expect(c.due).toEqual([]);
    // Deadlines ran from the transition, not the send.
    expect(c.deadline).toBe('2026-03-05T08:00:00.000Z');
  });

  it('does not retry a permanent rejection; FinOps takes the owner’s place; the digest reports it', async () => {
    const t = testPorts({ findings: [findings[0]!], owners: OWNERS });
    t.mailer.failures.push(new PermanentRejectionError(['ana@example.com'], 'address refused'));
    const first = await runPipeline(t.ports, t.config);
    expect(first.delivery.messages.map((m) => m.status)).toContain('rejected');
    const c = t.store.json<CaseRecord>(`cases/${findings[0]!.case_key}.json`);
    expect(c.due).toEqual([]);
    expect(c.refused.map((r) => r.address)).toEqual(['ana@example.com']);
    await followUp(t.ports, t.config); // nothing to retry
    expect(t.mailer.sent.filter((m) => m.kind === 'owner-alert')).toHaveLength(0);

    t.clock.set('2026-03-04T08:00:00Z');
    await runPipeline(t.ports, t.config);
    const digests = t.mailer.sent.filter((m) => m.kind === 'finops-digest').map(renderedData);
    expect(digests.flatMap((d) => d.digest?.refusedAddresses.map((r) => r.address) ?? [])).toEqual([
      'ana@example.com',
    ]);

    t.clock.set('2026-03-05T09:00:00Z');
    await followUp(t.ports, t.config);
    const reminder = t.mailer.sent.find((m) => m.kind === 'reminder')!;
    expect(reminder.to).toEqual(['finops@example.com']);
    expect(reminder.cc).toEqual(['lead@example.com']);
  });

  it('sends the digest only from detection runs, and only when something changed or cases are escalated', async () => {
    // The spike goes on every day, so the case stays live (no auto-resolve).
    const daily = Array.from({ length: 14 }, (_, i) =>
      makeFinding({ account: '111111111111', asOf: `2026-03-${String(i + 1).padStart(2, '0')}` }),
    );
    const t = testPorts({ findings: daily, owners: OWNERS });
    await runPipeline(t.ports, t.config);
    expect(t.mailer.sent.filter((m) => m.kind === 'finops-digest')).toHaveLength(1);
    t.clock.set('2026-03-04T08:00:00Z');
    await runPipeline(t.ports, t.config); // nothing changed
    expect(t.mailer.sent.filter((m) => m.kind === 'finops-digest')).toHaveLength(1);
    t.clock.set('2026-03-05T09:00:00Z');
    await followUp(t.ports, t.config); // reminder, but follow-ups send no digest
    t.clock.set('2026-03-07T10:00:00Z');
    await followUp(t.ports, t.config); // escalation
    expect(t.mailer.sent.filter((m) => m.kind === 'finops-digest')).toHaveLength(1);
    await runPipeline(t.ports, t.config);
    const digest = renderedData(t.mailer.sent.filter((m) => m.kind === 'finops-digest').at(-1)!);
    expect(digest.digest?.escalated.map((s) => s.accountId)).toEqual(['111111111111']);
    expect(digest.digest?.escalated[0]?.actions.length).toBeGreaterThan(0);
    expect(digest.digest?.changes.map((c) => c.to)).toEqual(['reminded', 'escalated']);
    await runPipeline(t.ports, t.config); // same day again: the same digest is already sent
    expect(t.mailer.sent.filter((m) => m.kind === 'finops-digest')).toHaveLength(2);
    t.clock.set('2026-03-14T10:00:00Z');
    await runPipeline(t.ports, t.config); // a week later, still escalated: listed again
    expect(t.mailer.sent.filter((m) => m.kind === 'finops-digest')).toHaveLength(3);
  });

  it('leaves what is due when another process holds the lease, and takes it over after 15 minutes', async () => {
    const t = testPorts({ findings: [findings[0]!], owners: OWNERS });
    expect(await acquireLease(t.store, t.clock, 'someone-else')).toBe(true);
    const blocked = await runPipeline(t.ports, t.config);
    expect(blocked.delivery.leaseTaken).toBe(false);
    expect(t.mailer.sent).toHaveLength(0);
    expect(t.store.json<CaseRecord>(`cases/${findings[0]!.case_key}.json`).due).toHaveLength(1);
    t.clock.advanceHours(0.25);
    const after = await followUp(t.ports, t.config);
    expect(after.delivery.leaseTaken).toBe(true);
    expect(t.mailer.sent.map((m) => m.kind)).toEqual(['owner-alert']);
    expect(await t.store.get(LEASE_KEY)).toBeUndefined();
  });

  it('a dry run renders and reports but sends nothing and changes no state', async () => {
    const t = testPorts({ findings, owners: OWNERS });
    const result = await runPipeline(t.ports, t.config, { dryRun: true });
    expect(result.wouldSend.map((m) => m.kind).sort()).toEqual([
      'finops-digest',
      'owner-alert',
      'owner-alert',
      'owner-alert',
    ]);
    expect(t.mailer.sent).toHaveLength(0);
    expect(t.bus.events).toHaveLength(0);
    expect(await t.store.list('')).toEqual([`runs/${result.run.run_id}.json`]);
    expect(result.run.dry_run).toBe(true);
    // A real run afterwards still opens and sends everything.
    await runPipeline(t.ports, t.config);
    expect(t.mailer.sent).toHaveLength(4);
  });

  it('publishes every transition once and clears events_due', async () => {
    const t = testPorts({ findings: [findings[0]!], owners: OWNERS });
    await runPipeline(t.ports, t.config);
    await acknowledge(t.ports, t.config, {
      caseKey: findings[0]!.case_key,
      answer: 'investigating',
      note: 'on it',
    });
    const types = t.bus.events.map((e) => e.detailType);
    expect(types).toEqual(['Case Opened', 'Detection Run Completed', 'Case Acknowledged']);
    expect(t.store.json<CaseRecord>(`cases/${findings[0]!.case_key}.json`).events_due).toEqual([]);
    expect(await t.store.list('case-events/event_date=2026-03-03/')).toHaveLength(2);
  });
});
