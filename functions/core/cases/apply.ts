/**
 * Applying a step's inputs to the case store: each case's inputs of this run in one conditional
 * write per case (re-applied on conflict), and what the terminal summary shows of each case.
 */
import type { SentinelConfig } from '../config.js';
import { daysBetween } from '../dates.js';
import { caseDetectorOf, episodeBand } from '../detect/registry.js';
import type { Logger } from '../log.js';
import type { BlobStore, Clock, OwnerDirectory } from '../ports.js';
import type { DetectorId, Finding, IsoDate } from '../types.js';
import { episodeFigures } from './episode.js';
import { accountNameFor, type CaseRecord, caseOwner, isLive } from './model.js';
import { updateCase } from './store.js';
import { applyCaseInputs, type CaseInput, type CaseRules } from './transitions.js';

/** One line of the terminal summary: a case this step touched. */
export interface CaseSummary {
  caseKey: string;
  accountId: string;
  accountName: string;
  detector: DetectorId;
  kind: Finding['kind'];
  model: string | null;
  state: CaseRecord['state'];
  epoch: number;
  firstAsOf: IsoDate;
  lastAsOf: IsoDate;
  severity: Finding['severity'];
  latestDailyUsd: number;
  ownerEmail: string | null;
  routed: boolean | null;
  transitions: string[];
}

export interface TransitionOutcome {
  summaries: CaseSummary[];
  counts: Record<string, number>;
  /** Every case as this step left it. */
  cases: CaseRecord[];
}

export const rulesOf = (config: SentinelConfig): CaseRules => ({
  followUpHours: config.notify.follow_up_hours,
  autoResolveDays: config.cases.auto_resolve_days,
  suppressDays: config.cases.suppress_days,
  resuppressGrowth: config.cases.resuppress_growth,
  band: episodeBand(config),
  killSwitch: config.kill_switch.mode === 'off' ? null : { detectors: config.kill_switch.detectors },
});

export function summarize(c: CaseRecord, finops: string, transitions: string[]): CaseSummary {
  const owner = caseOwner(c, finops);
  const figures = episodeFigures(c);
  return {
    caseKey: c.case_key,
    accountId: c.account_id,
    accountName: accountNameFor(c, owner),
    detector: c.detector,
    kind: c.kind,
    model: c.model,
    state: c.state,
    epoch: c.epoch,
    firstAsOf: c.first_as_of,
    lastAsOf: c.last_as_of,
    // What the emails show (docs/emails.md "The episode"), not the detector's 3-day mean.
    severity: figures.severity,
    latestDailyUsd: figures.latest_daily_usd,
    ownerEmail: owner.ownerEmail,
    routed: owner.routed,
    transitions,
  };
}

export async function applyTransitions(
  ports: { store: BlobStore; clock: Clock; owners: OwnerDirectory; log?: Logger },
  config: SentinelConfig,
  inputsFor: (c: CaseRecord | null, caseKey: string) => CaseInput[],
  caseKeys: string[],
): Promise<TransitionOutcome> {
  const kept = new Set<string>();
  const ctx = { now: ports.clock.now(), rules: rulesOf(config) };
  const counts: Record<string, number> = {};
  const summaries: CaseSummary[] = [];
  const cases: CaseRecord[] = [];
  for (const key of caseKeys) {
    const { record, result } = await updateCase(ports.store, key, (current) => {
      const inputs = [...routeInputs(current, ports.owners), ...inputsFor(current, key)];
      const { next, applied } = applyCaseInputs(current, inputs, ctx);
      const events = applied.flatMap((a) => (a.event ? [a.event.detail_type] : []));
      const changed = applied.some((a) => a.changed);
      return {
        next: changed ? next : null,
        result: { events, touched: inputs.some((i) => i.type === 'finding') },
      };
    });
    for (const e of result.events) counts[e] = (counts[e] ?? 0) + 1;
    if (record) cases.push(record);
    if (record && keepsOwnerDespiteMapping(record, ports.owners)) kept.add(record.account_id);
    if (record && (result.events.length > 0 || result.touched))
      summaries.push(summarize(record, config.notify.finops, result.events));
  }
  for (const account of [...kept].sort()) {
    ports.log?.warn(
      `owners mapping lacks account ${account}: its cases keep the owner they were opened with; add the account to the owners file`,
    );
  }
  return { summaries, counts, cases };
}

/** With a mapping that has the account, the mapping's owner is applied to the case first (docs/emails.md). */
function routeInputs(c: CaseRecord | null, owners: OwnerDirectory): CaseInput[] {
  if (c === null || !owners.configured) return [];
  const owner = owners.lookup(c.account_id);
  return owner.routed ? [{ type: 'route', owner }] : [];
}

/** A live case kept on its mapped owner although the given mapping lacks the account (warned). */
function keepsOwnerDespiteMapping(c: CaseRecord, owners: OwnerDirectory): boolean {
  return owners.configured && isLive(c.state) && c.routed === true && !owners.lookup(c.account_id).routed;
}

/** Each finding of the run as a case input, in as-of order, grouped by case. */
export function findingInputs(
  findings: Finding[],
  owners: OwnerDirectory,
  runId: string,
  mayOpen: (finding: Finding) => boolean,
): Map<string, CaseInput[]> {
  const byCase = new Map<string, CaseInput[]>();
  const sorted = [...findings].sort(
    (a, b) => a.as_of.localeCompare(b.as_of) || a.finding_id.localeCompare(b.finding_id),
  );
  for (const f of sorted) {
    const list = byCase.get(f.case_key) ?? [];
    list.push({
      type: 'finding',
      finding: f,
      mayOpen: mayOpen(f),
      runId,
      owner: owners.lookup(f.account_id),
    });
    byCase.set(f.case_key, list);
  }
  // docs/emails.md: the run that opens a case counts every finding of it, also days too old to open one alone.
  for (const list of byCase.values()) {
    if (list.some((i) => i.type === 'finding' && i.mayOpen)) {
      for (const i of list) if (i.type === 'finding') i.mayOpen = true;
    }
  }
  return byCase;
}

/** Live cases FinOps owns because no owner is mapped for their account (docs/emails.md). */
export function unroutableCases(cases: CaseRecord[]): string[] {
  return cases.filter((c) => isLive(c.state) && c.routed !== true).map((c) => c.case_key);
}

/** docs/cases.md row 1: a catch-up day, or within notify_max_age_days of the default as-of day. */
export function mayOpenOn(
  asOf: IsoDate,
  input: { defaultAsOf: IsoDate; lastEvaluated: IsoDate | null; notifyMaxAgeDays: number },
): boolean {
  if (input.lastEvaluated !== null && asOf > input.lastEvaluated) return true;
  return daysBetween(asOf, input.defaultAsOf) <= input.notifyMaxAgeDays;
}

/** Accounts with a runaway case answered `stopped` in the last 45 days lose the recurring exemption. */
export function recentlyStoppedAccounts(cases: CaseRecord[], now: Date): string[] {
  const since = now.getTime() - 45 * 86_400_000;
  const accounts = cases
    .filter((c) => caseDetectorOf(c.detector).stoppedLiftsRecurringExemption)
    .filter((c) => c.answers.some((a) => a.answer === 'stopped' && Date.parse(a.at) >= since))
    .map((c) => c.account_id);
  return [...new Set(accounts)].sort();
}
