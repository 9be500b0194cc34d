/**
 * The notify step: the outbox protocol of docs/storage.md. Transitions leave `due` items and `events_due`
 * on the cases; this step, holding the `locks/notify.json` lease, writes and publishes the events,
 * then for each message: claim the due items on its cases → log entry create-only `sending` →
 * send → `sent` → clear the items. Every crash leaves either due items or a log entry, so the next
 * run or follow-up finishes the job without a second email.
 *
 * The claim (writing the message id onto the cases' due items before the log entry) is what makes
 * a multi-case message safe: a crash half-way through clearing leaves the rest pointing at the
 * `sent` entry, instead of regrouping them into a second email.
 *
 * The cases are read once, after the lease is taken (a snapshot read before it could still show
 * items another sender has just cleared); every write of this step refreshes its own copy.
 */
import { type CaseRecord, caseOwner, isLive, type NotificationEntry } from '../cases/model.js';
import { readAllCases, updateCase } from '../cases/store.js';
import type { SentinelConfig } from '../config.js';
import { ConflictError, describeError, PermanentRejectionError } from '../errors.js';
import { type LastDigest, planDigest } from '../notify/digest.js';
import { groupDue, type PlannedMessage } from '../notify/grouping.js';
import type { MessageData } from '../notify/message-model.js';
import { caseSection } from '../notify/sections.js';
import type { IsoDate } from '../types.js';
import { flushCaseEvents } from './case-events.js';
import { acquireLease, LEASE_KEY, releaseLease } from './lease.js';
import {
  createEntry,
  type MessageOutcome,
  newEntry,
  outcomeOf,
  readEntry,
  writeEntry,
} from './notification-log.js';
import type { NotifyPorts } from './ports.js';

export interface DeliveryReport {
  leaseTaken: boolean;
  eventsWritten: number;
  messages: MessageOutcome[];
  /** Every case as this step left it (null when the lease was not taken: nothing was read). */
  cases: CaseRecord[] | null;
}

/** When the last FinOps digest went out (the digest says "since …"). */
export const LAST_DIGEST_KEY = 'digests/last.json';

export interface DeliverOptions {
  /** Who holds the lease (the run id). */
  holder: string;
  /** Detection runs pass their default as-of day to send a FinOps digest; follow-ups pass null. */
  digestAsOf: IsoDate | null;
}

/** The run record's message counts. A dry run sends nothing: what it rendered counts as `messages_would_send`. */
export function deliveryCounts(
  delivery: DeliveryReport,
  options: { dryRun?: boolean } = {},
): Record<string, number> {
  if (options.dryRun) {
    return {
      messages_sent: 0,
      messages_failed: 0,
      messages_rejected: 0,
      messages_would_send: delivery.messages.length,
      case_events_written: 0,
    };
  }
  const counts: Record<string, number> = { messages_sent: 0, messages_failed: 0, messages_rejected: 0 };
  for (const m of delivery.messages) {
    const key =
      m.status === 'sent' ? 'messages_sent' : m.status === 'failed' ? 'messages_failed' : 'messages_rejected';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  counts.case_events_written = delivery.eventsWritten;
  return counts;
}

class Delivery {
  readonly report: DeliveryReport = { leaseTaken: true, eventsWritten: 0, messages: [], cases: [] };
  private readonly cases = new Map<string, CaseRecord>();
  private digestAsOf: IsoDate | null = null;

  constructor(
    private readonly ports: NotifyPorts,
    private readonly config: SentinelConfig,
    cases: CaseRecord[],
  ) {
    for (const c of cases) this.cases.set(c.case_key, c);
  }

  snapshot(): CaseRecord[] {
    return [...this.cases.values()].sort((a, b) => a.case_key.localeCompare(b.case_key));
  }

  private now(): string {
    return this.ports.clock.now().toISOString();
  }

  /** A conditional case write that also refreshes this step's copy of the case. */
  private async update(caseKey: string, change: (c: CaseRecord) => CaseRecord): Promise<CaseRecord | null> {
    const { record } = await updateCase(this.ports.store, caseKey, (c) => ({
      next: c ? change(c) : null,
      result: null,
    }));
    if (record) this.cases.set(caseKey, record);
    return record;
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
      await this.update(ref.case_key, (c) => {
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
        return c;
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
    if (entry.kind !== 'finops-digest' && !this.anyLive(entry)) {
      // Every case of it closed meanwhile: the message is moot.
      return this.clearDue({ ...entry, status: 'sent' });
    }
    return this.send(entry, token);
  }

  private anyLive(entry: NotificationEntry): boolean {
    return entry.cases.some((ref) => {
      const c = this.cases.get(ref.case_key);
      return c !== undefined && isLive(c.state) && c.epoch === ref.epoch;
    });
  }

  /** Phase 1: messages already claimed on cases (a crash, a failure): finish them as they were. */
  async resumeClaimed(): Promise<void> {
    const claimed = new Map<string, string[]>();
    for (const c of this.snapshot()) {
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
        await this.update(key, (c) => {
          for (const d of c.due) if (d.message_id === messageId) d.message_id = null;
          return c;
        });
      }
    }
  }

  /** Phase 2: group what is due and unclaimed into messages, and send each by the protocol. */
  async sendNew(): Promise<void> {
    const due = this.snapshot()
      .filter((c) => isLive(c.state))
      .map((record) => ({
        record,
        owner: caseOwner(record, this.config.notify.finops),
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
      await this.update(section.record.case_key, (c) => {
        for (const d of c.due)
          if (ids.has(d.event_id) && d.message_id === null) d.message_id = plan.messageId;
        if (!c.messages.some((m) => m.message_id === plan.messageId)) {
          c.messages.push({ message_id: plan.messageId, kind: plan.kind, epoch: c.epoch, at: now });
        }
        return c;
      });
    }
    this.ports.fault?.('after-claim');
    const cases = plan.sections.map((s) => ({
      case_key: s.record.case_key,
      epoch: s.record.epoch,
      event_ids: s.eventIds,
    }));
    await this.createAndSend(
      newEntry({
        messageId: plan.messageId,
        kind: plan.kind,
        from: this.config.notify.from,
        to: plan.to,
        cc: plan.cc,
        rendered,
        cases,
        now,
      }),
    );
  }

  private async createAndSend(entry: NotificationEntry): Promise<void> {
    const { store, fault } = this.ports;
    let token: string;
    try {
      token = await createEntry(store, entry);
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

  /** The FinOps digest (detection runs only), when planDigest finds something to say. */
  async sendDigest(defaultAsOf: IsoDate): Promise<void> {
    const blob = await this.ports.store.get(LAST_DIGEST_KEY);
    const now = this.now();
    const planned = planDigest({
      cases: this.snapshot(),
      failed: this.report.messages.filter((m) => m.status === 'failed'),
      last: blob ? (JSON.parse(blob.body) as LastDigest) : null,
      defaultAsOf,
      now,
      notify: {
        finops: this.config.notify.finops,
        escalation: this.config.notify.escalation,
        followUpHours: this.config.notify.follow_up_hours,
      },
      answerActions: this.ports.answerActions,
    });
    if (!planned) return;
    this.digestAsOf = defaultAsOf;
    const finops = this.config.notify.finops;
    await this.createAndSend(
      newEntry({
        messageId: planned.messageId,
        kind: 'finops-digest',
        from: this.config.notify.from,
        to: [finops],
        cc: [],
        rendered: this.ports.render(planned.data),
        cases: planned.refs,
        now,
      }),
    );
  }
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
    return { leaseTaken: false, eventsWritten: 0, messages: [], cases: null };
  }
  try {
    const flushed = await flushCaseEvents(ports, await readAllCases(store));
    const delivery = new Delivery(ports, config, flushed.cases);
    delivery.report.eventsWritten = flushed.written;
    await delivery.resumeClaimed();
    await delivery.sendNew();
    if (options.digestAsOf) await delivery.sendDigest(options.digestAsOf);
    delivery.report.cases = delivery.snapshot();
    return delivery.report;
  } finally {
    try {
      await ports.mailer.flush?.();
    } finally {
      await releaseLease(store, options.holder);
    }
  }
}
