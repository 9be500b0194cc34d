/**
 * The notification log (docs/storage.md `notifications/<message_id>.json`): one entry per message, created
 * create-only as `sending` before the send and updated to `sent`, `failed` or `rejected` after it.
 */
import type { MessageKind, NotificationEntry } from '../cases/model.js';
import { notificationBlobKey } from '../cases/model.js';
import type { RenderedMessage } from '../notify/message-model.js';
import type { BlobStore } from '../ports.js';

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

export async function readEntry(
  store: BlobStore,
  messageId: string,
): Promise<{ entry: NotificationEntry; token: string } | undefined> {
  const blob = await store.get(notificationBlobKey(messageId));
  return blob ? { entry: JSON.parse(blob.body) as NotificationEntry, token: blob.version } : undefined;
}

/** Creates the entry; throws ConflictError when the same message was logged before. Returns its version. */
export async function createEntry(store: BlobStore, entry: NotificationEntry): Promise<string> {
  return store.put(notificationBlobKey(entry.message_id), `${JSON.stringify(entry)}\n`, { ifNoneMatch: '*' });
}

/** Updates a log entry; only the lease holder writes entries after creation, so a conflict is a bug. */
export async function writeEntry(store: BlobStore, entry: NotificationEntry, token: string): Promise<string> {
  return store.put(notificationBlobKey(entry.message_id), `${JSON.stringify(entry)}\n`, { ifMatch: token });
}

export function newEntry(input: {
  messageId: string;
  kind: MessageKind;
  from: string;
  to: string[];
  cc: string[];
  rendered: RenderedMessage;
  cases: NotificationEntry['cases'];
  now: string;
  replyTo?: string[];
  inReplyTo?: string | null;
  references?: string[];
  pilotFor?: { to: string[]; cc: string[] } | null;
}): NotificationEntry {
  return {
    message_id: input.messageId,
    kind: input.kind,
    status: 'sending',
    from: input.from,
    to: input.to,
    cc: input.cc,
    subject: input.rendered.subject,
    html: input.rendered.html,
    text: input.rendered.text,
    cases: input.cases,
    created_at: input.now,
    updated_at: input.now,
    attempts: 0,
    provider_message_id: null,
    message_id_header: null,
    reply_to: input.replyTo ?? [],
    in_reply_to: input.inReplyTo ?? null,
    references: input.references ?? [],
    pilot_for: input.pilotFor ?? null,
    error: null,
    refused: [],
  };
}

export const outcomeOf = (entry: NotificationEntry): MessageOutcome => ({
  messageId: entry.message_id,
  kind: entry.kind,
  to: entry.to,
  cc: entry.cc,
  subject: entry.subject,
  caseKeys: entry.cases.map((c) => c.case_key),
  status: entry.status,
  error: entry.error,
});
