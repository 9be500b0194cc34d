/**
 * Detection health (docs/storage.md `health/detection.json`, docs/emails.md "When detection is in
 * trouble"): a detection run that failed or found the export stale must reach a person. Every
 * `run` and scheduled detection (not a dry run) records here how it ended; the first run of a
 * condition (stale, or failed) mails FinOps a `run-alert` once — not again while the condition
 * lasts, and retried by the hourly follow-up if that send failed — and the next FinOps digest opens
 * with every stale or failed run since the last digest.
 */
import { hashId } from './cases/model.js';
import type { SentinelConfig } from './config.js';
import { createEntry, newEntry, readEntry, writeEntry } from './deliver/notification-log.js';
import { ConflictError, describeError, PermanentRejectionError } from './errors.js';
import type { Logger } from './log.js';
import type { MessageData, RenderedMessage } from './notify/message-model.js';
import type { BlobStore, Clock, Mailer } from './ports.js';
import type { RunRecord } from './runs.js';
import type { IsoDate } from './types.js';

export const HEALTH_KEY = 'health/detection.json';
const MAX_UNREPORTED = 50;

/** One detection run that did not end well, as the digest and the run alert tell it. */
export interface TroubledRun {
  run_id: string;
  command: RunRecord['command'];
  outcome: 'stale' | 'failed';
  at: string;
  stale_days: IsoDate[];
  data_through: IsoDate | null;
  error: string | null;
}

export interface DetectionCondition {
  kind: 'stale' | 'failed';
  /** The first run of the condition; the condition lasts until a run succeeds. */
  since: TroubledRun;
  /** The latest run of it. */
  latest: TroubledRun;
  /** The run alert's message id once it was sent (null: not yet). */
  notified: string | null;
}

export interface DetectionHealth {
  condition: DetectionCondition | null;
  /** Stale and failed runs the FinOps digest has not reported yet, oldest first. */
  unreported: TroubledRun[];
}

const emptyHealth = (): DetectionHealth => ({ condition: null, unreported: [] });

const watched = (record: Pick<RunRecord, 'dry_run' | 'command'>): boolean =>
  !record.dry_run && (record.command === 'run' || record.command === 'scheduled-detect');

export async function readHealth(
  store: BlobStore,
): Promise<{ health: DetectionHealth; token: string | null }> {
  const blob = await store.get(HEALTH_KEY);
  return blob
    ? { health: { ...emptyHealth(), ...(JSON.parse(blob.body) as DetectionHealth) }, token: blob.version }
    : { health: emptyHealth(), token: null };
}

/** A conditional read-change-write of the health record, re-applied on a conflict. */
export async function updateHealth(
  store: BlobStore,
  change: (health: DetectionHealth) => DetectionHealth,
): Promise<DetectionHealth> {
  for (let attempt = 1; ; attempt++) {
    const { health, token } = await readHealth(store);
    const next = change(structuredClone(health));
    try {
      await store.put(
        HEALTH_KEY,
        `${JSON.stringify(next)}\n`,
        token ? { ifMatch: token } : { ifNoneMatch: '*' },
      );
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 10) throw error;
    }
  }
}

export function troubledRun(
  record: Pick<
    RunRecord,
    'run_id' | 'command' | 'outcome' | 'finished_at' | 'stale_days' | 'data_through' | 'error'
  >,
): TroubledRun | null {
  if (record.outcome === 'succeeded') return null;
  return {
    run_id: record.run_id,
    command: record.command,
    outcome: record.outcome,
    at: record.finished_at,
    stale_days: record.stale_days,
    data_through: record.data_through,
    error: record.error,
  };
}

/** How a detection run ended, applied to the health record: a success clears the condition. */
export function noteRun(health: DetectionHealth, record: Parameters<typeof troubledRun>[0]): DetectionHealth {
  const run = troubledRun(record);
  if (!run) return { ...health, condition: null };
  const same = health.condition?.kind === run.outcome;
  return {
    condition: same
      ? { ...health.condition!, latest: run }
      : { kind: run.outcome, since: run, latest: run, notified: null },
    unreported: [...health.unreported, run].slice(-MAX_UNREPORTED),
  };
}

/** Records how a `run` or scheduled detection ended (never a dry run, a manual `detect` or a follow-up). */
export async function recordRunHealth(
  store: BlobStore,
  record: Parameters<typeof troubledRun>[0] & Pick<RunRecord, 'dry_run' | 'command'>,
): Promise<DetectionHealth | null> {
  if (!watched(record)) return null;
  // A run records how it ended once (a stale run before its digest): the same run and outcome is not listed twice.
  return updateHealth(store, (h) =>
    h.unreported.some((r) => r.run_id === record.run_id && r.outcome === record.outcome)
      ? h
      : noteRun(h, record),
  );
}

export interface RunAlertPorts {
  store: BlobStore;
  mailer: Mailer;
  clock: Clock;
  log: Logger;
  render: (data: MessageData) => RenderedMessage;
}

/** The run alert's data: the condition, its first and latest run (the `run-alert` templates print it). */
export function runAlertData(
  config: SentinelConfig,
  condition: DetectionCondition,
  now: string,
): MessageData {
  return {
    kind: 'run-alert',
    generatedAt: now,
    recipient: { to: [config.notify.finops], cc: [] },
    followUpHours: config.notify.follow_up_hours,
    contacts: { finops: config.notify.finops, escalation: config.notify.escalation },
    sections: [],
    runAlert: {
      kind: condition.kind,
      since: condition.since,
      latest: condition.latest,
      schedule: config.schedule.detect,
    },
  };
}

/**
 * Mails FinOps the run alert of the current condition, once: its message id is fixed by the
 * condition, the notification log is written create-only, and the health record keeps that it was
 * sent. A failure is logged and left for the next run or follow-up; it never hides the run's own error.
 */
export async function alertRunTrouble(ports: RunAlertPorts, config: SentinelConfig): Promise<void> {
  try {
    const { health } = await readHealth(ports.store);
    const condition = health.condition;
    if (!condition || condition.notified) return;
    const messageId = hashId('run-alert', config.notify.finops, condition.kind, condition.since.run_id);
    const now = ports.clock.now().toISOString();
    let logged = await readEntry(ports.store, messageId);
    if (!logged) {
      const entry = newEntry({
        messageId,
        kind: 'run-alert',
        from: config.notify.from,
        to: [config.notify.finops],
        cc: [],
        rendered: ports.render(runAlertData(config, condition, now)),
        cases: [],
        now,
        replyTo: [config.notify.reply_to ?? config.notify.finops],
      });
      try {
        logged = { entry, token: await createEntry(ports.store, entry) };
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        logged = await readEntry(ports.store, messageId);
      }
    }
    if (!logged) return;
    let { entry } = logged;
    if (entry.status !== 'sent') {
      try {
        const sent = await ports.mailer.send({
          messageId,
          from: entry.from,
          to: entry.to,
          cc: entry.cc,
          subject: entry.subject,
          html: entry.html,
          text: entry.text,
          caseKeys: [],
          kind: entry.kind,
          replyTo: entry.reply_to ?? [],
          inReplyTo: null,
          references: [],
        });
        entry = {
          ...entry,
          status: 'sent',
          provider_message_id: sent.providerMessageId,
          message_id_header: sent.messageIdHeader ?? null,
          error: null,
        };
      } catch (error) {
        entry = {
          ...entry,
          status: error instanceof PermanentRejectionError ? 'rejected' : 'failed',
          error: describeError(error),
        };
        ports.log.warn(`run alert ${messageId} to ${config.notify.finops} not sent: ${entry.error}`);
      }
      entry = { ...entry, attempts: entry.attempts + 1, updated_at: ports.clock.now().toISOString() };
      await writeEntry(ports.store, entry, logged.token);
    }
    if (entry.status === 'sent') {
      await updateHealth(ports.store, (h) =>
        h.condition && h.condition.since.run_id === condition.since.run_id
          ? { ...h, condition: { ...h.condition, notified: messageId } }
          : h,
      );
    }
  } catch (error) {
    ports.log.error('could not mail FinOps about the detection run', {}, error);
  }
}

/**
 * After a digest reported them: the runs it listed leave the unreported list, and a condition whose
 * first run it listed counts as notified (the digest opened with it: no run alert follows).
 */
export async function markReported(
  store: BlobStore,
  runIds: readonly string[],
  messageId: string,
): Promise<void> {
  if (runIds.length === 0) return;
  const reported = new Set(runIds);
  await updateHealth(store, (h) => ({
    condition:
      h.condition && !h.condition.notified && reported.has(h.condition.since.run_id)
        ? { ...h.condition, notified: messageId }
        : h.condition,
    unreported: h.unreported.filter((r) => !reported.has(r.run_id)),
  }));
}
