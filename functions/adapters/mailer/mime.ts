/**
 * RFC 5322 / MIME encoding of an OutgoingMessage: multipart/alternative (text, then html), UTF-8,
 * quoted-printable bodies, RFC 2047 subject. Header values are checked, never repaired.
 */
import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '../../core/ports.js';
import { HeaderInjectionError } from './errors.js';

const CRLF = '\r\n';
// A plain addr-spec: no display name, no list separators, no whitespace or angle brackets.
const ADDRESS_RE = /^[^\s<>,;:"()[\]\\@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const MESSAGE_ID_RE = /^[A-Za-z0-9._-]{1,200}$/;

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
}

/**
 * RFC 2047 B-encoding, one encoded word per folded line, never splitting a UTF-8 character.
 * `prefixLength` is the header name already on the first line ("Subject: " is 9).
 */
export function encodeHeaderText(value: string, prefixLength = 0): string {
  if (/^[\x20-\x7e]*$/.test(value)) return foldAscii(value, prefixLength);
  // An encoded word is "=?UTF-8?B?" + base64 + "?=" (12 characters of frame); lines stay within 78.
  const bytesFor = (room: number) => Math.floor((room - 12) / 4) * 3;
  const words: string[] = [];
  let chunk = '';
  let maxBytes = bytesFor(76 - prefixLength);
  for (const char of value) {
    if (chunk !== '' && Buffer.byteLength(chunk + char, 'utf8') > maxBytes) {
      words.push(chunk);
      chunk = '';
      maxBytes = bytesFor(75);
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

/** Folds plain text at spaces so lines stay within 78 characters where words allow. */
function foldAscii(value: string, prefixLength: number): string {
  const lines: string[] = [];
  let line = '';
  let room = 78 - prefixLength;
  for (const word of value.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = 77; // continuation lines start with one space
    } else {
      line = line === '' && lines.length === 0 ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`${CRLF} `);
}

export function decodeHeaderText(value: string): string {
  return value
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
}

/** Quoted-printable (RFC 2045 §6.7) over UTF-8 bytes, lines at most 76 characters, CRLF breaks. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let current = '';
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      const isLast = i === bytes.length - 1;
      const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !isLast);
      const token = literal
        ? String.fromCharCode(byte)
        : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (current.length + token.length > 75) {
        out.push(`${current}=`);
        current = '';
      }
      current += token;
    }
    out.push(current);
  }
  return out.join(CRLF);
}

/** RFC 5322 date-time in UTC, e.g. `Tue, 03 Mar 2026 06:00:00 +0000`. */
export function rfc5322Date(at: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[at.getUTCDay()]}, ${p(at.getUTCDate())} ${months[at.getUTCMonth()]} ${at.getUTCFullYear()} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())} +0000`;
}

export function messageIdHeader(message: OutgoingMessage): string {
  const domain = message.from.split('@')[1] ?? 'ai-spend-sentinel.invalid';
  return `<${message.messageId}@${domain}>`;
}

/** Folds a comma-separated address list so no header line exceeds 78 characters. */
function addressList(addresses: string[]): string {
  return addresses.join(`,${CRLF} `);
}

export function buildEml(message: OutgoingMessage, at: Date): string {
  assertSafeMessage(message);
  // "=_" cannot occur in quoted-printable text, so this boundary never collides with a body.
  const boundary = `=_sentinel_${createHash('sha256').update(message.messageId).digest('hex').slice(0, 24)}`;
  const headers = [
    `From: ${message.from}`,
    `To: ${addressList(message.to)}`,
    ...(message.cc.length > 0 ? [`Cc: ${addressList(message.cc)}`] : []),
    `Subject: ${encodeHeaderText(message.subject, 'Subject: '.length)}`,
    `Date: ${rfc5322Date(at)}`,
    `Message-ID: ${messageIdHeader(message)}`,
    'MIME-Version: 1.0',
    // Local outbox only: lets index.html be rebuilt from the .eml files alone.
    `X-Sentinel-Kind: ${message.kind}`,
    `X-Sentinel-Case-Keys: ${message.caseKeys.join(' ')}`,
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=UTF-8`,
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(body),
    ].join(CRLF);
  return [
    headers.join(CRLF),
    '',
    'This is a multipart message in MIME format.',
    part('text/plain', message.text),
    part('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join(CRLF);
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
