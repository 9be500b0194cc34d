/**
 * The notify step: the outbox protocol of SPEC §7. Transitions leave `due` items and `events_due`
 * on the cases; this step, holding the `locks/notify.json` lease, writes and publishes the events,
 * then for each message: claim the due items on its cases → log entry create-only `sending` →
 * send → `sent` → clear the items. Every crash leaves either due items or a log entry, so the next
 * run or follow-up finishes the job without a second email.
 *
 * The claim (writing the message id onto the cases' due items before the log entry) is what makes
 * a multi-case message safe: a crash half-way through clearing leaves the rest pointing at the
 * `sent` entry, instead of regrouping them into a second email.
 */
import type { SentinelConfig } from '../config.js';
import { ConflictError, describeError, PermanentRejectionError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MessageData, MessageKind, RenderedMessage } from '../notify/message-model.js';
import type { BlobStore, BusEvent, Clock, EventBus, Mailer, OwnerDirectory } from '../ports.js';
import type { IsoDate } from '../types.js';
import { groupDue, messageIdFor, type PlannedMessage } from './grouping.js';
import {
  type CaseRecord,
  caseEventBlobKey,
  isLive,
  type NotificationEntry,
  notificationBlobKey,
} from './model.js';
import { type AnswerActionsFor, accountNameFor, caseSection } from './sections.js';
import { readAllCases, readCase, updateCase } from './store.js';

/** Where the fault-injection hook can stop a process (crash tests). */
export const FAULT_POINTS = [
  'after-transitions',
  'after-claim',
  'after-log-sending',
  'after-send',
  'after-log-sent',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface NotifyPorts {
  store: BlobStore;
  mailer: Mailer;
  events: EventBus;
  owners: OwnerDirectory;
  clock: Clock;
  log: Logger;
  render: (data: MessageData) => RenderedMessage;
  answerActions: AnswerActionsFor;
  /** Test hook: called at each protocol point; the CLI wiring may kill the process there. */
  fault?: (point: FaultPoint) => void;
}

export interface MessageOutcome {
  messageId: string;
  kind: MessageKind;
  to: string[];
  cc: string[];
  subject: string;
  caseKeys: string[];
  status: NotificationEntry['status'];
  error: string | null;
}

export interface DeliveryReport {
  leaseTaken: boolean;
  eventsWritten: number;
  messages: MessageOutcome[];
}

export const LEASE_KEY = 'locks/notify.json';
/** When the last FinOps digest went out (the digest says "since …"). */
export const LAST_DIGEST_KEY = 'digests/last.json';
export const LEASE_MS = 15 * 60_000;

interface Lease {
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** Create-only; an expired lease is taken over with an if-match write, so two takers cannot both win. */
export async function acquireLease(store: BlobStore, clock: Clock, holder: string): Promise<boolean> {
  const now = clock.now();
  const body = (): string =>
    `${JSON.stringify({
      holder,
      acquired_at: now.toISOString(),
      expires_at: new Date(now.getTime() + LEASE_MS).toISOString(),
    } satisfies Lease)}\n`;
  try {
    await store.put(LEASE_KEY, body(), { ifNoneMatch: '*' });
    return true;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  const current = await store.get(LEASE_KEY);
  if (!current) return false; // released in between: leave it to the next run rather than loop
  const lease = JSON.parse(current.body) as Lease;
  if (lease.holder !== holder && now.getTime() < Date.parse(lease.expires_at)) return false;
  try {
    await store.put(LEASE_KEY, body(), { ifMatch: current.version });
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}

export async function releaseLease(store: BlobStore, holder: string): Promise<void> {
  const current = await store.get(LEASE_KEY);
  if (!current || (JSON.parse(current.body) as Lease).holder !== holder) return;
  // Conditional: a lease taken over after expiry between the read and the delete stays the new holder's.
  await store.delete(LEASE_KEY, { ifMatch: current.version }).catch((error: unknown) => {
    if (!(error instanceof ConflictError)) throw error;
  });
}

/** Writes each case's pending events to `case-events/`, publishes them, then clears them. */
export async function flushCaseEvents(ports: Pick<NotifyPorts, 'store' | 'events'>, cases: CaseRecord[]) {
  let written = 0;
  for (const c of cases) {
    if (c.events_due.length === 0) continue;
    for (const event of c.events_due) {
      await ports.store.put(caseEventBlobKey(event), `${JSON.stringify(event)}\n`);
    }
    const bus: BusEvent[] = c.events_due.map((e) => ({
      id: e.event_id,
      detailType: e.detail_type,
      time: e.time,
      detail: e,
    }));
    await ports.events.publish(bus);
    const ids = new Set(c.events_due.map((e) => e.event_id));
    await updateCase(ports.store, c.case_key, (cur) => {
      if (!cur) return { next: null, result: null };
      cur.events_due = cur.events_due.filter((e) => !ids.has(e.event_id));
      return { next: cur, result: null };
    });
    written += ids.size;
  }
  return written;
}

async function readEntry(
  store: BlobStore,
  messageId: string,
): Promise<{ entry: NotificationEntry; token: string } | undefined> {
  const blob = await store.get(notificationBlobKey(messageId));
  return blob ? { entry: JSON.parse(blob.body) as NotificationEntry, token: blob.version } : undefined;
}

/** Updates a log entry; only the lease holder writes entries after creation, so a conflict is a bug. */
async function writeEntry(store: BlobStore, entry: NotificationEntry, token: string): Promise<string> {
  return store.put(notificationBlobKey(entry.message_id), `${JSON.stringify(entry)}\n`, { ifMatch: token });
}

const outcomeOf = (entry: NotificationEntry): MessageOutcome => ({
  messageId: entry.message_id,
  kind: entry.kind,
  to: entry.to,
  cc: entry.cc,
  subject: entry.subject,
  caseKeys: entry.cases.map((c) => c.case_key),
  status: entry.status,
  error: entry.error,
});

class Delivery {
  readonly report: DeliveryReport = { leaseTaken: true, eventsWritten: 0, messages: [] };
  private digestAsOf: IsoDate | null = null;

  constructor(
    private readonly ports: NotifyPorts,
    private readonly config: SentinelConfig,
  ) {}

  private now(): string {
    return this.ports.clock.now().toISOString();
  }

  /** Removes the entry's items from its cases' due; a rejection also records the refused addresses. */
  async clearDue(entry: NotificationEntry): Promise<void> {
    if (entry.kind === 'finops-digest' && entry.status === 'sent') {
      await this.ports.store.put(
        LAST_DIGEST_KEY,
        `${JSON.stringify({ message_id: entry.message_id, sent_at: entry.updated_at, as_of: this.digestAsOf })}\n`,
      );
    }
    for (const ref of entry.cases) {
      const ids = new Set(ref.event_ids);
      await updateCase(this.ports.store, ref.case_key, (c) => {
        if (!c) return { next: null, result: null };
        if (entry.kind === 'finops-digest') {
          c.undigested = c.undigested.filter((u) => !ids.has(u.event_id));
          for (const r of c.refused) r.reported = true;
        } else {
          c.due = c.due.filter((d) => !ids.has(d.event_id));
        }
        if (entry.status === 'rejected' && ref.epoch === c.epoch) {
          for (const address of entry.refused) {
            if (!c.refused.some((r) => r.address === address && r.epoch === c.epoch)) {
              c.refused.push({
                address,
                epoch: c.epoch,
                error: entry.error ?? '',
                at: entry.updated_at,
                reported: false,
              });
            }
          }
        }
        return { next: c, result: null };
      });
    }
  }

  /** Sends a logged message (same id, same content) and records how it went. */
  async send(entry: NotificationEntry, token: string): Promise<void> {
    const { mailer, log, fault } = this.ports;
    let next: NotificationEntry;
    let sent: { providerMessageId: string } | undefined;
    let failure: unknown;
    try {
      sent = await mailer.send({
        messageId: entry.message_id,
        from: entry.from,
        to: entry.to,
        cc: entry.cc,
        subject: entry.subject,
        html: entry.html,
        text: entry.text,
        caseKeys: entry.cases.map((c) => c.case_key),
        kind: entry.kind,
      });
    } catch (error) {
      failure = error;
    }
    if (sent) {
      fault?.('after-send');
      next = { ...entry, status: 'sent', provider_message_id: sent.providerMessageId, error: null };
    } else {
      const message = describeError(failure);
      if (failure instanceof PermanentRejectionError) {
        log.warn(`message ${entry.message_id} (${entry.kind}) refused for good: ${message}`);
        next = {
          ...entry,
          status: 'rejected',
          refused: failure.addresses.map((a) => a.toLowerCase()),
          error: message,
        };
      } else {
        // Recorded and retried as the same message by the next run or follow-up; never blocks the others.
        log.warn(`message ${entry.message_id} (${entry.kind}) failed, will retry: ${message}`);
        next = { ...entry, status: 'failed', error: message };
      }
    }
    next = { ...next, attempts: entry.attempts + 1, updated_at: this.now() };
    await writeEntry(this.ports.store, next, token);
    if (next.status === 'sent') fault?.('after-log-sent');
    this.report.messages.push(outcomeOf(next));
    if (next.status !== 'failed') await this.clearDue(next);
  }

  /** Finishes a message whose log entry exists: sent/rejected → clear; sending/failed → send again. */
  async settle(entry: NotificationEntry, token: string): Promise<void> {
    if (entry.status === 'sent' || entry.status === 'rejected') return this.clearDue(entry);
    if (entry.kind !== 'finops-digest') {
      const live = await this.anyLive(entry);
      if (!live) {
        // Every case of it closed meanwhile: the message is moot.
        return this.clearDue({ ...entry, status: 'sent' });
      }
    }
    return this.send(entry, token);
  }

  private async anyLive(entry: NotificationEntry): Promise<boolean> {
    for (const ref of entry.cases) {
      const stored = await readCase(this.ports.store, ref.case_key);
      if (stored && isLive(stored.record.state) && stored.record.epoch === ref.epoch) return true;
    }
    return false;
  }

  /** Phase 1: messages already claimed on cases (a crash, a failure): finish them as they were. */
  async resumeClaimed(): Promise<void> {
    const cases = await readAllCases(this.ports.store);
    const claimed = new Map<string, string[]>();
    for (const c of cases) {
      for (const item of c.due) {
        if (!item.message_id) continue;
        const keys = claimed.get(item.message_id) ?? [];
        if (!keys.includes(c.case_key)) keys.push(c.case_key);
        claimed.set(item.message_id, keys);
      }
    }
    for (const [messageId, caseKeys] of claimed) {
      const found = await readEntry(this.ports.store, messageId);
      if (found) {
        await this.settle(found.entry, found.token);
        continue;
      }
      // Claimed, but the process stopped before the log entry: regroup as if never claimed.
      for (const key of caseKeys) {
        await updateCase(this.ports.store, key, (c) => {
          if (!c) return { next: null, result: null };
          for (const d of c.due) if (d.message_id === messageId) d.message_id = null;
          return { next: c, result: null };
        });
      }
    }
  }

  /** Phase 2: group what is due and unclaimed into messages, and send each by the protocol. */
  async sendNew(): Promise<void> {
    const { store, owners } = this.ports;
    const cases = await readAllCases(store);
    const due = cases
      .filter((c) => isLive(c.state))
      .map((record) => ({
        record,
        owner: owners.lookup(record.account_id),
        items: record.due.filter((d) => d.message_id === null),
      }))
      .filter((d) => d.items.length > 0);
    const plans = groupDue(due, {
      finops: this.config.notify.finops,
      escalation: this.config.notify.escalation,
    });
    for (const plan of plans) await this.sendPlanned(plan);
  }

  private async sendPlanned(plan: PlannedMessage): Promise<void> {
    const { store, fault } = this.ports;
    const now = this.now();
    const data: MessageData = {
      kind: plan.kind,
      generatedAt: now,
      recipient: { to: plan.to, cc: plan.cc },
      followUpHours: this.config.notify.follow_up_hours,
      contacts: { finops: this.config.notify.finops, escalation: this.config.notify.escalation },
      sections: plan.sections.map((s) =>
        caseSection(s.record, s.owner, this.ports.answerActions, s.severityRaised),
      ),
    };
    const rendered = this.ports.render(data);
    for (const section of plan.sections) {
      const ids = new Set(section.eventIds);
      await updateCase(store, section.record.case_key, (c) => {
        if (!c) return { next: null, result: null };
        for (const d of c.due)
          if (ids.has(d.event_id) && d.message_id === null) d.message_id = plan.messageId;
        if (!c.messages.some((m) => m.message_id === plan.messageId)) {
          c.messages.push({ message_id: plan.messageId, kind: plan.kind, epoch: c.epoch, at: now });
        }
        return { next: c, result: null };
      });
    }
    fault?.('after-claim');
    const entry = this.newEntry(
      plan.messageId,
      plan.kind,
      plan.to,
      plan.cc,
      rendered,
      plan.sections.map((s) => ({
        case_key: s.record.case_key,
        epoch: s.record.epoch,
        event_ids: s.eventIds,
      })),
    );
    await this.createAndSend(entry);
  }

  private newEntry(
    messageId: string,
    kind: MessageKind,
    to: string[],
    cc: string[],
    rendered: RenderedMessage,
    cases: NotificationEntry['cases'],
  ): NotificationEntry {
    const now = this.now();
    return {
      message_id: messageId,
      kind,
      status: 'sending',
      from: this.config.notify.from,
      to,
      cc,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      cases,
      created_at: now,
      updated_at: now,
      attempts: 0,
      provider_message_id: null,
      error: null,
      refused: [],
    };
  }

  private async createAndSend(entry: NotificationEntry): Promise<void> {
    const { store, fault } = this.ports;
    let token: string;
    try {
      token = await store.put(notificationBlobKey(entry.message_id), `${JSON.stringify(entry)}\n`, {
        ifNoneMatch: '*',
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // The same message was logged before (a rerun, a crash): finish that one instead.
      const found = await readEntry(store, entry.message_id);
      if (found) await this.settle(found.entry, found.token);
      return;
    }
    fault?.('after-log-sending');
    await this.send(entry, token);
  }

  private async lastDigest(): Promise<{ sent_at: string; as_of: IsoDate | null } | null> {
    const blob = await this.ports.store.get(LAST_DIGEST_KEY);
    return blob ? (JSON.parse(blob.body) as { sent_at: string; as_of: IsoDate | null }) : null;
  }

  /**
   * The FinOps digest (detection runs only): sent when something changed since the last digest
   * (transitions, refused addresses, failed messages) or live escalated cases exist.
   */
  async sendDigest(defaultAsOf: IsoDate): Promise<void> {
    const { store, owners } = this.ports;
    const cases = await readAllCases(store);
    const finops = this.config.notify.finops;
    const failed = this.report.messages.filter((m) => m.status === 'failed');
    const live = cases.filter((c) => isLive(c.state));
    const escalated = live.filter((c) => c.state === 'escalated');
    const refused = cases.flatMap((c) =>
      c.refused
        .filter((r) => !r.reported)
        .map((r) => ({ address: r.address, caseKey: c.case_key, error: r.error })),
    );
    const changed = cases.filter((c) => c.undigested.length > 0);
    const last = await this.lastDigest();
    if (changed.length === 0 && refused.length === 0 && failed.length === 0) {
      // Escalated cases alone are listed once per detection day, not once per rerun of that day.
      if (escalated.length === 0 || last?.as_of === defaultAsOf) return;
    }
    this.digestAsOf = defaultAsOf;

    const stateCounts: Record<string, number> = {};
    for (const c of cases) stateCounts[c.state] = (stateCounts[c.state] ?? 0) + 1;
    const ownerOf = (c: CaseRecord) => owners.lookup(c.account_id);
    const data: MessageData = {
      kind: 'finops-digest',
      generatedAt: this.now(),
      recipient: { to: [finops], cc: [] },
      followUpHours: this.config.notify.follow_up_hours,
      contacts: { finops, escalation: this.config.notify.escalation },
      sections: [],
      digest: {
        since: last?.sent_at ?? null,
        stateCounts,
        changes: changed.flatMap((c) =>
          c.undigested.map((u) => ({
            caseKey: c.case_key,
            accountId: c.account_id,
            accountName: accountNameFor(c, ownerOf(c)),
            from: u.from_state,
            to: u.to_state,
            at: u.at,
          })),
        ),
        unroutable: live
          .filter((c) => !ownerOf(c).routed)
          .map((c) => ({
            accountId: c.account_id,
            accountName: accountNameFor(c, ownerOf(c)),
            caseKey: c.case_key,
          })),
        refusedAddresses: refused,
        failedMessages: failed.map((m) => ({ messageId: m.messageId, kind: m.kind, error: m.error ?? '' })),
        escalated: escalated.map((c) => caseSection(c, ownerOf(c), this.ports.answerActions)),
      },
    };
    const refs = cases
      .filter((c) => c.undigested.length > 0 || c.refused.some((r) => !r.reported))
      .map((c) => ({
        case_key: c.case_key,
        epoch: c.epoch,
        event_ids: c.undigested.map((u) => u.event_id),
      }));
    // The as-of day keeps one digest per detection day: a rerun of the same day finds it sent.
    const messageId = messageIdFor(
      'finops-digest',
      { to: [finops.toLowerCase()], cc: [] },
      refs.map((r) => ({ caseKey: r.case_key, eventIds: r.event_ids })),
      [
        `as-of:${defaultAsOf}`,
        ...escalated.map((c) => `escalated:${c.case_key}:${c.epoch}`),
        ...refused.map((r) => `refused:${r.caseKey}:${r.address}`),
        ...failed.map((m) => `failed:${m.messageId}`),
      ].sort(),
    );
    const rendered = this.ports.render(data);
    await this.createAndSend(this.newEntry(messageId, 'finops-digest', [finops], [], rendered, refs));
  }
}

export interface DeliverOptions {
  /** Who holds the lease (the run id). */
  holder: string;
  /** Detection runs pass their default as-of day to send a FinOps digest; follow-ups pass null. */
  digestAsOf: IsoDate | null;
}

/** Every run and follow-up: publish pending events and send what is due, under the notify lease. */
export async function deliverDue(
  ports: NotifyPorts,
  config: SentinelConfig,
  options: DeliverOptions,
): Promise<DeliveryReport> {
  const { store, clock, log } = ports;
  if (!(await acquireLease(store, clock, options.holder))) {
    log.warn(
      `another process holds the notify lease (${store.describe(LEASE_KEY)}); what is due is left to the next run`,
    );
    return { leaseTaken: false, eventsWritten: 0, messages: [] };
  }
  const delivery = new Delivery(ports, config);
  try {
    delivery.report.eventsWritten = await flushCaseEvents(ports, await readAllCases(store));
    await delivery.resumeClaimed();
    await delivery.sendNew();
    if (options.digestAsOf) await delivery.sendDigest(options.digestAsOf);
  } finally {
    try {
      await ports.mailer.flush?.();
    } finally {
      await releaseLease(store, options.holder);
    }
  }
  return delivery.report;
}
