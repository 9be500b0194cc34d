/**
 * The scheduled detection (DEPLOY.md): the whole `run` with catch-up since the last successful run.
 * An AbortSignal fires 30 s before the Lambda timeout; the run then stops its queries, records
 * itself as failed and publishes `Run Failed`, so the next scheduled run repeats the days.
 * Invoked with `{"dryRun": true}` it is the dry run of docs/architecture.md "Dry run": every step,
 * nothing sent or changed, and the reply lists what would have been sent.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { openRunPorts } from '../adapters/open-ports.js';
import { runPipeline } from '../core/commands/run.js';
import { systemClock } from '../core/ports.js';
import { configOrFail, env, log } from './runtime.js';

/** Time kept back for recording the failure when the run is stopped. */
export const STOP_EARLY_MS = 30_000;

/** The schedule's event, or a manual invocation's payload: `{"dryRun": true}` asks for a dry run. */
export type DetectEvent = Partial<ScheduledEvent> & { dryRun?: unknown };

async function detect(event: DetectEvent | null, context: Context, { signal }: { signal: AbortSignal }) {
  log.addContext(context);
  const dryRun = event?.dryRun === true;
  const config = await configOrFail('scheduled-detect');
  const ports = await openRunPorts(config, { clock: systemClock, log, environment: env });
  const result = await runPipeline(ports, config, { command: 'scheduled-detect', signal, dryRun });
  const run = result.run;
  log.info(dryRun ? 'dry run finished: nothing sent or changed' : 'detection run finished', {
    run_id: run.run_id,
    dry_run: dryRun,
    outcome: run.outcome,
    evaluated_days: run.evaluated_days,
    stale_days: run.stale_days,
    findings: run.counts.findings ?? 0,
    messages_sent: run.counts.messages_sent ?? 0,
    bytes_scanned: run.bytes_scanned,
  });
  return {
    run_id: run.run_id,
    outcome: run.outcome,
    findings: run.counts.findings ?? 0,
    ...(dryRun
      ? {
          dry_run: true,
          would_send: result.wouldSend.map((m) => ({ kind: m.kind, to: m.to, cc: m.cc, subject: m.subject })),
        }
      : {}),
  };
}

export const handler = middy(detect, {
  timeoutEarlyInMillis: STOP_EARLY_MS,
  // The signal aborts the run; the run itself then records the failure and throws. Never settling
  // here lets that finish inside the time kept back, instead of returning before it is written.
  timeoutEarlyResponse: () => new Promise<never>(() => {}),
});
