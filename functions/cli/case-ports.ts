/**
 * Wiring shared by `run`, `follow-up`, `ack` and `demo`: the case store, outbox, events file,
 * owners mapping, renderer and answer actions built from configuration, plus the fault hook.
 */
import { join } from 'node:path';
import { OutboxMailer } from '../adapters/mailer/outbox.js';
import { openEngine } from '../adapters/open-engine.js';
import { openEventBus } from '../adapters/open-event-bus.js';
import { openStore } from '../adapters/open-store.js';
import { loadOwnerDirectory } from '../adapters/owners/file.js';
import { loadLocalSigningKey } from '../adapters/signing-key/local.js';
import { FAULT_POINTS, type FaultPoint, type NotifyPorts } from '../core/cases/outbox.js';
import type { SentinelConfig } from '../core/config.js';
import { runDetection } from '../core/detect/run-detection.js';
import { BadInputError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { buildAnswerActions } from '../core/notify/answer-links.js';
import { renderMessage } from '../core/notify/render.js';
import type { DetectFn, PipelinePorts } from '../core/pipeline.js';
import type { Clock, EventBus } from '../core/ports.js';
import { progressOnTerminal } from './common.js';

/**
 * Crash tests: `SENTINEL_FAULT=crash-after:<point>` kills this process with SIGKILL at that point of
 * the notify protocol (no cleanup, no finally blocks), as a real crash would.
 */
export function faultHook(value: string | undefined): ((point: FaultPoint) => void) | undefined {
  if (!value) return undefined;
  const match = /^crash-after:(.+)$/.exec(value);
  if (!match || !(FAULT_POINTS as readonly string[]).includes(match[1]!)) {
    throw new BadInputError(`SENTINEL_FAULT '${value}' is not a fault point`, {
      hint: `use crash-after:<point>, point one of ${FAULT_POINTS.join(', ')}`,
    });
  }
  const at = match[1];
  return (point) => {
    if (point === at) process.kill(process.pid, 'SIGKILL');
  };
}

export async function notifyPorts(config: SentinelConfig, clock: Clock, log: Logger): Promise<NotifyPorts> {
  const store = openStore(config);
  const owners = await loadOwnerDirectory(config.owners, config.notify.finops);
  const ackBaseUrl = config.notify.ack_base_url;
  const key = ackBaseUrl ? await loadLocalSigningKey({ out: config.out }) : undefined;
  const fault = faultHook(process.env.SENTINEL_FAULT);
  return {
    store,
    // The Date header follows the clock, so `--now` runs (and the demo's time travel) read true.
    mailer: new OutboxMailer(join(config.out, 'outbox'), { now: () => clock.now() }),
    events: openEventBus(config),
    owners,
    clock,
    log,
    render: renderMessage,
    answerActions: ({ caseKey, epoch }) =>
      buildAnswerActions({
        caseKey,
        epoch,
        ackBaseUrl,
        ...(key ? { key } : {}),
        expiresAt: new Date(clock.now().getTime() + config.notify.link_ttl_days * 86_400_000),
        out: config.out,
      }),
    ...(fault ? { fault } : {}),
  };
}

/** runDetection over the configured engine, opened only when there are days to evaluate. */
export function engineDetection(
  config: SentinelConfig,
  clock: Clock,
  log: Logger,
  events?: EventBus,
): DetectFn {
  return async (request, store) => {
    const { engine, focus } = await openEngine(config, log);
    try {
      const result = await runDetection(
        { engine, focus, store, clock, log, ...(events ? { events } : {}), ...progressOnTerminal() },
        config,
        request,
      );
      return { ...result, stats: engine.stats(), engine: engine.dialect };
    } finally {
      await engine.close();
    }
  };
}

export async function pipelinePorts(
  config: SentinelConfig,
  clock: Clock,
  log: Logger,
): Promise<PipelinePorts> {
  const notify = await notifyPorts(config, clock, log);
  return { ...notify, detect: engineDetection(config, clock, log, notify.events) };
}
