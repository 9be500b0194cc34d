/**
 * What both mailers share about a message's headers: the checks before sending (a header value is
 * checked, never repaired), its Message-ID, and reading an .eml's headers back (the outbox's index).
 * Composing the .eml itself is nodemailer's (adapters/mailer/outbox.ts).
 */
import type { OutgoingMessage } from '../../core/ports.js';
import { HeaderInjectionError, PermanentRejectionError } from './errors.js';

const CRLF = '\r\n';
// A plain addr-spec: no display name, no list separators, no whitespace or angle brackets.
const ADDRESS_RE = /^[^\s<>,;:"()[\]\\@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const MESSAGE_ID_RE = /^[A-Za-z0-9._-]{1,200}$/;
// A Message-ID header value: `<local@domain>`, printable, no spaces or angle brackets inside.
const MESSAGE_ID_HEADER_RE = /^<[!-;=?-~]{1,250}@[A-Za-z0-9.-]{1,250}>$/;

export function assertSafeAddress(field: string, address: string): void {
  if (!ADDRESS_RE.test(address)) throw new HeaderInjectionError(field, address);
}

export function assertSafeHeaderText(field: string, value: string): void {
  if (value.includes('\r') || value.includes('\n') || value.includes('\0')) {
    throw new HeaderInjectionError(field, value);
  }
}

export function assertSafeMessage(message: OutgoingMessage): void {
  if (!MESSAGE_ID_RE.test(message.messageId)) throw new HeaderInjectionError('Message-ID', message.messageId);
  assertSafeAddress('From', message.from);
  for (const to of message.to) assertSafeAddress('To', to);
  for (const cc of message.cc) assertSafeAddress('Cc', cc);
  if (message.to.length === 0) throw new HeaderInjectionError('To', '(no recipient)');
  assertSafeHeaderText('Subject', message.subject);
  assertSafeHeaderText('X-Sentinel-Kind', message.kind);
  for (const key of message.caseKeys) assertSafeHeaderText('X-Sentinel-Case-Keys', key);
  for (const address of message.replyTo) assertSafeAddress('Reply-To', address);
  for (const id of [...(message.inReplyTo ? [message.inReplyTo] : []), ...message.references]) {
    if (!MESSAGE_ID_HEADER_RE.test(id)) throw new HeaderInjectionError('In-Reply-To', id);
  }
}

/**
 * The check both mailers make before anything leaves: a header value that could inject a header is
 * refused; a recipient that is not a plain address will never be accepted, so it is refused for good
 * (PermanentRejectionError naming it), and the case engine puts FinOps in its place.
 */
export function refuseUnsafeMessage(message: OutgoingMessage): void {
  try {
    assertSafeMessage(message);
  } catch (error) {
    if (error instanceof HeaderInjectionError && (error.field === 'To' || error.field === 'Cc')) {
      throw new PermanentRejectionError([error.value], error.message, { cause: error, hint: error.hint });
    }
    throw error;
  }
}

export function messageIdHeader(message: OutgoingMessage): string {
  const domain = message.from.split('@')[1] ?? 'ai-spend-sentinel.invalid';
  return `<${message.messageId}@${domain}>`;
}

const ENCODED_WORD = /=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi;

/** The bytes of one RFC 2047 encoded word (B: base64; Q: `_` for space and `=XX` escapes). */
function wordBytes(kind: string, text: string): Buffer {
  if (kind.toUpperCase() === 'B') return Buffer.from(text, 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c === '_' ? 0x20 : c.charCodeAt(0));
  }
  return Buffer.from(bytes);
}

/**
 * RFC 2047 encoded words (B or Q) decoded, folding undone first. Adjacent words are joined before
 * decoding, so a UTF-8 character split across two words reads whole.
 */
export function decodeHeaderText(value: string): string {
  return value
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/(=\?[^?]+\?[BQ]\?[^?]*\?=)+/gi, (run) =>
      Buffer.concat([...run.matchAll(ENCODED_WORD)].map((m) => wordBytes(m[2]!, m[3]!))).toString('utf8'),
    );
}

/** Header fields of an .eml (unfolded; subject decoded). Enough for the outbox index and tests. */
export function parseEmlHeaders(eml: string): Map<string, string> {
  const end = eml.indexOf(`${CRLF}${CRLF}`);
  const block = (end === -1 ? eml : eml.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of block.split(CRLF)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const subject = headers.get('subject');
  if (subject !== undefined) headers.set('subject', decodeHeaderText(subject));
  return headers;
}
