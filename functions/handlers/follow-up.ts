/**
 * The hourly function (docs/cases.md, docs/watch.md, DEPLOY.md): the watch over Bedrock's usage metrics
 * when `watch.enabled` (the deployment parameter `watch`), then the follow-up — deadlines, suppression
 * expiry, resends — in the same invocation. The watch applies its findings to cases and leaves its alerts
 * due; the follow-up's delivery step sends them with its own, under one notify lease. No digest.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { openNotifyPorts, openWatchPorts } from '../adapters/open-ports.js';
import { followUp } from '../core/commands/follow-up.js';
import { type WatchResult, watch } from '../core/commands/watch.js';
import { describeError, NoPricesError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import { configOrFail, env, log } from './runtime.js';

/** The function's own account, from its ARN: whose metrics a monitoring account without links reads. */
const accountOf = (context: Context): string | undefined => context.invokedFunctionArn?.split(':')[4];

async function followUpHandler(_event: ScheduledEvent, context: Context) {
  log.addContext(context);
  const config = await configOrFail('follow-up');
  const ports = await openNotifyPorts(config, { clock: systemClock, log, environment: env });
  let watched: WatchResult | null = null;
  let watchError: unknown = null;
  if (config.watch.enabled) {
    try {
      const accountId = accountOf(context);
      const watchPorts = await openWatchPorts(
        config,
        { clock: systemClock, log, environment: env, ...(accountId ? { accountId } : {}) },
        ports,
      );
      watched = await watch(watchPorts, config, { deliver: false });
    } catch (error) {
      // The follow-up runs whatever the watch met; a watch that failed has recorded its run and Run Failed.
      if (error instanceof NoPricesError) {
        log.warn('the watch waits for the first detection run to write its prices', {
          error: describeError(error),
        });
      } else {
        watchError = error;
        log.error('the watch failed; the follow-up runs', {}, error);
      }
    }
  }
  const result = await followUp(ports, config);
  log.info('follow-up finished', {
    run_id: result.run.run_id,
    cases_moved: result.cases.length,
    messages: result.delivery.messages.length,
    lease_taken: result.delivery.leaseTaken,
    watch_run_id: watched?.run.run_id ?? null,
    watch_findings: watched?.findings.length ?? 0,
  });
  if (watchError) throw watchError;
  return {
    run_id: result.run.run_id,
    cases_moved: result.cases.length,
    watch: watched
      ? {
          run_id: watched.run.run_id,
          findings: watched.findings.length,
          hours: watched.run.watch?.evaluated_hours.length ?? 0,
        }
      : null,
  };
}

export const handler = middy(followUpHandler);
