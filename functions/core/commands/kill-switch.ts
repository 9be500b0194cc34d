/**
 * `sentinel kill-switch status | release | policy` and the digest's release link (docs/kill-switch.md,
 * docs/cli.md): what is engaged, FinOps lifting a stop, and the document the switch would attach.
 */
import { type CaseRecord, hashId, killSwitchEngaged } from '../cases/model.js';
import { readAllCases, updateCase } from '../cases/store.js';
import type { SentinelConfig } from '../config.js';
import { deliverKillSwitch, type KillSwitchEntry, type KillSwitchStepPorts } from '../deliver/kill-switch.js';
import { BadInputError } from '../errors.js';
import { stopPolicy, stopPolicyName } from '../kill-switch/policy.js';
import {
  type AnswerLinkParams,
  AnswerLinkRejectedError,
  type ReleaseLinkClaims,
  verifyReleaseLink,
} from '../notify/answer-links.js';
import type { Clock, EngagedAccount, EventBus, PolicyDocument } from '../ports.js';

export type KillSwitchCommandPorts = KillSwitchStepPorts & { events: EventBus; clock: Clock };

/** One stopped account as `status` lists it: what the transport holds, and the case that engaged it. */
export interface KillSwitchStatusRow extends EngagedAccount {
  /** The case as stored (null: the store does not hold it; the next run releases the stop). */
  case: Pick<CaseRecord, 'case_key' | 'state' | 'account_name' | 'detector' | 'kind' | 'epoch'> | null;
}

export async function killSwitchStatus(
  ports: Pick<KillSwitchStepPorts, 'store' | 'killSwitch'>,
): Promise<KillSwitchStatusRow[]> {
  const engaged = await ports.killSwitch.engaged();
  const cases = new Map((await readAllCases(ports.store)).map((c) => [c.case_key, c]));
  return engaged.map((e) => {
    const c = cases.get(e.case_key);
    return {
      ...e,
      case: c
        ? {
            case_key: c.case_key,
            state: c.state,
            account_name: c.account_name,
            detector: c.detector,
            kind: c.kind,
            epoch: c.epoch,
          }
        : null,
    };
  });
}

/** The document the switch attaches (the same for every account), and the name it would carry. */
export function killSwitchPolicy(
  config: SentinelConfig,
  accountId: string,
): { name: string; document: PolicyDocument } {
  requireAccountId(accountId);
  return {
    name: stopPolicyName(accountId),
    document: stopPolicy({ break_glass_role: config.kill_switch.break_glass_role }),
  };
}

export interface ReleaseRequest {
  accountId: string;
  /** `finops-cli` (the command) or `finops-link` (the digest's signed link). */
  cause: 'finops-cli' | 'finops-link';
  by: string | null;
  /** The link names the case it was issued for: a stop engaged since for another case is not its to lift. */
  caseKey?: string;
}

export type ReleaseResult =
  | { status: 'released'; accountId: string; caseKey: string | null; action: KillSwitchEntry | null }
  | { status: 'pending'; accountId: string; caseKey: string | null; reason: string }
  | { status: 'not-engaged'; accountId: string; caseKey: string | null };

/**
 * FinOps lifts a stop (docs/kill-switch.md "Release"): a release item on the case that engaged it, carried
 * out with the action runner like any other (`Kill Switch Released` on the case and the bus). A stop whose
 * case the store does not hold is released directly.
 */
export async function releaseKillSwitch(
  ports: KillSwitchCommandPorts,
  config: SentinelConfig,
  request: ReleaseRequest,
): Promise<ReleaseResult> {
  requireAccountId(request.accountId);
  const accountId = request.accountId;
  const attached = (await ports.killSwitch.engaged()).find((e) => e.account_id === accountId);
  const cases = await readAllCases(ports.store);
  const holder =
    cases.find((c) => c.case_key === attached?.case_key) ??
    cases.find((c) => c.account_id === accountId && killSwitchEngaged(c));
  if (request.caseKey && (holder?.case_key ?? attached?.case_key) !== request.caseKey) {
    return { status: 'not-engaged', accountId, caseKey: request.caseKey };
  }
  if (!attached && !holder) return { status: 'not-engaged', accountId, caseKey: null };
  if (!holder) {
    // A stop no case records: nobody could answer it, so it is lifted here and now.
    await ports.killSwitch.release({ account_id: accountId });
    return { status: 'released', accountId, caseKey: attached?.case_key ?? null, action: null };
  }
  const eventId = hashId(
    'kill-switch-release',
    holder.case_key,
    holder.kill_switch?.engaged_at ?? attached?.engaged_at ?? '',
  );
  await updateCase(ports.store, holder.case_key, (c) => {
    if (!c || c.due.some((d) => d.event_id === eventId)) return { next: null, result: null };
    c.due.push({
      event_id: eventId,
      kind: 'kill-switch',
      raised: false,
      message_id: null,
      kill_switch: { action: 'release', cause: request.cause, by: request.by },
    });
    return { next: c, result: null };
  });
  const delivered = await deliverKillSwitch(
    ports,
    config,
    `kill-switch-release-${accountId}-${ports.clock.now().getTime()}`,
  );
  const action =
    delivered.actions.find((a) => a.case_key === holder.case_key && a.action === 'release') ?? null;
  if (!delivered.leaseTaken) {
    return {
      status: 'pending',
      accountId,
      caseKey: holder.case_key,
      reason: 'another run or follow-up is delivering; it, or the next follow-up, lifts the stop',
    };
  }
  if (action?.status !== 'done') {
    return {
      status: 'pending',
      accountId,
      caseKey: holder.case_key,
      reason: action?.error ?? 'the release did not run; the next run or follow-up tries again',
    };
  }
  return { status: 'released', accountId, caseKey: holder.case_key, action };
}

function requireAccountId(accountId: string): void {
  if (!/^\d{12}$/.test(accountId)) {
    throw new BadInputError(`--account '${accountId}' is not an AWS account id`, {
      hint: 'pass the 12 digits of the account, as sentinel kill-switch status lists it',
    });
  }
}

/** A release link checked against the key and what is attached now (the /ack GET: changes nothing). */
export type ReleaseLinkReview =
  | { status: 'valid'; claims: ReleaseLinkClaims; since: string; case: CaseRecord | null }
  | {
      status: 'invalid';
      problem: AnswerLinkRejectedError['problem'] | 'not-engaged' | 'off';
      message: string;
      hint: string;
    };

export async function reviewReleaseLink(
  ports: {
    store: KillSwitchStepPorts['store'];
    clock: Clock;
    killSwitch?: KillSwitchStepPorts['killSwitch'];
  },
  params: AnswerLinkParams,
  key: Uint8Array,
): Promise<ReleaseLinkReview> {
  let claims: ReleaseLinkClaims;
  try {
    claims = verifyReleaseLink(params, { key, now: ports.clock.now() });
  } catch (error) {
    if (!(error instanceof AnswerLinkRejectedError)) throw error;
    return { status: 'invalid', problem: error.problem, message: error.message, hint: error.hint ?? '' };
  }
  if (!ports.killSwitch) {
    return {
      status: 'invalid',
      problem: 'off',
      message: 'the kill switch is off in this deployment: there is no stop to lift from here',
      hint: 'lift a stop left from before by hand (docs/kill-switch.md "Releasing by hand")',
    };
  }
  const attached = (await ports.killSwitch.engaged()).find((e) => e.account_id === claims.accountId);
  if (!attached || attached.case_key !== claims.caseKey) {
    return {
      status: 'invalid',
      problem: 'not-engaged',
      message: `account ${claims.accountId} is not stopped for case ${claims.caseKey} (any more): nothing to lift`,
      hint: 'sentinel kill-switch status lists what is stopped now',
    };
  }
  const c = (await readAllCases(ports.store)).find((x) => x.case_key === claims.caseKey) ?? null;
  return { status: 'valid', claims, since: attached.engaged_at, case: c };
}

/** The POST of a release link: checked again (nothing trusted from the GET), then released as FinOps. */
export async function releaseByLink(
  ports: Partial<Pick<KillSwitchCommandPorts, 'killSwitch'>> & Omit<KillSwitchCommandPorts, 'killSwitch'>,
  config: SentinelConfig,
  input: { params: AnswerLinkParams; key: Uint8Array },
): Promise<{ review: ReleaseLinkReview; result: ReleaseResult | null }> {
  const review = await reviewReleaseLink(ports, input.params, input.key);
  if (review.status !== 'valid' || !ports.killSwitch) return { review, result: null };
  const result = await releaseKillSwitch({ ...ports, killSwitch: ports.killSwitch }, config, {
    accountId: review.claims.accountId,
    caseKey: review.claims.caseKey,
    cause: 'finops-link',
    by: 'release link',
  });
  return { review, result };
}
