/** The hourly follow-up (docs/cases.md, DEPLOY.md): deadlines, suppression expiry, resends. No digest. */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { openNotifyPorts } from '../adapters/open-ports.js';
import { followUp } from '../core/commands/follow-up.js';
import { systemClock } from '../core/ports.js';
import { configOrFail, env, log } from './runtime.js';

async function followUpHandler(_event: ScheduledEvent, context: Context) {
  log.addContext(context);
  const config = await configOrFail('follow-up');
  const ports = await openNotifyPorts(config, { clock: systemClock, log, environment: env });
  const result = await followUp(ports, config);
  log.info('follow-up finished', {
    run_id: result.run.run_id,
    cases_moved: result.cases.length,
    messages: result.delivery.messages.length,
    lease_taken: result.delivery.leaseTaken,
  });
  return { run_id: result.run.run_id, cases_moved: result.cases.length };
}

export const handler = middy(followUpHandler);
