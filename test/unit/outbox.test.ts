import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sentinelEnvironment } from '../../functions/adapters/environment.js';
import { HeaderInjectionError } from '../../functions/adapters/mailer/errors.js';
import { parseEmlHeaders } from '../../functions/adapters/mailer/mime.js';
import { OutboxMailer } from '../../functions/adapters/mailer/outbox.js';
import { openNotifyPorts } from '../../functions/adapters/open-ports.js';
import { parseConfig } from '../../functions/core/config.js';
import { PermanentRejectionError } from '../../functions/core/errors.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock, type OutgoingMessage } from '../../functions/core/ports.js';

const at = new Date('2026-03-03T06:00:00Z');

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: 'msg-0001',
    from: 'sentinel@example.com',
    to: ['dana.owner@example.com'],
    cc: ['finops@example.com', 'leads@example.com'],
    subject: '[High] Bedrock spend 18.0× baseline on R&D — please answer',
    html: '<p>Spend on <strong>R&amp;D</strong> is 18.0× baseline: $132.05/day. Ünïcode ✓</p>\n'.repeat(5),
    text: 'Spend on R&D is 18.0× baseline: $132.05/day.\nA line with = and trailing space \nÜnïcode ✓\n',
    caseKeys: ['9a41d3c7e2b85f10', 'c07e5f2a8d194b36'],
    kind: 'owner-alert',
    replyTo: ['finops@example.com'],
    inReplyTo: null,
    references: [],
    ...overrides,
  };
}

const newOutbox = async (refuse: string[] = []) =>
  new OutboxMailer(await mkdtemp(join(tmpdir(), 'sentinel-outbox-')), { refuse, now: () => at });

function decodeQuotedPrintable(body: string): string {
  const unfolded = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unfolded.length; i++) {
    const c = unfolded[i]!;
    if (c === '=') {
      bytes.push(Number.parseInt(unfolded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** Splits a multipart/alternative .eml into its parts: headers and decoded body. */
function parts(eml: string): { type: string; encoding: string; body: string }[] {
  const headers = parseEmlHeaders(eml);
  const boundary = /boundary="([^"]+)"/.exec(headers.get('content-type') ?? '')?.[1];
  expect(boundary).toBeDefined();
  const sections = eml.split(`--${boundary}`);
  expect(sections.at(-1)).toBe('--\r\n');
  return sections.slice(1, -1).map((section) => {
    const [head, ...rest] = section.replace(/^\r\n/, '').split('\r\n\r\n');
    const partHeaders = parseEmlHeaders(`${head}\r\n\r\n`);
    const body = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    return {
      type: partHeaders.get('content-type') ?? '',
      encoding: partHeaders.get('content-transfer-encoding') ?? '',
      body: decodeQuotedPrintable(body),
    };
  });
}

describe('outbox mailer', () => {
  it('writes an RFC 5322 multipart/alternative .eml with text then html, plus .html and .txt', async () => {
    const outbox = await newOutbox();
    const sent = message();
    const result = await outbox.send(sent);
    expect(result.providerMessageId).toBe('msg-0001@example.com');

    const eml = await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8');
    expect(eml).not.toMatch(/[^\r]\n/); // CRLF line ends only
    const headers = parseEmlHeaders(eml);
    expect(headers.get('from')).toBe('sentinel@example.com');
    expect(headers.get('to')).toBe('dana.owner@example.com');
    expect(headers.get('cc')).toBe('finops@example.com, leads@example.com');
    expect(headers.get('subject')).toBe(sent.subject);
    expect(headers.get('date')).toBe('Tue, 03 Mar 2026 06:00:00 +0000');
    expect(headers.get('message-id')).toBe('<msg-0001@example.com>');
    expect(headers.get('mime-version')).toBe('1.0');
    expect(headers.get('content-type')).toMatch(/^multipart\/alternative; boundary="/);
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);

    const [text, html, ...extra] = parts(eml);
    expect(extra).toEqual([]);
    expect(text!.type.toLowerCase()).toBe('text/plain; charset=utf-8');
    expect(text!.encoding).toBe('quoted-printable');
    expect(text!.body).toBe(sent.text);
    expect(html!.type.toLowerCase()).toBe('text/html; charset=utf-8');
    expect(html!.body).toBe(sent.html);

    expect(await readFile(join(outbox.dir, 'msg-0001.html'), 'utf8')).toBe(sent.html);
    expect(await readFile(join(outbox.dir, 'msg-0001.txt'), 'utf8')).toBe(sent.text);
  });

  it('encodes a non-ASCII subject as RFC 2047 words', async () => {
    const outbox = await newOutbox();
    await outbox.send(message());
    const eml = await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8');
    const rawSubject = /^Subject: (.*(?:\r\n .*)*)/m.exec(eml)![1]!;
    expect(rawSubject).toMatch(/^=\?UTF-8\?[BQ]\?[^?\s]+\?=/i);
    expect(rawSubject).not.toMatch(/[^\x20-\x7e\r\n]/);
  });

  it('delivers a message id once: a resend returns the same id and leaves the .eml as it was', async () => {
    const outbox = await newOutbox();
    const first = await outbox.send(message());
    const before = await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8');
    const again = await outbox.send(message({ subject: 'changed' }));
    expect(again).toEqual(first);
    expect(await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8')).toBe(before);
    expect((await readdir(outbox.dir)).filter((n) => n.endsWith('.eml'))).toEqual(['msg-0001.eml']);
  });

  it.each([
    ['To', { to: ['dana@example.com\r\nBcc: attacker@evil.example'] }],
    ['Cc', { cc: ['finops@example.com\nBcc: x@evil.example'] }],
    ['To', { to: ['a@example.com, b@evil.example'] }],
    ['From', { from: 'sentinel@example.com\r\nX-Evil: 1' }],
    ['Subject', { subject: 'Alert\r\nBcc: attacker@evil.example' }],
    ['Message-ID', { messageId: '../../etc/passwd' }],
  ])('rejects a %s header injection and writes nothing', async (field, overrides) => {
    const outbox = await newOutbox();
    const error = await outbox.send(message(overrides)).catch((e: unknown) => e);
    // A bad recipient is refused for good (never retried); other headers are bad input.
    const injection = field === 'To' || field === 'Cc' ? (error as PermanentRejectionError).cause : error;
    if (field === 'To' || field === 'Cc') expect(error).toBeInstanceOf(PermanentRejectionError);
    expect(injection).toBeInstanceOf(HeaderInjectionError);
    expect((injection as HeaderInjectionError).field).toBe(field);
    await expect(stat(outbox.dir).then(() => readdir(outbox.dir))).resolves.toEqual([]);
  });

  it('refuses addresses in its refuse list permanently, naming them', async () => {
    const outbox = await newOutbox(['Leads@Example.com']);
    const error = await outbox.send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentRejectionError);
    expect((error as PermanentRejectionError).addresses).toEqual(['leads@example.com']);
    expect(await readdir(outbox.dir)).toEqual([]);
  });

  it('gets its refuse list from SENTINEL_OUTBOX_REFUSE through the composition root', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sentinel-outbox-'));
    const ports = await openNotifyPorts(parseConfig({ out }), {
      clock: fixedClock(at),
      log: silentLogger(),
      environment: sentinelEnvironment({
        SENTINEL_OUTBOX_REFUSE: 'gone@example.com, dana.owner@example.com',
      }),
    });
    await expect(ports.mailer.send(message())).rejects.toBeInstanceOf(PermanentRejectionError);
    // Without the variable nothing is refused.
    const plain = new OutboxMailer(await mkdtemp(join(tmpdir(), 'sentinel-outbox-')));
    await expect(plain.send(message())).resolves.toBeDefined();
  });

  it('lists every message in index.html with to, cc, kind, case keys and a link to its html', async () => {
    const outbox = await newOutbox();
    await outbox.send(message());
    await outbox.send(
      message({
        messageId: 'msg-0002',
        kind: 'finops-digest',
        to: ['finops@example.com'],
        cc: [],
        subject: 'FinOps digest <script>x</script>',
        caseKeys: [],
      }),
    );
    await outbox.flush();
    const index = await readFile(join(outbox.dir, 'index.html'), 'utf8');
    expect(index).toContain('2 messages');
    expect(index).toContain('href="msg-0001.html"');
    expect(index).toContain('href="msg-0002.html"');
    expect(index).toContain('dana.owner@example.com');
    expect(index).toContain('finops@example.com, leads@example.com');
    expect(index).toContain('9a41d3c7e2b85f10 c07e5f2a8d194b36');
    expect(index).toContain('finops-digest');
    expect(index).toContain('R&#38;D');
    expect(index).not.toContain('<script>');
    // Fits 900 px: a fixed-layout table whose long case keys and addresses wrap.
    expect(index).toContain('table-layout:fixed');
    expect(index).toMatch(/code\{[^}]*word-break:break-all/);
  });
});

describe('outbox headers', () => {
  it('reads a long non-ASCII subject back whole from the .eml (encoded words split anywhere)', async () => {
    const outbox = await newOutbox();
    const subject = `[Critical] Ausgaben für Bedrock 18,0× über Basis — 東京チーム ✓ ${'é'.repeat(40)} 🚀 bitte antworten`;
    await outbox.send(message({ subject }));
    const eml = await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8');
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(parseEmlHeaders(eml).get('subject')).toBe(subject);
    await outbox.flush();
    expect(await readFile(join(outbox.dir, 'index.html'), 'utf8')).toContain('東京チーム ✓');
  });

  it('folds a long ASCII subject and reads it back unchanged', async () => {
    const outbox = await newOutbox();
    const subject = `[Critical] ${'Bedrock spend 18.0x baseline on Checkout Prod (111111111111) '.repeat(2)}- answer`;
    await outbox.send(message({ subject }));
    const eml = await readFile(join(outbox.dir, 'msg-0001.eml'), 'utf8');
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(parseEmlHeaders(eml).get('subject')).toBe(subject);
  });
});
