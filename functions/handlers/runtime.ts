/**
 * What every handler builds once per cold start: the structured logger and the validated config
 * (`SENTINEL_CONFIG`). A config that fails validation fails the invocation with the key named and
 * is read again on the next one (a fixed parameter needs no redeploy of the code).
 */

import { lambdaLogger } from '../adapters/logger/lambda.js';
import { lambdaEnvironment, loadLambdaConfig } from '../adapters/open-ports.js';
import type { SentinelConfig } from '../core/config.js';

export const env = lambdaEnvironment(process.env);
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
