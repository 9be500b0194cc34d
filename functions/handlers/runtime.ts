/**
 * What every handler builds once per cold start: the structured logger and the validated config
 * (`SENTINEL_CONFIG`). A config that fails validation fails the invocation with the key named and
 * is read again on the next one (a fixed parameter needs no redeploy of the code).
 */

import { sentinelEnvironment } from '../adapters/environment.js';
import { lambdaLogger } from '../adapters/logger/lambda.js';
import { loadLambdaConfig, publishConfigFailure } from '../adapters/open-ports.js';
import type { SentinelConfig } from '../core/config.js';
import { ConfigError, describeError } from '../core/errors.js';
import type { RunCommand } from '../core/types.js';

/** The function's environment, read once per cold start (the deployment sets it: DEPLOY.md). */
export const env = sentinelEnvironment(process.env);
export const log = lambdaLogger(env.logLevel ? { logLevel: env.logLevel } : {});

let config: Promise<SentinelConfig> | undefined;

export function lambdaConfig(): Promise<SentinelConfig> {
  const loading =
    config ??
    loadLambdaConfig(env).catch((error: unknown) => {
      config = undefined;
      throw error;
    });
  config = loading;
  return loading;
}

/** The error a refused config fails the invocation with: its message, no stack trace. */
export class RefusedConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * The validated config, or — for a config that fails validation — a logged error naming the key, a
 * `Run Failed` event, and an invocation error that carries the message only (never a stack trace).
 */
export async function configOrFail(command: RunCommand): Promise<SentinelConfig> {
  try {
    return await lambdaConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const message = describeError(error);
    log.error('configuration refused', { command, error: message });
    await publishConfigFailure(env, command, message).catch((e: unknown) =>
      log.error('could not publish Run Failed', { command }, e),
    );
    throw new RefusedConfigError(message);
  }
}
