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
    warn: (message, fields) => powertools.warn(message, fields ?? {}),
    error: (message, fields) => powertools.error(message, fields ?? {}),
    addContext: (context) => powertools.addContext(context),
  };
}
