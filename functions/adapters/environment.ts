/**
 * Every environment variable the service reads (docs/configuration.md), read once at a door: the
 * Lambda handlers at cold start, the CLI per command, the composition root when a caller passes
 * nothing. Adapters receive values, never the environment.
 *
 * The AWS SDK reads its own variables itself (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` and
 * `AWS_ENDPOINT_URL_<SERVICE>`); the one thing read here about them is whether an endpoint override
 * names a local server, whose S3 takes path-style addresses (docs/decisions/012-aws-clients.md).
 */
import type { LogLevel } from '../core/log.js';

export interface SentinelEnvironment {
  /** `SENTINEL_CONFIG` (Lambda): YAML/JSON text or an s3:// URI. */
  config: string | undefined;
  /** `SENTINEL_EVENT_BUS`: the bus `Run Failed` goes to when the config itself is refused. */
  eventBus: string | undefined;
  /** `SENTINEL_SIGNING_SECRET_ARN` (Lambda): the Secrets Manager secret holding the answer-link key. */
  signingSecretArn: string | undefined;
  /** `SENTINEL_SIGNING_KEY` (local runs): the answer-link key itself. */
  signingKey: string | undefined;
  /** `SENTINEL_TRINO_PASSWORD`: basic-auth password of `trino.user` (never in config). */
  trinoPassword: string | undefined;
  /** `SENTINEL_OUTBOX_REFUSE`: addresses the local outbox refuses permanently, comma-separated. */
  outboxRefuse: string[];
  /** `SENTINEL_LOG_LEVEL`. */
  logLevel: LogLevel | undefined;
  /** `SENTINEL_LOG_FORMAT=json`, or any process inside Lambda: one JSON object per log line. */
  logFormat: 'json' | 'text';
  /** `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` is set: S3 is a local server, addressed path-style. */
  s3PathStyle: boolean;
  /** `AWS_REGION` (else `AWS_DEFAULT_REGION`): where the watch reads CloudWatch when nothing else names a region. */
  region: string | undefined;
  /**
   * `SENTINEL_ACCOUNT_ID` (set by the deployment, 12 digits): the account it runs in — the kill switch never
   * stops it, and the watch labels this account's metrics with it when CloudWatch shows no cross-account
   * links (the Lambda functions also take it from their own ARN).
   */
  accountId: string | undefined;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

export function sentinelEnvironment(raw: NodeJS.ProcessEnv): SentinelEnvironment {
  const level = raw.SENTINEL_LOG_LEVEL?.trim().toLowerCase();
  return {
    config: raw.SENTINEL_CONFIG,
    eventBus: nonEmpty(raw.SENTINEL_EVENT_BUS),
    signingSecretArn: nonEmpty(raw.SENTINEL_SIGNING_SECRET_ARN),
    signingKey: nonEmpty(raw.SENTINEL_SIGNING_KEY),
    trinoPassword: nonEmpty(raw.SENTINEL_TRINO_PASSWORD),
    outboxRefuse: (raw.SENTINEL_OUTBOX_REFUSE ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    logLevel: LOG_LEVELS.includes(level as LogLevel) ? (level as LogLevel) : undefined,
    logFormat: raw.SENTINEL_LOG_FORMAT === 'json' || raw.AWS_LAMBDA_FUNCTION_NAME ? 'json' : 'text',
    s3PathStyle: nonEmpty(raw.AWS_ENDPOINT_URL_S3 ?? raw.AWS_ENDPOINT_URL) !== undefined,
    region: nonEmpty(raw.AWS_REGION) ?? nonEmpty(raw.AWS_DEFAULT_REGION),
    accountId: /^\d{12}$/.test(raw.SENTINEL_ACCOUNT_ID?.trim() ?? '')
      ? raw.SENTINEL_ACCOUNT_ID!.trim()
      : undefined,
  };
}
