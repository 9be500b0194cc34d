/**
 * The Mailer contract on the outbox directory and on SES v2 against the local moto server (a
 * verified identity unique to this file; sent messages read back from moto's data.json).
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEmlHeaders } from '../../functions/adapters/mailer/mime.js';
import { OutboxMailer } from '../../functions/adapters/mailer/outbox.js';
import { SesMailer } from '../../functions/adapters/mailer/ses.js';
import { PermanentRejectionError, UpstreamError } from '../../functions/core/errors.js';
import { contractMessage, type DeliveredMessage, mailerContract } from '../fixtures/mailer-contract.js';
import { motoData, motoSes, uniqueName } from '../fixtures/moto.js';

const list = (header: string | undefined) => (header ? header.split(/,\s*/) : []);

mailerContract('OutboxMailer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-outbox-'));
  const emls = async () => (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.eml'));
  return {
    mailer: new OutboxMailer(dir, { refuse: [] }),
    from: 'sentinel@example.com',
    count: async () => (await emls()).length,
    delivered: async (message) => {
      if (!(await emls()).includes(`${message.messageId}.eml`)) return undefined;
      const base = join(dir, message.messageId);
      const headers = parseEmlHeaders(await readFile(`${base}.eml`, 'utf8'));
      return {
        from: headers.get('from') ?? '',
        to: list(headers.get('to')),
        cc: list(headers.get('cc')),
        subject: headers.get('subject') ?? '',
        html: await readFile(`${base}.html`, 'utf8'),
        text: await readFile(`${base}.txt`, 'utf8'),
        replyTo: list(headers.get('reply-to')),
        inReplyTo: headers.get('in-reply-to') ?? null,
        references: (headers.get('references') ?? '').split(/\s+/).filter((r) => r !== ''),
      };
    },
  };
});

interface MotoSesMessage {
  id: string;
  source: string;
  subject: string;
  body: string;
  destinations: { ToAddresses?: string[]; CcAddresses?: string[] };
}

const motoMessages = async (): Promise<MotoSesMessage[]> =>
  ((await motoData()).ses?.Message ?? []) as unknown as MotoSesMessage[];

const ses = motoSes();
const sender = `${uniqueName('sentinel')}@example.com`;

beforeAll(async () => {
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: sender }));
});

mailerContract('SesMailer on moto', async () => ({
  mailer: new SesMailer(ses, { configurationSet: null }),
  from: sender,
  count: async () => (await motoMessages()).filter((m) => m.source === sender).length,
  // moto stores one body of simple content: the HTML part when there is one.
  textProvedBy: 'mailer-ses.test.ts: sends simple content with the subject, HTML and text parts in UTF-8',
  // moto keeps neither ReplyToAddresses nor simple content's Headers.
  headersProvedBy:
    'mailer-ses.test.ts: sends Reply-To and the threading headers, and gives the Message-ID SES sets',
  delivered: async (_message, result): Promise<DeliveredMessage | undefined> => {
    const found = (await motoMessages()).find((m) => m.id === result.providerMessageId);
    if (!found) return undefined;
    return {
      from: found.source,
      to: found.destinations.ToAddresses ?? [],
      cc: found.destinations.CcAddresses ?? [],
      subject: found.subject,
      html: found.body,
      text: undefined,
    };
  },
}));

describe('SesMailer on moto', () => {
  it('reports an unverified sender as a retry-later failure naming it, refusing no recipient', async () => {
    const unverified = `${uniqueName('unverified')}@example.com`;
    const failure = await new SesMailer(ses).send(contractMessage(unverified)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).not.toBeInstanceOf(PermanentRejectionError);
    expect((failure as Error).message).toContain(`SES refused the sender ${unverified}`);
    expect((failure as UpstreamError).hint).toMatch(/verify/);
  });

  it('sends through a configured configuration set', async () => {
    const message = contractMessage(sender);
    const result = await new SesMailer(ses, { configurationSet: 'sentinel-events' }).send(message);
    expect((await motoMessages()).some((m) => m.id === result.providerMessageId)).toBe(true);
  });
});
