/**
 * An owner's answer (CLI `ack`, the /ack endpoint's POST), docs/cases.md. A refused answer changes
 * nothing and says why; a recorded one writes and publishes its case event at once.
 */
import { rulesOf } from '../cases/apply.js';
import { type Answer, type CaseRecord, isLive, killSwitchEngaged } from '../cases/model.js';
import { readCase, updateCase } from '../cases/store.js';
import { applyCaseInputs, type CaseInput } from '../cases/transitions.js';
import type { SentinelConfig } from '../config.js';
import { flushCaseEvents } from '../deliver/case-events.js';
import { deliverKillSwitch } from '../deliver/kill-switch.js';
import type { NotifyPorts } from '../deliver/ports.js';
import { silentLogger } from '../log.js';
import {
  type AnswerLinkClaims,
  type AnswerLinkParams,
  AnswerLinkRejectedError,
  type LinkReview,
  verifyAnswerLink,
} from '../notify/answer-links.js';
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
  | {
      status: 'recorded';
      case: CaseRecord;
      transition: string | null;
      /**
       * The answer lifts a stop this case engaged (docs/kill-switch.md "Release"): `released` when it was
       * lifted now, `pending` when the next run or follow-up lifts it (another process was delivering,
       * or lifting failed and is retried); absent when the case had no stop to lift.
       */
      killSwitch?: 'released' | 'pending';
    }
  | { status: 'refused'; message: string; case: CaseRecord | null };

export type AcknowledgePorts = Pick<NotifyPorts, 'store' | 'events' | 'clock'> &
  Partial<Pick<NotifyPorts, 'killSwitch' | 'log'>>;

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
  let fresh = flushed ?? (await readCase(ports.store, request.caseKey))?.record ?? record!;
  const transition = result.event?.detail_type ?? null;
  if (!releaseDue(fresh)) return { status: 'recorded', case: fresh, transition };
  // `stopped` and `legitimate` lift the stop the case engaged, at once when this process can.
  if (ports.killSwitch) {
    const delivered = await deliverKillSwitch(
      { ...ports, killSwitch: ports.killSwitch, log: ports.log ?? silentLogger() },
      config,
      `ack-${request.caseKey}-${ctx.now.getTime()}`,
    );
    fresh = delivered.cases?.find((c) => c.case_key === request.caseKey) ?? fresh;
  }
  return {
    status: 'recorded',
    case: fresh,
    transition,
    killSwitch: releaseDue(fresh) || killSwitchEngaged(fresh) ? 'pending' : 'released',
  };
}

/** A release of the stop this case engaged is still to be carried out. */
const releaseDue = (c: CaseRecord): boolean =>
  c.due.some((d) => d.kind === 'kill-switch' && d.kill_switch?.action === 'release');

/**
 * Checks a link against the signing key and the case as stored: the signature first (a forged link
 * learns nothing about cases), then the case, its epoch and the expiry. Changes nothing.
 */
export async function reviewAnswerLink(
  ports: Pick<AcknowledgePorts, 'store' | 'clock'>,
  params: AnswerLinkParams,
  key: Uint8Array,
): Promise<LinkReview> {
  const now = ports.clock.now();
  let claims: AnswerLinkClaims;
  try {
    claims = verifyAnswerLink(params, { key, now: new Date(0) });
  } catch (error) {
    return invalid(error, null);
  }
  const stored = (await readCase(ports.store, claims.caseKey))?.record ?? null;
  if (!stored) {
    return {
      status: 'invalid',
      problem: 'unknown-case',
      message: `there is no case ${claims.caseKey} in this deployment`,
      hint: 'the case store may have been reset; ask FinOps',
      case: null,
    };
  }
  try {
    claims = verifyAnswerLink(params, { key, now, caseKey: stored.case_key, currentEpoch: stored.epoch });
  } catch (error) {
    return invalid(error, stored);
  }
  if (!isLive(stored.state)) {
    return {
      status: 'invalid',
      problem: 'closed',
      message: `this case is already ${stored.state}${stored.resolved_on ? ` (as of ${stored.resolved_on})` : ''}; no answer is needed`,
      hint: 'if the spend is back, a new email will ask again',
      case: stored,
    };
  }
  return { status: 'valid', claims, case: stored };
}

function invalid(error: unknown, c: CaseRecord | null): LinkReview {
  if (error instanceof AnswerLinkRejectedError) {
    return {
      status: 'invalid',
      problem: error.problem,
      message: error.message,
      hint: error.hint ?? '',
      case: c,
    };
  }
  throw error;
}

/** The POST of a link: reviewed again (nothing trusted from the GET), then recorded. */
export async function acknowledgeByLink(
  ports: AcknowledgePorts,
  config: SentinelConfig,
  input: { params: AnswerLinkParams; key: Uint8Array; note: string | null },
): Promise<{ review: LinkReview; result: AcknowledgeResult | null }> {
  const review = await reviewAnswerLink(ports, input.params, input.key);
  if (review.status !== 'valid') return { review, result: null };
  const result = await acknowledge(ports, config, {
    caseKey: review.claims.caseKey,
    answer: review.claims.answer,
    epoch: review.claims.epoch,
    note: input.note,
    by: 'answer link',
  });
  return { review, result };
}
