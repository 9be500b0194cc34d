/**
 * The delivery step (docs/storage.md). Transitions leave due actions and `events_due` on the cases;
 * this step, holding the `locks/notify.json` lease, writes and publishes the events, then carries out
 * every due action with the action runner (actions.ts: claim → log → act → settle), an executor per
 * kind — emails here (log `sending` → send → `sent` → clear) — and, for detection runs, the digest.
 * Every crash leaves either due items or a log entry, so the next run or follow-up finishes the job
 * without a second email.
 *
 * The claim (writing the message id onto the cases' due items before the log entry) is what makes
 * a multi-case message safe: a crash half-way through clearing leaves the rest pointing at the
 * `sent` entry, instead of regrouping them into a second email.
 *
 * The cases are read once, after the lease is taken (a snapshot read before it could still show
 * items another sender has just cleared); every write of this step refreshes its own copy.
 */
import {
  type CaseRecord,
  caseOwner,
  type DueItem,
  isEmailDue,
  isLive,
  type NotificationEntry,
} from '../cases/model.js';
import { readAllCases } from '../cases/store.js';
import type { SentinelConfig } from '../config.js';
import { describeError, PermanentRejectionError } from '../errors.js';
import { markReported, readHealth } from '../health.js';
import { releaseCommand } from '../notify/answer-links.js';
import { type LastDigest, planDigest } from '../notify/digest.js';
import {
  groupDue,
  mergedKind,
  type PlannedMessage,
  recipientsFor,
  toFinOpsAlone,
} from '../notify/grouping.js';
import type { MessageData } from '../notify/message-model.js';
import { caseSection } from '../notify/sections.js';
import { threadOf } from '../notify/threading.js';
import type { IsoDate } from '../types.js';
import {
  type ActionExecutor,
  ActionRunner,
  type ActionUnit,
  type DueCase,
  type LoggedAction,
} from './actions.js';
import { flushCaseEvents } from './case-events.js';
import { KILL_SWITCH_EXECUTOR, type KillSwitchEntry, runKillSwitchStep } from './kill-switch.js';
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
  /** The kill-switch actions carried out (engaged, would engage, escalated instead, released, failed). */
  killSwitch?: KillSwitchEntry[];
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
  // Kill-switch actions (docs/kill-switch.md), counted only when there were some.
  for (const entry of delivery.killSwitch ?? []) {
    const key = `kill_switch_${entry.status === 'failed' ? 'failed' : entry.action.replaceAll('-', '_')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The email executor of the action runner (actions.ts): due emails grouped into one message per kind
 * per recipient set (docs/emails.md), logged in `notifications/`, sent through the Mailer; settling
 * clears the cases' due items and records addresses refused for good.
 */
class EmailExecutor implements ActionExecutor<NotificationEntry> {
  readonly name = 'email';

  constructor(
    private readonly ports: NotifyPorts,
    private readonly config: SentinelConfig,
    private readonly now: () => string,
  ) {}

  handles = (item: DueItem): boolean => isEmailDue(item);
  idOf = (entry: NotificationEntry): string => entry.message_id;
  read = (id: string) => readEntry(this.ports.store, id);
  create = (entry: NotificationEntry) => createEntry(this.ports.store, entry);
  write = async (entry: NotificationEntry, token: string) =>
    void (await writeEntry(this.ports.store, entry, token));
  finished = (entry: NotificationEntry): boolean => entry.status === 'sent' || entry.status === 'rejected';
  failed = (entry: NotificationEntry): boolean => entry.status === 'failed';

  moot(entry: NotificationEntry, cases: ReadonlyMap<string, CaseRecord>): boolean {
    // Every case of it closed meanwhile: the message is moot (a digest never is).
    if (entry.kind === 'finops-digest') return false;
    return !entry.cases.some((ref) => {
      const c = cases.get(ref.case_key);
      return c !== undefined && isLive(c.state) && c.epoch === ref.epoch;
    });
  }

  plan(due: DueCase[]): ActionUnit<NotificationEntry>[] {
    const plans = groupDue(due, {
      finops: this.config.notify.finops,
      escalation: this.config.notify.escalation,
    });
    return plans.map((plan) => this.unitOf(plan));
  }

  private unitOf(plan: PlannedMessage): ActionUnit<NotificationEntry> {
    const now = this.now();
    // Pilot (docs/emails.md "Pilot"): the message goes to FinOps, with a banner naming who it was for.
    const pilot = this.config.notify.pilot;
    const recipient = pilot ? { to: [this.config.notify.finops], cc: [] } : { to: plan.to, cc: plan.cc };
    const thread = threadOf(plan.sections.map((s) => s.record));
    const data: MessageData = {
      kind: plan.kind,
      generatedAt: now,
      recipient,
      pilot: pilot ? { to: plan.to, cc: plan.cc } : null,
      followUpHours: this.config.notify.follow_up_hours,
      contacts: { finops: this.config.notify.finops, escalation: this.config.notify.escalation },
      sections: plan.sections.map((s) =>
        caseSection(s.record, s.owner, this.ports.answerActions, s.severityRaised),
      ),
    };
    const entry = newEntry({
      messageId: plan.messageId,
      kind: plan.kind,
      from: this.config.notify.from,
      to: recipient.to,
      cc: recipient.cc,
      rendered: this.ports.render(data),
      cases: plan.sections.map((s) => ({
        case_key: s.record.case_key,
        epoch: s.record.epoch,
        event_ids: s.eventIds,
      })),
      now,
      replyTo: replyToOf(this.config),
      inReplyTo: thread.inReplyTo,
      references: thread.references,
      pilotFor: data.pilot ?? null,
    });
    return {
      id: plan.messageId,
      entry,
      onClaim: (c) => {
        if (!c.messages.some((m) => m.message_id === plan.messageId)) {
          c.messages.push({ message_id: plan.messageId, kind: plan.kind, epoch: c.epoch, at: now });
        }
      },
    };
  }

  async act(entry: NotificationEntry): Promise<NotificationEntry> {
    const { mailer, log, fault } = this.ports;
    let next: NotificationEntry;
    try {
      const sent = await mailer.send({
        messageId: entry.message_id,
        from: entry.from,
        to: entry.to,
        cc: entry.cc,
        subject: entry.subject,
        html: entry.html,
        text: entry.text,
        caseKeys: entry.cases.map((c) => c.case_key),
        kind: entry.kind,
        replyTo: entry.reply_to ?? replyToOf(this.config),
        inReplyTo: entry.in_reply_to ?? null,
        references: entry.references ?? [],
      });
      fault?.('after-send');
      next = {
        ...entry,
        status: 'sent',
        provider_message_id: sent.providerMessageId,
        message_id_header: sent.messageIdHeader ?? null,
        error: null,
      };
    } catch (failure) {
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
    return { ...next, attempts: entry.attempts + 1, updated_at: this.now() };
  }

  /** The last digest's record (the next digest says "since …"). */
  digestAsOf: IsoDate | null = null;
  /** The troubled detection runs the digest reports (they leave the health record's unreported list once sent). */
  digestRuns: string[] = [];

  async afterSettle(entry: NotificationEntry): Promise<void> {
    if (entry.kind === 'finops-digest' && entry.status === 'sent') {
      await this.ports.store.put(
        LAST_DIGEST_KEY,
        `${JSON.stringify({ message_id: entry.message_id, sent_at: entry.updated_at, as_of: this.digestAsOf })}\n`,
      );
      await markReported(this.ports.store, this.digestRuns, entry.message_id);
    }
  }

  settle(entry: NotificationEntry, c: CaseRecord, ref: NotificationEntry['cases'][number]): CaseRecord {
    const ids = new Set(ref.event_ids);
    if (entry.kind === 'finops-digest') {
      c.undigested = c.undigested.filter((u) => !ids.has(u.event_id));
      for (const r of c.refused) r.reported = true;
    } else {
      c.due = c.due.filter((d) => !ids.has(d.event_id));
      // Later messages of the case reply to this one (docs/emails.md "Threading").
      for (const m of c.messages) {
        if (m.message_id === entry.message_id && entry.message_id_header)
          m.message_id_header = entry.message_id_header;
      }
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
  }
}

/** Reply-To of every message: `notify.reply_to`, else FinOps — answers by email reach a person, not the sender. */
export const replyToOf = (config: SentinelConfig): string[] => [
  config.notify.reply_to ?? config.notify.finops,
];

/** The due items of the live cases an executor handles, unclaimed. */
function dueCasesOf(runner: ActionRunner, finops: string) {
  return (handles: (d: DueItem) => boolean): DueCase[] =>
    runner
      .snapshot()
      .filter((c) => isLive(c.state))
      .map((record) => ({
        record,
        owner: caseOwner(record, finops),
        items: record.due.filter((d) => d.message_id === null && handles(d)),
      }))
      .filter((d) => d.items.length > 0);
}

/**
 * Reminders and escalations that would reach FinOps alone (the fallback owner, no other recipient)
 * are not sent: their due items are cleared and the digest lists the unrouted case with its age
 * (docs/emails.md "FinOps stands in"). The transition and its event stand.
 */
async function dropFinOpsAlone(runner: ActionRunner, config: SentinelConfig, log: NotifyPorts['log']) {
  const notify = { finops: config.notify.finops, escalation: config.notify.escalation };
  for (const due of dueCasesOf(runner, config.notify.finops)((d) => isEmailDue(d))) {
    const kind = mergedKind(due.items);
    if (!toFinOpsAlone(kind, recipientsFor(kind, due.owner, due.record, notify), notify.finops)) continue;
    const ids = new Set(due.items.map((d) => d.event_id));
    await runner.update(due.record.case_key, (c) => {
      c.due = c.due.filter((d) => !(ids.has(d.event_id) && d.message_id === null));
      return c;
    });
    log.info(
      `${kind} of case ${due.record.case_key} not mailed: it would reach ${notify.finops} alone, the fallback owner; the digest lists the case`,
    );
  }
}

/**
 * The digest is not claimed on its cases (it reports them, it is not their due action): a process
 * stopped after sending it and before clearing what it reported from every case would have the next
 * detection run report those changes again, in a second digest. `digests/last.json` is written before
 * the cases are cleared, so its digest's clearing is finished here first (docs/storage.md "Actions").
 */
async function finishLastDigest(runner: ActionRunner, email: EmailExecutor, last: LastDigest | null) {
  if (!last?.message_id) return;
  const found = await email.read(last.message_id);
  if (found?.entry.status !== 'sent') return;
  const cases = runner.casesByKey();
  const pending = found.entry.cases.some((ref) =>
    cases.get(ref.case_key)?.undigested.some((u) => ref.event_ids.includes(u.event_id)),
  );
  if (!pending) return;
  for (const ref of found.entry.cases) {
    await runner.update(ref.case_key, (c) => email.settle(found.entry, c, ref));
  }
}

/** The FinOps digest (detection runs only), when planDigest finds something to say. */
async function sendDigest(
  ports: NotifyPorts,
  config: SentinelConfig,
  runner: ActionRunner,
  email: EmailExecutor,
  defaultAsOf: IsoDate,
  now: string,
): Promise<void> {
  const blob = await ports.store.get(LAST_DIGEST_KEY);
  const last = blob ? (JSON.parse(blob.body) as LastDigest) : null;
  await finishLastDigest(runner, email, last);
  const { health } = await readHealth(ports.store);
  const planned = planDigest({
    troubledRuns: health.unreported,
    cases: runner.snapshot(),
    failed: runner.outcomes
      .filter((o) => o.executor === email.name)
      .map((o) => outcomeOf(o.entry as NotificationEntry))
      .filter((m) => m.status === 'failed'),
    last,
    defaultAsOf,
    now,
    notify: {
      finops: config.notify.finops,
      escalation: config.notify.escalation,
      followUpHours: config.notify.follow_up_hours,
    },
    answerActions: ports.answerActions,
    killSwitch: ports.killSwitch
      ? {
          mode: config.kill_switch.mode,
          // Without a link builder (tests, a bare composition), the command line still tells FinOps how.
          release:
            ports.releaseAction ??
            (({ accountId }) => ({ url: null, command: releaseCommand(accountId, config.out) })),
          failed: runner.outcomes
            .filter((o) => o.executor === KILL_SWITCH_EXECUTOR)
            .map((o) => o.entry as KillSwitchEntry)
            .filter((e) => e.status === 'failed')
            .map((e) => ({
              accountId: e.account_id,
              caseKey: e.case_key,
              action: e.action,
              error: e.error ?? '',
            })),
        }
      : null,
  });
  if (!planned) return;
  email.digestAsOf = defaultAsOf;
  email.digestRuns = health.unreported.map((r) => r.run_id);
  await runner.logAndAct(
    email,
    newEntry({
      messageId: planned.messageId,
      kind: 'finops-digest',
      from: config.notify.from,
      to: [config.notify.finops],
      cc: [],
      rendered: ports.render(planned.data),
      cases: planned.refs,
      now,
      replyTo: replyToOf(config),
    }),
  );
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
    const flushed = await flushCaseEvents(ports, await readAllCases(store), (caseKey, error) =>
      log.warn(
        `events of case ${caseKey} stay due, to be published by the next run: ${describeError(error)}`,
      ),
    );
    const now = () => clock.now().toISOString();
    const runner = new ActionRunner(
      { store, now, ...(ports.fault ? { fault: ports.fault } : {}) },
      flushed.cases,
    );
    // The kill switch first: an owner alert of this step then says the account is stopped, and an
    // escalation the switch asks for (max_engaged) goes out with this step's emails.
    const killSwitch = ports.killSwitch
      ? await runKillSwitchStep(runner, { ...ports, killSwitch: ports.killSwitch }, config, now)
      : null;
    const email = new EmailExecutor(ports, config, now);
    const executors = [email] as ActionExecutor<LoggedAction>[];
    await runner.resumeClaimed(executors);
    await dropFinOpsAlone(runner, config, log);
    await runner.runNew(executors, dueCasesOf(runner, config.notify.finops));
    if (options.digestAsOf) await sendDigest(ports, config, runner, email, options.digestAsOf, now());
    // The kill switch's case events were recorded by this step: written and published now.
    const late = await flushCaseEvents(ports, runner.snapshot());
    return {
      leaseTaken: true,
      eventsWritten: flushed.written + late.written,
      messages: runner.outcomes
        .filter((o) => o.executor === email.name)
        .map((o) => outcomeOf(o.entry as NotificationEntry)),
      ...(killSwitch
        ? {
            killSwitch: runner.outcomes
              .filter((o) => o.executor === killSwitch.name)
              .map((o) => o.entry as KillSwitchEntry),
          }
        : {}),
      cases: late.cases,
    };
  } finally {
    try {
      await ports.mailer.flush?.();
    } finally {
      await releaseLease(store, options.holder);
    }
  }
}
