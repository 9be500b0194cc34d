/**
 * An owner's answer (CLI `ack`, the /ack endpoint's POST), SPEC §8. A refused answer changes
 * nothing and says why; a recorded one writes and publishes its case event at once.
 */
import { rulesOf } from '../cases/apply.js';
import type { Answer, CaseRecord } from '../cases/model.js';
import { readCase, updateCase } from '../cases/store.js';
import { applyCaseInputs, type CaseInput } from '../cases/transitions.js';
import type { SentinelConfig } from '../config.js';
import { flushCaseEvents } from '../deliver/case-events.js';
import type { NotifyPorts } from '../deliver/ports.js';
import { defaultAsOfDay } from '../runs.js';

export interface AcknowledgeRequest {
  caseKey: string;
  answer: Answer;
  note?: string | null;
  /** The epoch the answer is for (from a link); omitted: the current epoch. */
  epoch?: number | null;
  by?: string | null;
}

export type AcknowledgeResult =
  | { status: 'recorded'; case: CaseRecord; transition: string | null }
  | { status: 'refused'; message: string; case: CaseRecord | null };

export type AcknowledgePorts = Pick<NotifyPorts, 'store' | 'events' | 'clock'>;

export async function acknowledge(
  ports: AcknowledgePorts,
  config: SentinelConfig,
  request: AcknowledgeRequest,
): Promise<AcknowledgeResult> {
  const ctx = { now: ports.clock.now(), rules: rulesOf(config) };
  const input: CaseInput = {
    type: 'answer',
    answer: request.answer,
    note: request.note ?? null,
    by: request.by ?? null,
    epoch: request.epoch ?? null,
    defaultAsOf: defaultAsOfDay(ports.clock, config.export_lag_days),
  };
  const { record, result } = await updateCase(ports.store, request.caseKey, (current) => {
    const { next, applied } = applyCaseInputs(current, [input], ctx);
    const a = applied[0]!;
    return { next: a.changed ? next : null, result: a };
  });
  if (result.refusal) return { status: 'refused', message: result.refusal, case: record };
  const flushed = record ? (await flushCaseEvents(ports, [record])).cases[0] : undefined;
  const fresh = flushed ?? (await readCase(ports.store, request.caseKey))?.record ?? record!;
  return { status: 'recorded', case: fresh, transition: result.event?.detail_type ?? null };
}
