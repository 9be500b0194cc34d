/** SesMailer on the SDK mock: the request it sends, throttling retries and refusals moto never gives. */
import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { HeaderInjectionError } from '../../functions/adapters/mailer/errors.js';
import { SesMailer } from '../../functions/adapters/mailer/ses.js';
import { PermanentRejectionError, UpstreamError } from '../../functions/core/errors.js';
import { contractMessage } from '../fixtures/mailer-contract.js';

const sesError = (name: string, status: number, message = name) =>
  new SESv2ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });

function mailerWithMock(options: ConstructorParameters<typeof SesMailer>[1] = {}) {
  const client = new SESv2Client({ region: 'eu-west-1' });
  const mock = mockClient(client);
  const waits: number[] = [];
  const mailer = new SesMailer(client, {
    ...options,
    retry: { sleep: async (ms) => void waits.push(ms), random: () => 1, ...options.retry },
  });
  return { mock, mailer, waits };
}

const FROM = 'sentinel@example.com';

describe('SesMailer (SDK mock)', () => {
  it('sends simple content with the subject, HTML and text parts in UTF-8', async () => {
    const { mock, mailer } = mailerWithMock({ configurationSet: 'sentinel-events' });
    mock.on(SendEmailCommand).resolves({ MessageId: '0100018e-ses-id' });
    const message = contractMessage(FROM);
    expect(await mailer.send(message)).toEqual({
      providerMessageId: '0100018e-ses-id',
      messageIdHeader: '<0100018e-ses-id@eu-west-1.amazonses.com>',
    });
    expect(mock.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: FROM,
      Destination: {
        ToAddresses: ['dana.owner@example.com'],
        CcAddresses: ['finops@example.com', 'leads@example.com'],
      },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: message.html, Charset: 'UTF-8' },
            Text: { Data: message.text, Charset: 'UTF-8' },
          },
        },
      },
      ReplyToAddresses: ['finops@example.com'],
      ConfigurationSetName: 'sentinel-events',
      EmailTags: [
        { Name: 'kind', Value: 'owner-alert' },
        { Name: 'sentinel_message_id', Value: message.messageId },
      ],
    });
  });

  it('sends Reply-To and the threading headers, and gives the Message-ID SES sets', async () => {
    const { mock, mailer } = mailerWithMock();
    mock.on(SendEmailCommand).resolves({ MessageId: '0100018f-reminder' });
    const message = contractMessage(FROM, {
      replyTo: ['finops-team@example.com'],
      inReplyTo: '<0100018e-alert@eu-west-1.amazonses.com>',
      references: ['<0100018e-alert@eu-west-1.amazonses.com>'],
    });
    const sent = await mailer.send(message);
    const input = mock.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.ReplyToAddresses).toEqual(['finops-team@example.com']);
    // Simple content takes custom headers, except those SES sets (Message-ID, Reply-To, …).
    expect(input.Content?.Simple?.Headers).toEqual([
      { Name: 'In-Reply-To', Value: '<0100018e-alert@eu-west-1.amazonses.com>' },
      { Name: 'References', Value: '<0100018e-alert@eu-west-1.amazonses.com>' },
    ]);
    expect(sent.messageIdHeader).toBe('<0100018f-reminder@eu-west-1.amazonses.com>');
    const east = new SesMailer(new SESv2Client({ region: 'us-east-1' }));
    const eastMock = mockClient((east as unknown as { client: SESv2Client }).client);
    eastMock.on(SendEmailCommand).resolves({ MessageId: 'x1' });
    expect((await east.send(contractMessage(FROM))).messageIdHeader).toBe('<x1@email.amazonses.com>');
  });

  it('leaves out Cc and the configuration set when there are none', async () => {
    const { mock, mailer } = mailerWithMock();
    mock.on(SendEmailCommand).resolves({ MessageId: 'id-1' });
    await mailer.send(contractMessage(FROM, { cc: [] }));
    const input = mock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.Destination).toEqual({ ToAddresses: ['dana.owner@example.com'] });
    expect(input).not.toHaveProperty('ConfigurationSetName');
  });

  it('retries throttling with capped exponential backoff, then succeeds', async () => {
    const { mock, mailer, waits } = mailerWithMock({ retry: { baseMs: 100, capMs: 300 } });
    mock
      .on(SendEmailCommand)
      .rejectsOnce(sesError('TooManyRequestsException', 429))
      .rejectsOnce(sesError('LimitExceededException', 400))
      .rejectsOnce(sesError('InternalServiceErrorException', 500))
      .resolves({ MessageId: 'after-throttling' });
    expect(await mailer.send(contractMessage(FROM))).toMatchObject({ providerMessageId: 'after-throttling' });
    expect(waits).toEqual([100, 200, 300]); // jitter at its ceiling (random = 1); the cap holds
  });

  it('jitters each wait below its ceiling', async () => {
    const { mock, mailer, waits } = mailerWithMock({ retry: { baseMs: 1000, random: () => 0.25 } });
    mock
      .on(SendEmailCommand)
      .rejectsOnce(sesError('TooManyRequestsException', 429))
      .resolves({ MessageId: 'x' });
    await mailer.send(contractMessage(FROM));
    expect(waits).toEqual([250]);
  });

  it('gives up after the bounded attempts with a retry-later error', async () => {
    const { mock, mailer, waits } = mailerWithMock({ retry: { attempts: 4 } });
    mock
      .on(SendEmailCommand)
      .rejects(sesError('TooManyRequestsException', 429, 'Maximum sending rate exceeded.'));
    const failure = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).not.toBeInstanceOf(PermanentRejectionError);
    expect((failure as Error).message).toMatch(
      /failed after 4 attempts: TooManyRequestsException \(HTTP 429\): Maximum sending rate/,
    );
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(4);
    expect(waits).toHaveLength(3);
  });

  it('does not retry the daily quota, and later sends fail at once without calling SES', async () => {
    const { mock, mailer, waits } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejects(sesError('LimitExceededException', 400, 'Daily message quota exceeded.'));
    const first = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(UpstreamError);
    expect(first).not.toBeInstanceOf(PermanentRejectionError);
    expect((first as Error).message).toMatch(/daily sending quota is used up/);
    expect((first as UpstreamError).hint).toMatch(/24-hour window/);
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(waits).toEqual([]);
    const later = await mailer
      .send(contractMessage(FROM, { messageId: 'msg-later' }))
      .catch((e: unknown) => e);
    expect(later).toBeInstanceOf(UpstreamError);
    expect((later as Error).message).toMatch(/msg-later .*not attempted: .*daily sending quota/);
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('still retries a rate throttle that is not the daily quota', async () => {
    const { mock, mailer } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejectsOnce(sesError('LimitExceededException', 400, 'Maximum sending rate exceeded.'))
      .resolves({ MessageId: 'x' });
    expect(await mailer.send(contractMessage(FROM))).toMatchObject({ providerMessageId: 'x' });
  });

  it('names IAM and the SES sandbox when the role may not send, blaming no recipient', async () => {
    const { mock, mailer } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejects(
        sesError(
          'AccessDeniedException',
          403,
          "User `arn:aws:sts::111122223333:assumed-role/ai-spend-sentinel-prod-detect-eu-west-1/x' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:eu-west-1:111122223333:identity/dana.owner@example.com'",
        ),
      );
    const failure = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).not.toBeInstanceOf(PermanentRejectionError);
    expect((failure as Error).message).toMatch(/IAM refused the send: AccessDeniedException \(HTTP 403\)/);
    expect((failure as UpstreamError).hint).toMatch(
      /ses:SendEmail .*SES sandbox, each recipient's verified identity/,
    );
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('refuses for good exactly the recipients SES names (sandbox), without retrying', async () => {
    const { mock, mailer } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejects(
        sesError(
          'MessageRejected',
          400,
          'Email address is not verified. The following identities failed the check in region EU-WEST-1: LEADS@example.com, dana.owner@example.com',
        ),
      );
    const failure = await mailer
      .send(contractMessage(FROM, { cc: ['finops@example.com', 'leads@example.com', 'owner@example.com'] }))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentRejectionError);
    // "owner@example.com" is not named by "dana.owner@example.com".
    expect((failure as PermanentRejectionError).addresses).toEqual([
      'dana.owner@example.com',
      'leads@example.com',
    ]);
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('refuses for good an illegal address SES names in a bad request', async () => {
    const { mock, mailer } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejects(sesError('BadRequestException', 400, 'Illegal address: leads@example.com'));
    const failure = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect((failure as PermanentRejectionError).addresses).toEqual(['leads@example.com']);
  });

  it('rejects for good a message SES refuses without naming an address (content)', async () => {
    const { mock, mailer } = mailerWithMock();
    mock.on(SendEmailCommand).rejects(sesError('MessageRejected', 400, 'Message content rejected.'));
    const failure = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentRejectionError);
    expect((failure as PermanentRejectionError).addresses).toEqual([]);
  });

  it('blames no recipient when the sender or the account is refused, and says how to fix it', async () => {
    const { mock, mailer } = mailerWithMock();
    mock
      .on(SendEmailCommand)
      .rejectsOnce(
        sesError(
          'MessageRejected',
          400,
          `Email address is not verified. The following identities failed the check in region EU-WEST-1: ${FROM}`,
        ),
      )
      .rejectsOnce(sesError('AccountSuspendedException', 400))
      .rejectsOnce(sesError('NotFoundException', 404, 'Configuration set <sentinel> does not exist.'));
    const sender = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(sender).toBeInstanceOf(UpstreamError);
    expect((sender as UpstreamError).hint).toContain(`verify ${FROM}`);
    const suspended = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect(suspended).toBeInstanceOf(UpstreamError);
    expect((suspended as UpstreamError).hint).toMatch(/suspended/);
    const configSet = await mailer.send(contractMessage(FROM)).catch((e: unknown) => e);
    expect((configSet as UpstreamError).hint).toMatch(/notify\.configuration_set/);
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(3);
  });

  it('refuses an unsafe header before calling SES', async () => {
    const { mock, mailer } = mailerWithMock();
    await expect(
      mailer.send(contractMessage(FROM, { subject: 'a\nBcc: x@example.net' })),
    ).rejects.toBeInstanceOf(HeaderInjectionError);
    await expect(
      mailer.send(contractMessage('sentinel@example.com\r\nBcc: x@example.net')),
    ).rejects.toBeInstanceOf(HeaderInjectionError);
    expect(mock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
