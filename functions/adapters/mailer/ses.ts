/**
 * Mailer on Amazon SES v2 (docs/emails.md): `SendEmail` with simple content (subject, HTML and text
 * parts, UTF-8), from the configured verified identity, optional configuration set, Reply-To
 * (`ReplyToAddresses`) and the threading headers In-Reply-To and References (simple content's
 * `Headers`). Returns SES's MessageId as the provider message id, and the Message-ID header SES gives.
 *
 * Errors, as the notify step needs them (docs/storage.md):
 * - throttling (`TooManyRequestsException`, `LimitExceededException`, 429) and SES-side failures
 *   (5xx) are retried here with capped exponential backoff and full jitter, a bounded number of
 *   times, then an UpstreamError: the message stays `failed` and the next run sends it again;
 * - the daily sending quota (a throttling error whose message says "Daily message quota exceeded")
 *   is not retried: no backoff inside a run gets a message out before the 24-hour window moves. It
 *   is an UpstreamError, and every later send of this mailer fails the same way without calling SES,
 *   so a follow-up does not spend its 300 s backing off message after message;
 * - AccessDenied (the function's role may not send as, or to, an identity: in the SES sandbox SES
 *   also authorizes each recipient's identity) blames no recipient: an UpstreamError naming IAM and
 *   the sandbox;
 * - a refusal that names recipients (`MessageRejected` in the sandbox: "the following identities
 *   failed the check: …"; a `BadRequestException` naming an illegal address) is a
 *   PermanentRejectionError with exactly those addresses, so FinOps stands in for them;
 * - a refusal of our own sender or account (From not verified, sending paused, account suspended,
 *   MAIL FROM domain, unknown configuration set) blames no recipient: UpstreamError with the fix,
 *   so the message is retried once the account is put right instead of dropping every owner;
 * - a header value that could inject a header is refused before any call (`assertSafeMessage`);
 *   a recipient that is not a plain address is refused permanently, as the outbox does.
 * The client is injected; the adapter owns the retries, because the SDK counts the daily quota as
 * throttling (the composition root builds it with `maxAttempts: 1`: docs/decisions/012-aws-clients.md).
 */
import {
  type SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
  type SendEmailCommandOutput,
} from '@aws-sdk/client-sesv2';
import { UpstreamError } from '../../core/errors.js';
import type { Mailer, OutgoingMessage, SendResult } from '../../core/ports.js';
import {
  awsErrorName,
  type BackoffOptions,
  backoff,
  describeAwsError,
  isThrottlingOrServerError,
  withRetries,
} from '../aws/retry.js';
import { PermanentRejectionError } from './errors.js';
import { refuseUnsafeMessage } from './mime.js';

export interface SesMailerOptions {
  /** `notify.configuration_set`: SES event destinations (bounces, complaints) hang off it. */
  configurationSet?: string | null;
  /** Throttling retries (default 5 attempts, 200 ms base, 10 s cap). */
  retry?: BackoffOptions;
  /** The domain of the Message-ID headers SES gives (default: from the client's region). */
  messageIdDomain?: string;
}

const THROTTLING = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
]);

/** SES's text for the daily sending quota, whichever throttling name it comes under. */
const DAILY_QUOTA = /daily (message|sending) quota/i;

/** The 24-hour sending quota is used up: retrying inside this run cannot help. */
export const isDailyQuota = (error: unknown): boolean =>
  isThrottlingOrServerError(error, THROTTLING) && DAILY_QUOTA.test(messageOf(error));

const isRetryable = (error: unknown): boolean =>
  isThrottlingOrServerError(error, THROTTLING) && !isDailyQuota(error);

/** Account-level refusals: no recipient is at fault, the sender's account or config is. */
const ACCOUNT_PROBLEMS: Record<string, string> = {
  AccountSuspendedException: 'SES suspended sending for this account: see the SES console (reputation)',
  SendingPausedException: 'sending is paused for this account or configuration set: resume it in SES',
  MailFromDomainNotVerifiedException: 'the MAIL FROM domain of notify.from is not verified in SES',
  NotFoundException: 'check notify.configuration_set names an existing SES configuration set',
};

// SES message tags allow letters, digits, '_' and '-' only.
const TAG_VALUE_RE = /^[A-Za-z0-9_-]{1,256}$/;

export class SesMailer implements Mailer {
  readonly kind = 'mailer' as const;
  private readonly configurationSet: string | null;
  private readonly retry: BackoffOptions;
  /** Set once SES answers that the daily quota is used up: later sends fail without a call. */
  private quotaReached: UpstreamError | undefined;

  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesMailerOptions = {},
  ) {
    this.configurationSet = options.configurationSet ?? null;
    this.retry = { attempts: 5, baseMs: 200, capMs: 10_000, ...options.retry };
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    refuseUnsafeMessage(message);
    if (this.quotaReached) {
      throw new UpstreamError(
        `SES SendEmail of message ${message.messageId} (${message.kind}) not attempted: ${this.quotaReached.message}`,
        { cause: this.quotaReached, hint: this.quotaReached.hint },
      );
    }
    const input = this.request(message);
    const policy = backoff(this.retry);
    let response: SendEmailCommandOutput;
    try {
      response = await withRetries(policy, isRetryable, () => this.client.send(new SendEmailCommand(input)));
    } catch (error) {
      const failure = this.mapFailure(error, message, policy.attempts);
      if (isDailyQuota(error)) this.quotaReached = failure as UpstreamError;
      throw failure;
    }
    if (!response.MessageId) {
      throw new UpstreamError(`SES accepted message ${message.messageId} but returned no MessageId`);
    }
    return {
      providerMessageId: response.MessageId,
      messageIdHeader: `<${response.MessageId}@${await this.messageIdDomain()}>`,
    };
  }

  /**
   * SES replaces any Message-ID with its own, `<MessageId@email.amazonses.com>` in us-east-1 and
   * `<MessageId@<region>.amazonses.com>` elsewhere (AWS does not promise the form; option
   * `messageIdDomain` overrides it). Later messages of a case reply to it (docs/emails.md "Threading").
   */
  private async messageIdDomain(): Promise<string> {
    if (this.options.messageIdDomain) return this.options.messageIdDomain;
    const region = await this.client.config.region();
    return region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
  }

  private request(message: OutgoingMessage): SendEmailCommandInput {
    const threading = [
      ...(message.inReplyTo ? [{ Name: 'In-Reply-To', Value: message.inReplyTo }] : []),
      ...(message.references.length > 0 ? [{ Name: 'References', Value: message.references.join(' ') }] : []),
    ];
    const tags = [
      { Name: 'kind', Value: message.kind },
      { Name: 'sentinel_message_id', Value: message.messageId },
    ].filter((t) => TAG_VALUE_RE.test(t.Value));
    return {
      FromEmailAddress: message.from,
      Destination: {
        ToAddresses: message.to,
        ...(message.cc.length > 0 ? { CcAddresses: message.cc } : {}),
      },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: message.html, Charset: 'UTF-8' },
            Text: { Data: message.text, Charset: 'UTF-8' },
          },
          // Simple content takes custom headers except those SES sets itself (Message-ID, Reply-To, …):
          // the threading headers go here, Reply-To goes in ReplyToAddresses.
          ...(threading.length > 0 ? { Headers: threading } : {}),
        },
      },
      ...(message.replyTo.length > 0 ? { ReplyToAddresses: message.replyTo } : {}),
      ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      ...(tags.length > 0 ? { EmailTags: tags } : {}),
    };
  }

  private mapFailure(error: unknown, message: OutgoingMessage, attempts: number): Error {
    const name = awsErrorName(error) ?? '';
    const what = `SES SendEmail of message ${message.messageId} (${message.kind})`;
    if (isDailyQuota(error)) {
      return new UpstreamError(
        `${what}: the SES daily sending quota is used up: ${describeAwsError(error)}`,
        {
          cause: error,
          hint: 'the next run or follow-up sends it once the 24-hour window moves on; raise the quota in the SES console (Account dashboard) if this repeats',
        },
      );
    }
    if (name === 'AccessDeniedException' || name === 'AccessDenied') {
      return new UpstreamError(`${what}: IAM refused the send: ${describeAwsError(error)}`, {
        cause: error,
        hint:
          "the function's role must allow ses:SendEmail on every identity SES checks: the from identity, the configuration set " +
          "and, while the account is in the SES sandbox, each recipient's verified identity (DEPLOY.md, SES); " +
          'or request SES production access',
      });
    }
    if (isThrottlingOrServerError(error, THROTTLING)) {
      return new UpstreamError(`${what} failed after ${attempts} attempts: ${describeAwsError(error)}`, {
        cause: error,
        hint: 'SES is throttling or failing; the next run or follow-up sends the message again',
      });
    }
    if (name === 'MessageRejected' || name === 'BadRequestException') {
      const refused = namedRecipients(error, message);
      if (refused.length > 0) {
        return new PermanentRejectionError(
          refused,
          `${what}: SES refused ${refused.join(', ')}: ${describeAwsError(error)}`,
          {
            cause: error,
            hint: 'fix the address in the owners mapping or notify config (in the SES sandbox, verify it or request production access)',
          },
        );
      }
      if (mentions(error, message.from)) {
        return new UpstreamError(
          `${what}: SES refused the sender ${message.from}: ${describeAwsError(error)}`,
          {
            cause: error,
            hint: `verify ${message.from} (or its domain) in SES in this region, or set notify.from to a verified identity`,
          },
        );
      }
      if (name === 'MessageRejected') {
        // The content itself was refused (SES names no address): sending it again will not help.
        return new PermanentRejectionError(
          [],
          `${what}: SES rejected the message: ${describeAwsError(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    const fix = ACCOUNT_PROBLEMS[name];
    return new UpstreamError(`${what} failed: ${describeAwsError(error)}`, {
      cause: error,
      ...(fix ? { hint: fix } : {}),
    });
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Whole addresses only: "ana@example.com" is not named by "dana@example.com" nor by "ana@example.com.au". */
function mentions(error: unknown, address: string): boolean {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![a-z0-9._%+-])${escaped}(?![a-z0-9-]|\\.[a-z0-9])`, 'i').test(messageOf(error));
}

/** The message's recipients that SES's error text names, each once. */
const namedRecipients = (error: unknown, message: OutgoingMessage): string[] => [
  ...new Set([...message.to, ...message.cc].filter((address) => mentions(error, address))),
];
