/**
 * Capped exponential backoff with full jitter, for the retries the SDK has no notion of
 * (docs/decisions/012-aws-clients.md): SES throttling told apart from the daily quota (its client is
 * built with `maxAttempts: 1`), EventBridge entries that failed inside a successful PutEvents. Every
 * other retry is the SDK client's own. Also the helpers that read an SDK error's name and status.
 */

export interface BackoffOptions {
  /** Total attempts, the first included (default 5). */
  attempts?: number;
  /** Delay ceiling before the first retry, doubled per retry (default 100 ms). */
  baseMs?: number;
  /** No single wait is longer than this (default 5 s). */
  capMs?: number;
  /** Injectable for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests; defaults to Math.random. */
  random?: () => number;
}

export interface Backoff {
  attempts: number;
  /** The wait before retry number `retry` (1-based): uniform in [0, min(cap, base·2^(retry−1))). */
  delay(retry: number): number;
  sleep(ms: number): Promise<void>;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function backoff(options: BackoffOptions = {}): Backoff {
  const attempts = Math.max(1, Math.floor(options.attempts ?? 5));
  const baseMs = options.baseMs ?? 100;
  const capMs = options.capMs ?? 5000;
  const random = options.random ?? Math.random;
  return {
    attempts,
    delay: (retry) => Math.floor(random() * Math.min(capMs, baseMs * 2 ** (retry - 1))),
    sleep: options.sleep ?? defaultSleep,
  };
}

/** Runs `operation` until it succeeds, throws a non-retryable error, or the attempts are used up (last error rethrown). */
export async function withRetries<T>(
  policy: Backoff,
  isRetryable: (error: unknown) => boolean,
  operation: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      await policy.sleep(policy.delay(attempt));
    }
  }
}

/** The error code of an SDK v3 service exception (`name`), if any. */
export const awsErrorName = (error: unknown): string | undefined =>
  error && typeof error === 'object' && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : undefined;

/** The HTTP status of an SDK v3 service exception, if the service answered. */
export const httpStatusOf = (error: unknown): number | undefined =>
  error && typeof error === 'object'
    ? (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    : undefined;

/** Throttling (by name or 429) and server-side failures (5xx): worth another attempt later. */
export function isThrottlingOrServerError(error: unknown, throttlingNames: ReadonlySet<string>): boolean {
  const name = awsErrorName(error);
  if (name !== undefined && throttlingNames.has(name)) return true;
  const status = httpStatusOf(error);
  return status === 429 || (status !== undefined && status >= 500);
}

/** `Name: message` of an SDK error for our messages (never the request, which may hold data). */
export function describeAwsError(error: unknown): string {
  const name = awsErrorName(error) ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const status = httpStatusOf(error);
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
}
