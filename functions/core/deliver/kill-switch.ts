/**
 * The kill switch in the delivery step (docs/kill-switch.md, docs/storage.md "Actions"): the executor that
 * carries out kill-switch items with the action runner's claim → log → act → settle, and the
 * reconciliation that every run, watch and follow-up does before it.
 *
 * A case transition leaves a `check` item when its case opens, re-opens or rises (from a detector the
 * switch listens to, mode not `off`), and a `release` item when a case that engaged the stop closes. The
 * executor decides each check with `decideKillSwitch` (the organization's facts and what is engaged now,
 * read once per step), logs the decision in `kill-switch/actions/<id>.json`, acts (attach, detach, or
 * nothing for a dry run), then settles: the case records `kill_switch` and its `Kill Switch …` event.
 * A crash between attaching and recording leaves the log entry in flight and the item claimed: the next
 * run acts again (engaging is idempotent: the same policy, the same engaged_at) and records it.
 */
import {
  type CaseKillSwitch,
  type CaseRecord,
  caseOwner,
  type DueItem,
  hashId,
  isLive,
} from '../cases/model.js';
import { readAllCases } from '../cases/store.js';
import { killSwitchCaseEvent } from '../cases/transitions.js';
import type { SentinelConfig } from '../config.js';
import { describeError } from '../errors.js';
import {
  decideKillSwitch,
  type EngagedRef,
  type KillSwitchAction,
  type OrganizationFacts,
} from '../kill-switch/decide.js';
import { stopPolicy } from '../kill-switch/policy.js';
import { releaseWords } from '../kill-switch/words.js';
import type { Logger } from '../log.js';
import type { BlobStore, Clock, EngagedAccount, EventBus, KillSwitch, PolicyDocument } from '../ports.js';
import type { Severity } from '../types.js';
import {
  type ActionExecutor,
  ActionRunner,
  type ActionUnit,
  type DueCase,
  type LoggedAction,
} from './actions.js';
import { flushCaseEvents } from './case-events.js';
import { acquireLease, LEASE_KEY, releaseLease } from './lease.js';
import type { FaultPoint } from './ports.js';

export const KILL_SWITCH_LOG_PREFIX = 'kill-switch/actions/';
export const killSwitchLogKey = (id: string): string => `${KILL_SWITCH_LOG_PREFIX}${id}.json`;

type Release = Extract<NonNullable<DueItem['kill_switch']>, { action: 'release' }>;

/** One logged kill-switch action: what was decided for one item of one case, and how acting went. */
export interface KillSwitchEntry extends LoggedAction {
  action_id: string;
  action: Exclude<KillSwitchAction, 'none'>;
  account_id: string;
  case_key: string;
  epoch: number;
  mode: SentinelConfig['kill_switch']['mode'];
  /** The decision's sentence (docs/kill-switch.md "When it engages"). */
  explanation: string;
  change: 'opened' | 'reopened' | 'rose' | null;
  severity: Severity;
  /** Release only: why, and who. */
  cause: Release['cause'] | null;
  by: string | null;
  break_glass_role: string | null;
  /** Engage only: the document attached. */
  policy: PolicyDocument | null;
  status: 'acting' | 'done' | 'failed';
  policy_id: string | null;
  engaged_at: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

export interface KillSwitchStepPorts {
  store: BlobStore;
  killSwitch: KillSwitch;
  log: Logger;
  fault?: (point: FaultPoint) => void;
}

/** The explanation of a release, as the case event, the emails and the CLI say it. */
export function releaseExplanation(cause: Release['cause'], accountId: string, by: string | null): string {
  return `${releaseWords(cause, by)}: Bedrock inference in account ${accountId} is allowed again`;
}

/**
 * The kill-switch executor of the action runner. Planning reads the organization and what is engaged
 * once; each check is decided against what this step has already engaged, so `max_engaged` holds within
 * one run too. A decision of `none` is not logged: the item is cleared and the reason logged.
 */
export const KILL_SWITCH_EXECUTOR = 'kill switch';

export class KillSwitchExecutor implements ActionExecutor<KillSwitchEntry> {
  readonly name = KILL_SWITCH_EXECUTOR;

  constructor(
    private readonly ports: KillSwitchStepPorts,
    private readonly config: SentinelConfig,
    private readonly runner: ActionRunner,
    private readonly now: () => string,
  ) {}

  /** What is engaged now, after reconciliation: the decisions count against it (set before planning). */
  engagedNow: readonly EngagedAccount[] = [];

  handles = (item: DueItem): boolean => item.kind === 'kill-switch';
  idOf = (entry: KillSwitchEntry): string => entry.action_id;

  async read(id: string): Promise<{ entry: KillSwitchEntry; token: string } | undefined> {
    const blob = await this.ports.store.get(killSwitchLogKey(id));
    return blob ? { entry: JSON.parse(blob.body) as KillSwitchEntry, token: blob.version } : undefined;
  }

  create = (entry: KillSwitchEntry): Promise<string> =>
    this.ports.store.put(killSwitchLogKey(entry.action_id), `${JSON.stringify(entry)}\n`, {
      ifNoneMatch: '*',
    });

  write = async (entry: KillSwitchEntry, token: string): Promise<void> => {
    await this.ports.store.put(killSwitchLogKey(entry.action_id), `${JSON.stringify(entry)}\n`, {
      ifMatch: token,
    });
  };

  finished = (entry: KillSwitchEntry): boolean => entry.status === 'done';
  failed = (entry: KillSwitchEntry): boolean => entry.status === 'failed';

  /** An engagement for a case that closed or re-opened meanwhile is moot; a release never is. */
  moot(entry: KillSwitchEntry, cases: ReadonlyMap<string, CaseRecord>): boolean {
    if (entry.action === 'release') return false;
    const c = cases.get(entry.case_key);
    return c === undefined || !isLive(c.state) || c.epoch !== entry.epoch;
  }

  async plan(due: DueCase[]): Promise<ActionUnit<KillSwitchEntry>[]> {
    const ks = this.config.kill_switch;
    const engaged: EngagedRef[] = this.engagedNow.map((e) => ({
      account_id: e.account_id,
      case_key: e.case_key,
    }));
    const checks = due.some((d) => d.items.some((i) => i.kill_switch?.action === 'check'));
    let organization: OrganizationFacts | null = null;
    if (checks) {
      try {
        organization = await this.ports.killSwitch.organization(ks.organizational_units);
      } catch (error) {
        // Emails must still go out: the checks stay due, and the next run or follow-up decides them.
        this.ports.log.warn(
          `the kill switch could not read the organization, so no case engaged it this time; its checks stay due: ${describeError(error)}`,
        );
      }
    }
    const units: ActionUnit<KillSwitchEntry>[] = [];
    const dropped: { caseKey: string; eventIds: string[] }[] = [];
    for (const { record: c, items } of due) {
      for (const item of items) {
        const ask = item.kill_switch;
        if (!ask) continue;
        if (ask.action === 'release') {
          units.push(
            this.unitOf(c, item, 'release', releaseExplanation(ask.cause, c.account_id, ask.by), ask),
          );
          continue;
        }
        if (organization === null) continue;
        const decision = decideKillSwitch({
          config: ks,
          organization,
          engaged,
          case: {
            case_key: c.case_key,
            account_id: c.account_id,
            detector: c.detector,
            severity: c.peak_severity,
            state: c.state,
            change: ask.change,
          },
        });
        if (decision.action === 'none') {
          // Routine (an account not chosen, a severity below the bar): one line per case a run is noise.
          this.ports.log.debug(
            `kill switch: case ${c.case_key} (account ${c.account_id}) does not engage it: ${decision.explanation}`,
          );
          dropped.push({ caseKey: c.case_key, eventIds: [item.event_id] });
          continue;
        }
        if (decision.action === 'engage') engaged.push({ account_id: c.account_id, case_key: c.case_key });
        units.push(this.unitOf(c, item, decision.action, decision.explanation, null, ask.change));
      }
    }
    for (const d of dropped) {
      const ids = new Set(d.eventIds);
      await this.runner.update(d.caseKey, (c) => {
        c.due = c.due.filter(
          (x) => !(ids.has(x.event_id) && x.kind === 'kill-switch' && x.message_id === null),
        );
        return c;
      });
    }
    return units;
  }

  private unitOf(
    c: CaseRecord,
    item: DueItem,
    action: KillSwitchEntry['action'],
    explanation: string,
    release: Release | null,
    change: KillSwitchEntry['change'] = null,
  ): ActionUnit<KillSwitchEntry> {
    const ks = this.config.kill_switch;
    const now = this.now();
    const id = hashId('kill-switch', c.case_key, String(c.epoch), item.event_id, action);
    return {
      id,
      entry: {
        action_id: id,
        action,
        account_id: c.account_id,
        case_key: c.case_key,
        epoch: c.epoch,
        mode: ks.mode,
        explanation,
        change,
        severity: c.peak_severity,
        cause: release?.cause ?? null,
        by: release?.by ?? null,
        break_glass_role: ks.break_glass_role,
        policy: action === 'engage' ? stopPolicy({ break_glass_role: ks.break_glass_role }) : null,
        status: 'acting',
        policy_id: null,
        engaged_at: null,
        error: null,
        attempts: 0,
        created_at: now,
        updated_at: now,
        cases: [{ case_key: c.case_key, epoch: c.epoch, event_ids: [item.event_id] }],
      },
    };
  }

  async act(entry: KillSwitchEntry): Promise<KillSwitchEntry> {
    const { killSwitch, fault, log } = this.ports;
    let next: KillSwitchEntry;
    try {
      if (entry.action === 'engage') {
        const engaged = await killSwitch.engage({
          account_id: entry.account_id,
          case_key: entry.case_key,
          reason: entry.explanation,
          policy: entry.policy ?? stopPolicy({ break_glass_role: entry.break_glass_role }),
        });
        fault?.('after-kill-switch-act');
        next = { ...entry, status: 'done', ...engaged, error: null };
      } else if (entry.action === 'release') {
        await killSwitch.release({ account_id: entry.account_id });
        fault?.('after-kill-switch-act');
        next = { ...entry, status: 'done', error: null };
      } else {
        // would-engage (dry-run) and escalate-instead act on nothing but the case.
        next = { ...entry, status: 'done', error: null };
      }
    } catch (failure) {
      const message = describeError(failure);
      log.warn(
        `kill switch: ${entry.action} of account ${entry.account_id} (case ${entry.case_key}) failed, will retry: ${message}`,
      );
      next = { ...entry, status: 'failed', error: message };
    }
    return { ...next, attempts: entry.attempts + 1, updated_at: this.now() };
  }

  settle(entry: KillSwitchEntry, c: CaseRecord, ref: KillSwitchEntry['cases'][number]): CaseRecord {
    const ids = new Set(ref.event_ids);
    // Settled once: a second settle (a rerun that finds the entry done) finds its items gone.
    if (!c.due.some((d) => ids.has(d.event_id) && d.kind === 'kill-switch')) return c;
    c.due = c.due.filter((d) => !(ids.has(d.event_id) && d.kind === 'kill-switch'));
    if (entry.status !== 'done') return c;
    recordAction(c, entry, new Date(entry.updated_at));
    return c;
  }
}

/** What settling a done action writes on its case: the `kill_switch` record and its case event. */
function recordAction(c: CaseRecord, entry: KillSwitchEntry, at: Date): void {
  const base: CaseKillSwitch = {
    status: 'engaged',
    epoch: entry.epoch,
    at: at.toISOString(),
    policy_id: entry.policy_id,
    engaged_at: entry.engaged_at,
    explanation: entry.explanation,
    change: entry.change,
    severity: entry.severity,
    break_glass_role: entry.break_glass_role,
    released_at: null,
    released_by: null,
    released_by_whom: null,
  };
  const detail = (over: Partial<NonNullable<CaseRecord['kill_switch']>> = {}) => ({
    mode: entry.mode,
    policy_id: over.policy_id ?? entry.policy_id,
    engaged_at: over.engaged_at ?? entry.engaged_at,
    explanation: entry.explanation,
    released_by: entry.cause,
    reconciled: false,
  });
  switch (entry.action) {
    case 'engage':
      c.kill_switch = base;
      killSwitchCaseEvent(c, 'Kill Switch Engaged', detail(), at);
      return;
    case 'would-engage':
      c.kill_switch = { ...base, status: 'would-engage', policy_id: null, engaged_at: null };
      killSwitchCaseEvent(c, 'Kill Switch Would Engage', detail(), at);
      return;
    case 'escalate-instead':
      c.kill_switch = { ...base, status: 'escalated', policy_id: null, engaged_at: null };
      // FinOps gets the case as an escalation instead (docs/kill-switch.md "When it engages").
      if (isLive(c.state)) {
        c.due.push({
          event_id: hashId('kill-switch-escalation', c.case_key, String(c.epoch)),
          kind: 'escalation',
          raised: false,
          message_id: null,
        });
      }
      return;
    case 'release': {
      const held = c.kill_switch;
      if (held?.status !== 'engaged') return;
      c.kill_switch = {
        ...held,
        status: 'released',
        released_at: at.toISOString(),
        released_by: entry.cause,
        released_by_whom: entry.by,
      };
      killSwitchCaseEvent(
        c,
        'Kill Switch Released',
        detail({ policy_id: held.policy_id, engaged_at: held.engaged_at }),
        at,
      );
      return;
    }
  }
}

/** Every case with an unclaimed kill-switch item, closed ones included (a release is due on a closed case). */
export function killSwitchDueCases(runner: ActionRunner, finops: string) {
  return (handles: (d: DueItem) => boolean): DueCase[] =>
    runner
      .snapshot()
      .map((record) => ({
        record,
        owner: caseOwner(record, finops),
        items: record.due.filter((d) => d.message_id === null && handles(d)),
      }))
      .filter((d) => d.items.length > 0);
}

/**
 * Brings the cases in line with what is attached (docs/kill-switch.md "Release"): a stop of ours on an
 * account whose case does not record it is recorded (or released, when its case is closed or gone); a
 * stop a case records but that is no longer attached is recorded as released. Runs after the claimed
 * items are finished, so an engagement a crash interrupted is recorded by its own unit, not here.
 */
export async function reconcileKillSwitch(
  runner: ActionRunner,
  ports: KillSwitchStepPorts,
  config: SentinelConfig,
  engaged: readonly EngagedAccount[],
  now: Date,
): Promise<EngagedAccount[]> {
  const { killSwitch, log } = ports;
  const still: EngagedAccount[] = [];
  const cases = runner.casesByKey();
  const detail = (
    e: Pick<EngagedAccount, 'policy_id' | 'engaged_at'>,
    explanation: string,
    cause: Release['cause'] | null,
  ) => ({
    mode: config.kill_switch.mode,
    policy_id: e.policy_id,
    engaged_at: e.engaged_at,
    explanation,
    released_by: cause,
    reconciled: true,
  });
  for (const e of engaged) {
    const c = cases.get(e.case_key);
    const releaseDue = c?.due.some((d) => d.kind === 'kill-switch' && d.kill_switch?.action === 'release');
    if (c && isLive(c.state)) {
      still.push(e);
      if (c.kill_switch?.status === 'engaged' && c.kill_switch.policy_id === e.policy_id) continue;
      log.warn(
        `kill switch: account ${e.account_id} is stopped (${e.policy_id}) for case ${e.case_key}, which did not record it; recorded now`,
      );
      const explanation = `the stop policy ${e.policy_id} is attached to account ${e.account_id} for this case: Bedrock inference there is denied until a person answers`;
      await runner.update(c.case_key, (cur) => {
        cur.kill_switch = {
          status: 'engaged',
          epoch: cur.epoch,
          at: now.toISOString(),
          policy_id: e.policy_id,
          engaged_at: e.engaged_at || now.toISOString(),
          explanation,
          change: null,
          severity: cur.peak_severity,
          break_glass_role: config.kill_switch.break_glass_role,
          released_at: null,
          released_by: null,
          released_by_whom: null,
        };
        killSwitchCaseEvent(cur, 'Kill Switch Engaged', detail(e, explanation, null), now);
        return cur;
      });
      continue;
    }
    // The case closed (its release is due: the executor lifts it), or the store does not hold it.
    if (releaseDue) {
      still.push(e);
      continue;
    }
    log.warn(
      c
        ? `kill switch: account ${e.account_id} is still stopped for case ${e.case_key}, which is ${c.state}; releasing it`
        : `kill switch: account ${e.account_id} is stopped (${e.policy_id}) for case ${e.case_key}, which the case store does not hold; releasing it`,
    );
    try {
      await killSwitch.release({ account_id: e.account_id });
    } catch (error) {
      log.warn(
        `kill switch: releasing account ${e.account_id} failed; the next run tries again: ${describeError(error)}`,
      );
      still.push(e);
      continue;
    }
    if (c) {
      const cause = c.state === 'suppressed' ? 'case-suppressed' : 'case-resolved';
      const explanation = releaseExplanation(cause, e.account_id, null);
      await runner.update(c.case_key, (cur) => {
        cur.kill_switch = cur.kill_switch
          ? {
              ...cur.kill_switch,
              status: 'released',
              released_at: now.toISOString(),
              released_by: cause,
              released_by_whom: null,
            }
          : null;
        killSwitchCaseEvent(cur, 'Kill Switch Released', detail(e, explanation, cause), now);
        return cur;
      });
    }
  }
  const attached = new Map(engaged.map((e) => [e.account_id, e]));
  for (const c of runner.snapshot()) {
    const held = c.kill_switch;
    if (held?.status !== 'engaged') continue;
    if (attached.get(c.account_id)?.case_key === c.case_key) continue;
    if (c.due.some((d) => d.kind === 'kill-switch' && d.kill_switch?.action === 'release')) continue;
    log.warn(
      `kill switch: case ${c.case_key} records a stop on account ${c.account_id} that is no longer attached; recorded as released`,
    );
    const explanation = releaseExplanation('policy-gone', c.account_id, null);
    await runner.update(c.case_key, (cur) => {
      if (cur.kill_switch?.status !== 'engaged') return cur;
      const was = cur.kill_switch;
      cur.kill_switch = {
        ...was,
        status: 'released',
        released_at: now.toISOString(),
        released_by: 'policy-gone',
        released_by_whom: null,
      };
      killSwitchCaseEvent(
        cur,
        'Kill Switch Released',
        detail(
          { policy_id: was.policy_id ?? '', engaged_at: was.engaged_at ?? '' },
          explanation,
          'policy-gone',
        ),
        now,
      );
      return cur;
    });
  }
  return still;
}

/**
 * The delivery step's kill-switch part (docs/kill-switch.md): finish what a crash interrupted, reconcile
 * with what is attached, then decide and carry out what the transitions made due. A kill switch that
 * cannot be read is logged and left to the next run: it never holds back the emails.
 */
export async function runKillSwitchStep(
  runner: ActionRunner,
  ports: KillSwitchStepPorts,
  config: SentinelConfig,
  now: () => string,
): Promise<KillSwitchExecutor> {
  const executor = new KillSwitchExecutor(ports, config, runner, now);
  await runner.resumeClaimed([executor as ActionExecutor<LoggedAction>]);
  let engaged: EngagedAccount[];
  try {
    engaged = await ports.killSwitch.engaged();
  } catch (error) {
    ports.log.warn(
      `the kill switch could not list the stopped accounts (${ports.killSwitch.describe()}); nothing engages or releases this time: ${describeError(error)}`,
    );
    return executor;
  }
  executor.engagedNow = await reconcileKillSwitch(runner, ports, config, engaged, new Date(now()));
  await runner.runNew(
    [executor as ActionExecutor<LoggedAction>],
    killSwitchDueCases(runner, config.notify.finops),
  );
  return executor;
}

export interface KillSwitchDeliveryReport {
  leaseTaken: boolean;
  actions: KillSwitchEntry[];
  cases: CaseRecord[] | null;
}

/**
 * The kill-switch part of delivery on its own, under the notify lease (docs/storage.md): for the answer
 * endpoint and `ack` (a `stopped` or `legitimate` answer lifts the stop at once) and FinOps's release.
 * Without the lease (a run or follow-up is delivering), the item stays due and that run or the next
 * follow-up carries it out.
 */
export async function deliverKillSwitch(
  ports: KillSwitchStepPorts & { events: EventBus; clock: Clock },
  config: SentinelConfig,
  holder: string,
): Promise<KillSwitchDeliveryReport> {
  const { store, clock } = ports;
  if (!(await acquireLease(store, clock, holder))) {
    ports.log.info(
      `another process holds the notify lease (${store.describe(LEASE_KEY)}); the kill switch is left to it or to the next follow-up`,
    );
    return { leaseTaken: false, actions: [], cases: null };
  }
  try {
    const flushed = await flushCaseEvents(ports, await readAllCases(store));
    const now = () => clock.now().toISOString();
    const runner = new ActionRunner(
      { store, now, ...(ports.fault ? { fault: ports.fault } : {}) },
      flushed.cases,
    );
    const executor = await runKillSwitchStep(runner, ports, config, now);
    const late = await flushCaseEvents(ports, runner.snapshot());
    return {
      leaseTaken: true,
      actions: runner.outcomes
        .filter((o) => o.executor === executor.name)
        .map((o) => o.entry as KillSwitchEntry),
      cases: late.cases,
    };
  } finally {
    await releaseLease(store, holder);
  }
}
