/**
 * Mailer on a local directory (docs/storage.md): per message `<message_id>.eml` (written create-only, so a
 * message is delivered exactly once locally), `.html` and `.txt` for reading, and `index.html`
 * listing every message. Addresses in a refuse list are rejected permanently, like SES would, so
 * the refused-address path can be exercised without AWS. The .eml is composed by nodemailer's
 * MailComposer: RFC 5322, CRLF line ends, multipart/alternative (text, then html), UTF-8,
 * quoted-printable bodies, RFC 2047 subject, Reply-To, and In-Reply-To / References for threading.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { UpstreamError } from '../../core/errors.js';
import type { Mailer, OutgoingMessage, SendResult } from '../../core/ports.js';
import { PermanentRejectionError } from './errors.js';
import { assertSafeMessage, messageIdHeader, parseEmlHeaders, refuseUnsafeMessage } from './mime.js';

export interface OutboxMailerOptions {
  /** Addresses to refuse (case-insensitive); the composition root passes `SENTINEL_OUTBOX_REFUSE`. */
  refuse?: Iterable<string>;
  /** Date header time; defaults to the wall clock (adapters may read it, core may not). */
  now?: () => Date;
}

export class OutboxMailer implements Mailer {
  readonly kind = 'mailer' as const;
  readonly dir: string;
  private readonly refused: Set<string>;
  private readonly now: () => Date;
  /** index.html lags the .eml files until flush(): rebuilding it per message would cost O(n²). */
  private indexStale = true;

  constructor(dir: string, options: OutboxMailerOptions = {}) {
    this.dir = resolve(dir);
    this.refused = new Set([...(options.refuse ?? [])].map((a) => a.toLowerCase()));
    this.now = options.now ?? (() => new Date());
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    refuseUnsafeMessage(message);
    const refused = [...message.to, ...message.cc].filter((a) => this.refused.has(a.toLowerCase()));
    if (refused.length > 0) {
      throw new PermanentRejectionError(refused, `outbox refused ${refused.join(', ')} (refuse list)`, {
        hint: 'the address is in SENTINEL_OUTBOX_REFUSE or the mailer refuse option',
      });
    }
    const header = messageIdHeader(message);
    const providerMessageId = header.slice(1, -1);
    const base = join(this.dir, message.messageId);
    try {
      await mkdir(this.dir, { recursive: true });
      // Readable copies first: a crash after them but before the .eml leaves the message unsent.
      await writeFile(`${base}.html`, message.html, 'utf8');
      await writeFile(`${base}.txt`, message.text, 'utf8');
      try {
        await writeFile(`${base}.eml`, await composeEml(message, this.now()), { flag: 'wx' });
      } catch (error) {
        // Already in the outbox: this is a retry of a delivered message.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          return { providerMessageId, messageIdHeader: header };
        throw error;
      }
      this.indexStale = true;
    } catch (error) {
      throw new UpstreamError(`cannot write message ${message.messageId} to the outbox ${this.dir}`, {
        cause: error,
      });
    }
    return { providerMessageId, messageIdHeader: header };
  }

  /** Rebuilds index.html once after a batch of sends (and whenever an earlier process crashed before it did). */
  async flush(): Promise<void> {
    if (!this.indexStale) return;
    await mkdir(this.dir, { recursive: true });
    await this.writeIndex();
    this.indexStale = false;
  }

  /** Rebuilds index.html from the .eml files, newest first. */
  async writeIndex(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.eml'));
    const entries = await Promise.all(
      names.map(async (name) => {
        const headers = parseEmlHeaders(await readFile(join(this.dir, name), 'utf8'));
        const date = headers.get('date') ?? '';
        return {
          id: name.slice(0, -'.eml'.length),
          to: headers.get('to') ?? '',
          cc: headers.get('cc') ?? '',
          subject: headers.get('subject') ?? '',
          kind: headers.get('x-sentinel-kind') ?? '',
          caseKeys: headers.get('x-sentinel-case-keys') ?? '',
          date,
          time: Date.parse(date) || 0,
        };
      }),
    );
    entries.sort((a, b) => b.time - a.time || a.id.localeCompare(b.id));
    const rows = entries
      .map(
        (e) =>
          `<tr><td>${esc(e.date)}</td><td>${esc(e.kind)}</td><td>${esc(e.to)}</td><td>${esc(e.cc)}</td>` +
          `<td><a href="${esc(encodeURIComponent(e.id))}.html">${esc(e.subject)}</a></td>` +
          `<td><code>${esc(e.caseKeys)}</code></td>` +
          `<td><a href="${esc(encodeURIComponent(e.id))}.txt">text</a> · <a href="${esc(encodeURIComponent(e.id))}.eml">eml</a></td></tr>`,
      )
      .join('\n');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>ai-spend-sentinel outbox</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#1f2933}table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border-bottom:1px solid #d9e2ec;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px;overflow-wrap:anywhere}
th{background:#f0f4f8}code{font-size:12px;word-break:break-all}</style></head>
<body><h1>Outbox</h1><p>${entries.length} message${entries.length === 1 ? '' : 's'}, newest first.</p>
<table><thead><tr><th>Date</th><th>Kind</th><th>To</th><th>Cc</th><th>Subject</th><th>Cases</th><th>Files</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
    const temp = join(this.dir, `.index.${randomUUID()}.tmp`);
    await writeFile(temp, html, 'utf8');
    await rename(temp, join(this.dir, 'index.html'));
  }
}

/** The message as RFC 5322 text. The boundary follows from the message id, so one message composes one way. */
export async function composeEml(message: OutgoingMessage, at: Date): Promise<Buffer> {
  assertSafeMessage(message);
  const options = {
    from: message.from,
    to: message.to,
    ...(message.cc.length > 0 ? { cc: message.cc } : {}),
    subject: message.subject,
    date: at,
    messageId: messageIdHeader(message),
    // Answers by email go to a person (notify.reply_to, else FinOps); a case's later messages thread under its first.
    ...(message.replyTo.length > 0 ? { replyTo: message.replyTo } : {}),
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
    ...(message.references.length > 0 ? { references: message.references } : {}),
    // Local outbox only: lets index.html be rebuilt from the .eml files alone.
    headers: { 'X-Sentinel-Kind': message.kind, 'X-Sentinel-Case-Keys': message.caseKeys.join(' ') },
    text: message.text,
    html: message.html,
    textEncoding: 'quoted-printable' as const,
    newline: 'windows',
    baseBoundary: createHash('sha256').update(message.messageId).digest('hex').slice(0, 24),
  };
  return new MailComposer(options).compile().build();
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
