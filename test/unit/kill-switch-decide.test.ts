/**
 * Which case engages or releases which account (docs/kill-switch.md "When it engages", "Release"): every
 * rule, one test each, on plain data.
 */
import { describe, expect, it } from 'vitest';
import { type KillSwitchConfig, parseConfig } from '../../functions/core/config.js';
import {
  type DecideInput,
  decideKillSwitch,
  type EngagedRef,
  type KillSwitchCase,
  type OrganizationFacts,
} from '../../functions/core/kill-switch/decide.js';

const SANDBOX = '222233334444';
const DEV = '333344445555';
const MANAGEMENT = '111111111111';
const OWN = '999988887777';
const OU = 'ou-ab12-cd34ef56';

const config = (kill_switch: Record<string, unknown> = {}): KillSwitchConfig =>
  parseConfig({ kill_switch: { mode: 'enforce', accounts: [SANDBOX], ...kill_switch } }).kill_switch;

const organization = (facts: Partial<OrganizationFacts> = {}): OrganizationFacts => ({
  management_account_id: MANAGEMENT,
  own_account_id: OWN,
  ou_accounts: {},
  ...facts,
});

const aCase = (overrides: Partial<KillSwitchCase> = {}): KillSwitchCase => ({
  case_key: 'case-sandbox-runaway',
  account_id: SANDBOX,
  detector: 'runaway-inference',
  severity: 'critical',
  state: 'open',
  change: 'opened',
  ...overrides,
});

function decide(input: Partial<Omit<DecideInput, 'case'>> & { case?: Partial<KillSwitchCase> } = {}) {
  return decideKillSwitch({
    config: input.config ?? config(),
    organization: input.organization ?? organization(),
    engaged: input.engaged ?? [],
    case: aCase(input.case),
  });
}

const engagedBy = (account_id: string, case_key: string): EngagedRef => ({ account_id, case_key });

describe('engaging', () => {
  it('engages a critical runaway case that opens on an eligible account, in enforce mode', () => {
    expect(decide()).toEqual({
      action: 'engage',
      account_id: SANDBOX,
      case_key: 'case-sandbox-runaway',
      reason: 'qualifying-case',
      explanation:
        'Bedrock inference is denied until a person answers: a critical runaway-inference case opened on account 222233334444',
    });
  });

  it('says what it would do in dry-run mode', () => {
    const d = decide({ config: config({ mode: 'dry-run', accounts: [SANDBOX] }) });
    expect(d.action).toBe('would-engage');
    expect(d.explanation).toMatch(/^enforce mode would deny Bedrock inference now/);
  });

  it('does nothing when the kill switch is off', () => {
    expect(decide({ config: config({ mode: 'off' }) })).toMatchObject({ action: 'none', reason: 'mode-off' });
  });

  it.each(['opened', 'reopened', 'rose'] as const)('engages when the case %s', (change) => {
    expect(decide({ case: { change, state: change === 'rose' ? 'reminded' : 'open' } }).action).toBe(
      'engage',
    );
  });

  it('does not engage on a transition that neither opened, re-opened nor raised the case', () => {
    expect(decide({ case: { change: null, state: 'reminded' } })).toMatchObject({
      action: 'none',
      reason: 'no-qualifying-change',
    });
  });

  it.each(['runaway-watch', 'budget'])('engages for the %s detector, enabled by default', (detector) => {
    expect(decide({ case: { detector } }).action).toBe('engage');
  });

  it('does not engage for a detector left out of kill_switch.detectors', () => {
    const d = decide({ config: config({ detectors: ['runaway-inference'] }), case: { detector: 'budget' } });
    expect(d).toMatchObject({ action: 'none', reason: 'detector-not-enabled' });
    expect(d.explanation).toContain('kill_switch.detectors: runaway-inference');
  });

  it('never engages for cache-miss, even in a configuration that slipped past the start-time check', () => {
    const lax = {
      ...config(),
      detectors: ['runaway-inference', 'cache-miss'],
    } as unknown as KillSwitchConfig;
    expect(decide({ config: lax, case: { detector: 'cache-miss' } })).toMatchObject({
      action: 'none',
      reason: 'detector-not-enabled',
    });
  });

  it('engages only at min_severity and above', () => {
    expect(decide({ case: { severity: 'high' } })).toMatchObject({
      action: 'none',
      reason: 'below-min-severity',
    });
    const high = config({ min_severity: 'high' });
    expect(decide({ config: high, case: { severity: 'high' } }).action).toBe('engage');
    expect(decide({ config: high, case: { severity: 'critical' } }).action).toBe('engage');
    expect(decide({ config: high, case: { severity: 'medium' } }).reason).toBe('below-min-severity');
  });

  it('never engages the management account (SCPs do not apply there), even when it is listed', () => {
    const d = decide({
      config: config({ accounts: [MANAGEMENT] }),
      case: { account_id: MANAGEMENT },
    });
    expect(d).toMatchObject({ action: 'none', reason: 'management-account' });
  });

  it("never engages the deployment's own account, even when it is listed", () => {
    expect(decide({ config: config({ accounts: [OWN] }), case: { account_id: OWN } })).toMatchObject({
      action: 'none',
      reason: 'own-account',
    });
  });

  it('never engages an account in exclude_accounts, even under an eligible organizational unit', () => {
    const d = decide({
      config: config({
        transport: 'organizations',
        accounts: [],
        organizational_units: [OU],
        exclude_accounts: [SANDBOX],
      }),
      organization: organization({ ou_accounts: { [OU]: [SANDBOX, DEV] } }),
    });
    expect(d).toMatchObject({ action: 'none', reason: 'excluded-account' });
  });

  it('does not engage an account that is neither listed nor under a configured organizational unit', () => {
    expect(decide({ case: { account_id: DEV } })).toMatchObject({ action: 'none', reason: 'not-eligible' });
  });

  it('engages an account under a configured organizational unit (nested units as the adapter read them)', () => {
    const d = decide({
      config: config({ transport: 'organizations', accounts: [], organizational_units: [OU] }),
      organization: organization({ ou_accounts: { [OU]: [DEV] } }),
      case: { account_id: DEV },
    });
    expect(d.action).toBe('engage');
  });

  it('does not guess when the accounts of a configured organizational unit were not read', () => {
    const d = decide({
      config: config({ transport: 'organizations', accounts: [], organizational_units: [OU] }),
      organization: organization({ ou_accounts: {} }),
      case: { account_id: DEV },
    });
    expect(d).toMatchObject({ action: 'none', reason: 'ou-membership-unknown' });
    expect(d.explanation).toContain(OU);
    // A listed account needs no unit membership.
    expect(
      decide({
        config: config({ transport: 'organizations', accounts: [SANDBOX], organizational_units: [OU] }),
        organization: organization({ ou_accounts: {} }),
      }).action,
    ).toBe('engage');
  });

  it('refuses on the organizations transport when the management or own account is unknown', () => {
    const orgs = config({ transport: 'organizations' });
    for (const facts of [{ management_account_id: null }, { own_account_id: null }]) {
      expect(decide({ config: orgs, organization: organization(facts) })).toMatchObject({
        action: 'none',
        reason: 'organization-unknown',
      });
    }
    // The local transport has no organization to ask: unknown is fine there.
    expect(
      decide({ organization: organization({ management_account_id: null, own_account_id: null }) }).action,
    ).toBe('engage');
  });

  it('does not engage an account that is already stopped, for this case or another', () => {
    expect(
      decide({ engaged: [engagedBy(SANDBOX, 'case-sandbox-runaway')], case: { change: 'rose' } }),
    ).toMatchObject({ action: 'none', reason: 'already-engaged' });
    const other = decide({ engaged: [engagedBy(SANDBOX, 'case-sandbox-budget')] });
    expect(other).toMatchObject({ action: 'none', reason: 'already-engaged' });
    expect(other.explanation).toContain('case-sandbox-budget');
  });

  it('escalates to FinOps instead once max_engaged accounts are stopped', () => {
    const three = [
      engagedBy('444455556666', 'a'),
      engagedBy('555566667777', 'b'),
      engagedBy('666677778888', 'c'),
    ];
    const d = decide({ engaged: three });
    expect(d).toMatchObject({ action: 'escalate-instead', reason: 'max-engaged' });
    expect(d.explanation).toBe(
      '3 accounts are already stopped (kill_switch.max_engaged: 3); FinOps gets this case as an escalation instead',
    );
    expect(decide({ engaged: three.slice(0, 2) }).action).toBe('engage');
    expect(decide({ engaged: three, config: config({ max_engaged: 4 }) }).action).toBe('engage');
  });
});

describe('releasing', () => {
  const engaged = [engagedBy(SANDBOX, 'case-sandbox-runaway')];

  it.each(['resolved', 'suppressed'] as const)(
    'releases the account when the case that stopped it is %s (answered stopped / legitimate, or closed otherwise)',
    (state) => {
      expect(decide({ engaged, case: { state, change: null } })).toMatchObject({
        action: 'release',
        reason: 'case-closed',
        account_id: SANDBOX,
      });
    },
  );

  it('does not release on an answer of investigating (the case stays live)', () => {
    expect(decide({ engaged, case: { state: 'acknowledged', change: null } })).toMatchObject({
      action: 'none',
      reason: 'no-qualifying-change',
    });
  });

  it('releases in every mode, so turning the switch off or to dry-run never strands a stop', () => {
    for (const mode of ['off', 'dry-run'] as const) {
      expect(
        decide({ config: config({ mode }), engaged, case: { state: 'resolved', change: null } }).action,
      ).toBe('release');
    }
  });

  it('releases even an account excluded since it was stopped', () => {
    const d = decide({
      config: config({ accounts: [DEV], exclude_accounts: [SANDBOX] }),
      engaged,
      case: { state: 'suppressed', change: null },
    });
    expect(d.action).toBe('release');
  });

  it('does nothing when the closed case stopped nothing', () => {
    expect(decide({ case: { state: 'resolved', change: null } })).toMatchObject({
      action: 'none',
      reason: 'not-engaged',
    });
  });

  it('leaves a stop that another, still open case put in place', () => {
    expect(
      decide({
        engaged: [engagedBy(SANDBOX, 'case-sandbox-budget')],
        case: { state: 'resolved', change: null },
      }),
    ).toMatchObject({ action: 'none', reason: 'engaged-for-another-case' });
  });
});
