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

/**
 * An as-of day asked for that no run can evaluate: after today by the clock, or before the export
 * began. Checked before anything is written (docs/cli.md "Exit status"): no finding, no run record.
 */
export class AsOfDayOutOfRangeError extends BadInputError {}

/**
 * The watch has no prices to estimate with: no detection run has written `prices/latest.json` yet
 * (docs/watch.md "Prices"). Refused before anything is read or written (exit 2).
 */
export class NoPricesError extends BadInputError {}

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

/**
 * The causes under an error, each once, for a person reading the message: what the provider, the
 * engine or the file system said. A validation library's own error is left out (the message already
 * names each bad key); so is a cause whose words the message already holds.
 */
export function causesOf(error: unknown, depth = 3): string[] {
  const causes: string[] = [];
  let current = error instanceof Error ? error.cause : undefined;
  let text = error instanceof Error ? error.message : String(error);
  while (current !== undefined && current !== null && causes.length < depth) {
    const name = current instanceof Error ? current.name : '';
    const message = current instanceof Error ? current.message : String(current);
    if (name !== 'ZodError' && message && !text.includes(message)) {
      causes.push(name && name !== 'Error' ? `${name}: ${message}` : message);
      text += `\n${message}`;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return causes;
}

/** What went wrong, its causes, and (for our own errors) what to do: one text for logs, records and events. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [message, ...causesOf(error).map((c) => `  cause: ${c}`)];
  if (error instanceof SentinelError && error.hint) lines.push(`  fix: ${error.hint}`);
  return lines.join('\n');
}
