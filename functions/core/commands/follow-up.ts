/**
 * The hourly follow-up (docs/cases.md): one step per case at most (deadlines, suppression expiry), then
 * resend what is due or failed. No digest: FinOps is in copy of reminders and escalations.
 */
import { applyTransitions, type CaseSummary, unroutableCases } from '../cases/apply.js';
import { listCaseKeys } from '../cases/store.js';
import type { SentinelConfig } from '../config.js';
import { type DeliveryReport, deliverDue, deliveryCounts } from '../deliver/deliver.js';
import type { NotifyPorts } from '../deliver/ports.js';
import { describeError } from '../errors.js';
import { alertRunTrouble } from '../health.js';
import {
  baseRecord,
  finishRecord,
  newRunId,
  type RunRecord,
  recordFailure,
  writeRunRecord,
} from '../runs.js';
import { runLog } from '../warnings.js';

export interface FollowUpRequest {
  runId?: string;
}

export interface FollowUpResult {
  run: RunRecord;
  cases: CaseSummary[];
  delivery: DeliveryReport;
}

export async function followUp(
  basePorts: NotifyPorts,
  config: SentinelConfig,
  request: FollowUpRequest = {},
): Promise<FollowUpResult> {
  const log = runLog(basePorts.log);
  const ports = { ...basePorts, log };
  const started = ports.clock.now();
  const runId = request.runId ?? newRunId(ports.clock, 'follow-up');
  let record = baseRecord({ command: 'follow-up', runId, started, engine: config.engine, dryRun: false });
  try {
    const transitions = await applyTransitions(
      ports,
      config,
      (current) => (current ? [{ type: 'expiry' }, { type: 'deadline' }] : []),
      await listCaseKeys(ports.store),
    );
    ports.fault?.('after-transitions');
    const delivery = await deliverDue(ports, config, { holder: runId, digestAsOf: null });
    record = finishRecord(
      {
        ...record,
        counts: { ...transitions.counts, ...deliveryCounts(delivery) },
        unroutable_cases: unroutableCases(delivery.cases ?? transitions.cases),
      },
      ports.clock,
      log.warnings,
    );
    await writeRunRecord(ports.store, record);
    // A run alert whose send failed is retried here, still once per condition.
    await alertRunTrouble(ports, config);
    return { run: record, cases: transitions.summaries, delivery };
  } catch (error) {
    record = finishRecord(
      { ...record, outcome: 'failed', error: describeError(error) },
      ports.clock,
      log.warnings,
    );
    await recordFailure(ports, record, { completed: false });
    throw error;
  }
}
