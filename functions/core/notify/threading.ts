/**
 * Threading (docs/emails.md "Threading"): a case's later messages reply to its earlier ones, so an
 * owner's mail client files the reminder and the escalation under the alert. Pure.
 */
import type { CaseRecord } from '../cases/model.js';

/** SES takes a header value of at most 995 characters; stay well under it. */
const MAX_REFERENCES_CHARS = 900;

export interface Thread {
  /** The newest earlier message of the cases (null: this is the first). */
  inReplyTo: string | null;
  /** The earlier messages, oldest first: the thread's root always kept, then as many of the newest as fit. */
  references: string[];
}

/** The Message-ID headers of the cases' earlier messages that went out. */
export function threadOf(cases: readonly CaseRecord[]): Thread {
  const sent = cases
    .flatMap((c) => c.messages)
    .filter((m) => typeof m.message_id_header === 'string' && m.message_id_header !== '')
    .sort((a, b) => a.at.localeCompare(b.at) || a.message_id.localeCompare(b.message_id));
  const headers = [...new Set(sent.map((m) => m.message_id_header as string))];
  if (headers.length === 0) return { inReplyTo: null, references: [] };
  const [root, ...rest] = headers;
  const kept: string[] = [];
  let length = root!.length;
  for (const header of rest.reverse()) {
    if (length + 1 + header.length > MAX_REFERENCES_CHARS) break;
    kept.unshift(header);
    length += 1 + header.length;
  }
  return { inReplyTo: headers.at(-1)!, references: [root!, ...kept] };
}
