/**
 * The Logger port in Lambda: Powertools for AWS Lambda's Logger (one JSON object per line, with
 * the request id and cold start once a handler adds the context). Callers pass plain fields; no
 * secret, signature or signing key is ever a field (the handlers log case keys and outcomes only).
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Logger } from '../../core/log.js';

export interface LambdaLogger extends Logger {
  /** Request id and function name on every line of this invocation. */
  addContext(context: Context): void;
}

export function lambdaLogger(options: { logLevel?: string } = {}): LambdaLogger {
  const powertools = new PowertoolsLogger({
    serviceName: 'ai-spend-sentinel',
    ...(options.logLevel ? { logLevel: options.logLevel as never } : {}),
  });
  return {
    debug: (message, fields) => powertools.debug(message, fields ?? {}),
    info: (message, fields) => powertools.info(message, fields ?? {}),
    // An error goes to Powertools as an Error, which it formats with its name, message, stack and cause.
    warn: (message, fields, error) => powertools.warn(message, withError(fields, error)),
    error: (message, fields, error) => powertools.error(message, withError(fields, error)),
    addContext: (context) => powertools.addContext(context),
  };
}

/** Powertools formats an Error value with its name, message, location, stack and cause. */
const withError = (fields: Record<string, unknown> | undefined, error: unknown) =>
  (error === undefined
    ? (fields ?? {})
    : { ...fields, error: error instanceof Error ? error : new Error(String(error)) }) as Record<
    string,
    never
  >;
