/**
 * Named errors. Each carries a cause and, where a person can act, what to do next.
 * One place (exitCodeFor) maps them to CLI exit codes; the ack handler maps them to HTTP status.
 */

export class SentinelError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad command-line usage or unreadable input data (exit 2). */
export class BadInputError extends SentinelError {}

/** Invalid configuration file or environment (exit 2). */
export class ConfigError extends SentinelError {}

/** The export does not reach an as-of day that was asked for (exit 3). */
export class StaleDataError extends SentinelError {}

/** A conditional write lost a race; callers re-read and retry. */
export class ConflictError extends SentinelError {}

/** A dependency (engine, store, mail provider) failed (exit 1). */
export class UpstreamError extends SentinelError {}

/** A run stopped by its AbortSignal (the Lambda's time ran out); recorded as failed, repeated next run. */
export class RunAbortedError extends SentinelError {}

/** A signed answer link that cannot be honoured (tampered, expired, wrong case, old epoch). */
export class InvalidAnswerLinkError extends SentinelError {}

/** The mail provider refused an address for good (SES rejection, outbox refuse list): do not retry. */
export class PermanentRejectionError extends SentinelError {
  readonly addresses: string[];
  constructor(addresses: string[], message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
    this.addresses = addresses;
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof BadInputError || error instanceof ConfigError) return 2;
  if (error instanceof StaleDataError) return 3;
  return 1;
}

export function describeError(error: unknown): string {
  if (error instanceof SentinelError) {
    return error.hint ? `${error.message}\n  fix: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
