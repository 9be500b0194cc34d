/**
 * Which case engages or releases which account (docs/kill-switch.md "When it engages", "Release"). Pure: the
 * configuration, the organization's facts (read by the adapter, never fetched here), the accounts engaged now
 * and one case in; one decision out, with a reason code and a sentence for the case event and the emails.
 *
 * Engage: a case of an eligible account (`accounts`, or under `organizational_units`, minus
 * `exclude_accounts`; never the management account — SCPs do not apply there — nor the deployment's own
 * account) that opened, re-opened or rose, from a detector in `detectors` (cache-miss never), at
 * `min_severity` or above. At most `max_engaged` accounts at once: past that FinOps gets the case as an
 * escalation instead. `dry-run` says what `enforce` would do.
 * Release: the case that engaged the account is closed (answered `stopped` → resolved, `legitimate` →
 * suppressed, auto-resolved, expired) — in every mode, so turning the switch off never strands a stop.
 * `investigating` leaves the case live and the stop in place.
 */
import type { KillSwitchConfig } from '../config.js';
import type { Severity } from '../types.js';

/** A case's state (docs/cases.md); closed states release. */
export type KillSwitchCaseState =
  | 'open'
  | 'reminded'
  | 'escalated'
  | 'acknowledged'
  | 'resolved'
  | 'suppressed';

const CLOSED: ReadonlySet<KillSwitchCaseState> = new Set(['resolved', 'suppressed']);

/** Detectors that never engage, whatever the configuration says (a cache miss costs money but is not a loop). */
export const NEVER_ENGAGES: ReadonlySet<string> = new Set(['cache-miss']);

const SEVERITY_ORDER: Record<Severity, number> = { medium: 1, high: 2, critical: 3 };

/** The case as its latest transition left it. */
export interface KillSwitchCase {
  case_key: string;
  account_id: string;
  detector: string;
  /** The epoch's peak severity. */
  severity: Severity;
  state: KillSwitchCaseState;
  /**
   * What this transition did to the case: `opened` (epoch 1), `reopened` (a new epoch), `rose` (severity above
   * the epoch's peak), or null for anything else (a finding that changed nothing, an answer, a reminder).
   */
  change: 'opened' | 'reopened' | 'rose' | null;
}

/** What the organization looks like, as the adapter read it (docs/kill-switch.md "Eligibility"). */
export interface OrganizationFacts {
  /** The organization's management account; null when unknown (the local transport has no organization). */
  management_account_id: string | null;
  /** The account the deployment runs in; null when unknown. */
  own_account_id: string | null;
  /** The accounts under each configured organizational unit, nested units included; a unit not read is absent. */
  ou_accounts: Record<string, readonly string[]>;
}

export interface EngagedRef {
  account_id: string;
  case_key: string;
}

export type KillSwitchAction = 'engage' | 'would-engage' | 'escalate-instead' | 'release' | 'none';

export type KillSwitchReason =
  // engage, would-engage
  | 'qualifying-case'
  // escalate-instead
  | 'max-engaged'
  // release
  | 'case-closed'
  // none
  | 'mode-off'
  | 'no-qualifying-change'
  | 'detector-not-enabled'
  | 'below-min-severity'
  | 'organization-unknown'
  | 'management-account'
  | 'own-account'
  | 'excluded-account'
  | 'not-eligible'
  | 'ou-membership-unknown'
  | 'already-engaged'
  | 'engaged-for-another-case'
  | 'not-engaged';

export interface KillSwitchDecision {
  action: KillSwitchAction;
  account_id: string;
  case_key: string;
  reason: KillSwitchReason;
  /** One sentence a person reads in the case event, the owner alert and the digest. */
  explanation: string;
}

export interface DecideInput {
  config: KillSwitchConfig;
  organization: OrganizationFacts;
  engaged: readonly EngagedRef[];
  case: KillSwitchCase;
}

/**
 * The start-time refusal that needs the organization (docs/kill-switch.md "When it engages"): the management
 * account (SCPs do not apply there) or the deployment's own account listed in `kill_switch.accounts` is a
 * configuration that could stop the wrong thing, so it is refused naming the key, not silently skipped.
 */
export function accountsListedWrongly(
  config: Pick<KillSwitchConfig, 'mode' | 'accounts'>,
  facts: Pick<OrganizationFacts, 'management_account_id' | 'own_account_id'>,
): string | null {
  if (config.mode === 'off') return null;
  for (const [id, what] of [
    [facts.own_account_id, "the deployment's own account"],
    [facts.management_account_id, "the organization's management account (SCPs do not apply there)"],
  ] as const) {
    if (id !== null && config.accounts.includes(id)) {
      return `${id} is ${what}: the kill switch never stops it; take it out of kill_switch.accounts`;
    }
  }
  return null;
}

export function decideKillSwitch(input: DecideInput): KillSwitchDecision {
  const { config, organization, engaged } = input;
  const c = input.case;
  const decision = (action: KillSwitchAction, reason: KillSwitchReason, explanation: string) => ({
    action,
    account_id: c.account_id,
    case_key: c.case_key,
    reason,
    explanation,
  });
  const holding = engaged.find((e) => e.account_id === c.account_id);

  if (CLOSED.has(c.state)) {
    if (!holding) return decision('none', 'not-engaged', `account ${c.account_id} is not stopped`);
    if (holding.case_key !== c.case_key) {
      return decision(
        'none',
        'engaged-for-another-case',
        `account ${c.account_id} stays stopped: case ${holding.case_key} engaged it and is not closed by this one`,
      );
    }
    return decision(
      'release',
      'case-closed',
      `case ${c.state === 'resolved' ? 'resolved' : 'suppressed'}: Bedrock inference in account ${c.account_id} is allowed again`,
    );
  }

  if (config.mode === 'off') return decision('none', 'mode-off', 'the kill switch is off');
  if (c.change === null) {
    return decision(
      'none',
      'no-qualifying-change',
      'the case did not open, re-open or rise in severity (an answer of investigating leaves any stop in place)',
    );
  }
  if (NEVER_ENGAGES.has(c.detector) || !(config.detectors as readonly string[]).includes(c.detector)) {
    return decision(
      'none',
      'detector-not-enabled',
      `detector ${c.detector} does not engage the kill switch (kill_switch.detectors: ${config.detectors.join(', ')})`,
    );
  }
  if (SEVERITY_ORDER[c.severity] < SEVERITY_ORDER[config.min_severity]) {
    return decision(
      'none',
      'below-min-severity',
      `severity ${c.severity} is below kill_switch.min_severity (${config.min_severity})`,
    );
  }
  if (
    config.transport === 'organizations' &&
    (organization.management_account_id === null || organization.own_account_id === null)
  ) {
    return decision(
      'none',
      'organization-unknown',
      "the organization's management account or the deployment's own account is unknown, so neither can be ruled out",
    );
  }
  if (c.account_id === organization.management_account_id) {
    return decision(
      'none',
      'management-account',
      `account ${c.account_id} is the organization's management account, where SCPs do not apply`,
    );
  }
  if (c.account_id === organization.own_account_id) {
    return decision(
      'none',
      'own-account',
      `account ${c.account_id} runs this deployment; the kill switch never stops its own account`,
    );
  }
  if (config.exclude_accounts.includes(c.account_id)) {
    return decision('none', 'excluded-account', `account ${c.account_id} is in kill_switch.exclude_accounts`);
  }
  const eligibility = eligibilityOf(c.account_id, config, organization);
  if (eligibility !== 'eligible') {
    return decision(
      'none',
      eligibility,
      eligibility === 'ou-membership-unknown'
        ? `account ${c.account_id} is not in kill_switch.accounts and the accounts of ${config.organizational_units.filter((ou) => !organization.ou_accounts[ou]).join(', ')} were not read`
        : `account ${c.account_id} is not in kill_switch.accounts nor under kill_switch.organizational_units`,
    );
  }
  if (holding) {
    return holding.case_key === c.case_key
      ? decision('none', 'already-engaged', `account ${c.account_id} is already stopped for this case`)
      : decision(
          'none',
          'already-engaged',
          `account ${c.account_id} is already stopped for case ${holding.case_key}`,
        );
  }
  const engagedAccounts = new Set(engaged.map((e) => e.account_id)).size;
  if (engagedAccounts >= config.max_engaged) {
    return decision(
      'escalate-instead',
      'max-engaged',
      `${engagedAccounts} accounts are already stopped (kill_switch.max_engaged: ${config.max_engaged}); FinOps gets this case as an escalation instead`,
    );
  }
  const why = `a ${c.severity} ${c.detector} case ${c.change === 'rose' ? 'rose' : c.change === 'reopened' ? 're-opened' : 'opened'} on account ${c.account_id}`;
  return config.mode === 'dry-run'
    ? decision('would-engage', 'qualifying-case', `enforce mode would deny Bedrock inference now: ${why}`)
    : decision('engage', 'qualifying-case', `Bedrock inference is denied until a person answers: ${why}`);
}

/** Whether an account is one the kill switch may act on (before management, own and excluded accounts). */
function eligibilityOf(
  accountId: string,
  config: KillSwitchConfig,
  organization: OrganizationFacts,
): 'eligible' | 'not-eligible' | 'ou-membership-unknown' {
  if (config.accounts.includes(accountId)) return 'eligible';
  let unknown = false;
  for (const ou of config.organizational_units) {
    const members = organization.ou_accounts[ou];
    if (members === undefined) unknown = true;
    else if (members.includes(accountId)) return 'eligible';
  }
  return unknown ? 'ou-membership-unknown' : 'not-eligible';
}
