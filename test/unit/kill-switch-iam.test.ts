/**
 * The kill switch's Organizations grants (infra/kill-switch-iam.cjs, docs/kill-switch.md "IAM scope"),
 * evaluated with the IAM simulator: the adapter's calls on our stop policies are allowed, the same calls on
 * any other policy (FullAWSAccess, a team's own SCP) and on roots and units are denied, and the grants hold
 * exactly the actions the adapter calls.
 */
import { createRequire } from 'node:module';
import {
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListPoliciesCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  CASE_KEY_TAG,
  ENGAGED_AT_TAG,
  MARKER_TAG,
  MARKER_VALUE,
  OrganizationsKillSwitch,
} from '../../functions/adapters/kill-switch/organizations.js';
import { fixedClock, type PolicyDocument } from '../../functions/core/ports.js';
import { evaluate } from '../fixtures/iam-simulate.js';
import { DOCUMENT, OTHER_DOCUMENT, T0 } from '../fixtures/kill-switch-contract.js';

const require = createRequire(import.meta.url);
const iam = require('../../infra/kill-switch-iam.cjs') as {
  killSwitchStatements(options?: { managementAccountId?: string }): Record<string, unknown>[];
  MARKER_TAG: string;
  MARKER_VALUE: string;
  TAG_KEYS: string[];
};

const MANAGEMENT = '111111111111';
const MEMBER = '222233334444';
const ORG = 'o-a1b2c3d4e5';
const ROLE = `arn:aws:iam::${MANAGEMENT}:role/ai-spend-sentinel-followUp-us-east-1`;
const arn = (resource: string) => `arn:aws:organizations::${MANAGEMENT}:${resource}`;
const OUR_POLICY = arn(`policy/${ORG}/service_control_policy/p-k1llsw1t`);
const TEAM_POLICY = arn(`policy/${ORG}/service_control_policy/p-teamguard`);
const FULL_AWS_ACCESS = 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess';
const OUR_RCP = arn(`policy/${ORG}/resource_control_policy/p-k1llsw1t`);
const ACCOUNT = arn(`account/${ORG}/${MEMBER}`);
const ROOT = arn(`root/${ORG}/r-a1b2`);
const UNIT = arn(`ou/${ORG}/ou-a1b2-c3d4e5f6`);

/** The statements as CloudFormation would resolve them in the aws partition. */
function resolved(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolved);
  if (value && typeof value === 'object') {
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    if (typeof sub === 'string') return sub.replaceAll(/\$\{AWS::Partition\}/g, 'aws');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v)]));
  }
  return value;
}

const rolePolicy = (managementAccountId?: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: resolved(iam.killSwitchStatements({ managementAccountId })) as Record<string, unknown>[],
});

const ourTags = { [`aws:ResourceTag/${MARKER_TAG}`]: MARKER_VALUE };
const requestTags = {
  [`aws:RequestTag/${MARKER_TAG}`]: MARKER_VALUE,
  [`aws:RequestTag/${CASE_KEY_TAG}`]: 'case-1',
  [`aws:RequestTag/${ENGAGED_AT_TAG}`]: T0,
  'aws:TagKeys': [MARKER_TAG, CASE_KEY_TAG, ENGAGED_AT_TAG],
};

/** One call by the function's role in the management account (SCPs do not apply there: FullAWSAccess). */
const call = (
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  policy = rolePolicy(),
) =>
  evaluate({
    principal: ROLE,
    account: MANAGEMENT,
    action,
    resource,
    identity: [policy],
    context,
  });

describe('kill switch IAM grants, evaluated', () => {
  it('uses the tag names the adapter writes', () => {
    expect([iam.MARKER_TAG, iam.MARKER_VALUE]).toEqual([MARKER_TAG, MARKER_VALUE]);
    expect(iam.TAG_KEYS).toEqual([MARKER_TAG, CASE_KEY_TAG, ENGAGED_AT_TAG]);
  });

  it.each([
    'organizations:DescribePolicy',
    'organizations:ListTargetsForPolicy',
    'organizations:ListTagsForResource',
    'organizations:UpdatePolicy',
    'organizations:AttachPolicy',
    'organizations:DetachPolicy',
    'organizations:DeletePolicy',
  ])('allows %s on a stop policy carrying the marker tag, and on no other policy', async (action) => {
    const scp = { 'organizations:PolicyType': 'SERVICE_CONTROL_POLICY' };
    expect(await call(action, OUR_POLICY, { ...ourTags, ...scp })).toBe('Allowed');
    expect(await call(action, TEAM_POLICY, { 'aws:ResourceTag/team': 'platform', ...scp })).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await call(action, TEAM_POLICY, { [`aws:ResourceTag/${MARKER_TAG}`]: 'something-else', ...scp }),
    ).toBe('ImplicitlyDenied');
    expect(
      await call(action, OUR_RCP, { ...ourTags, 'organizations:PolicyType': 'RESOURCE_CONTROL_POLICY' }),
    ).toBe('ImplicitlyDenied');
  });

  it('matches no AWS-managed policy such as FullAWSAccess (checked on the patterns: the simulator has no action data for that resource type)', () => {
    const patterns = (resolved(iam.killSwitchStatements()) as { Resource: string | string[] }[])
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .filter((r) => r !== '*');
    const glob = (pattern: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) {
      expect(glob(pattern).test(FULL_AWS_ACCESS), pattern).toBe(false);
      // The same helper does match what the grants are for.
      if (pattern.includes(':policy/')) expect(glob(pattern).test(OUR_POLICY), pattern).toBe(true);
    }
  });

  it.each(['organizations:AttachPolicy', 'organizations:DetachPolicy'])(
    'allows %s on an account as target, never on a root or an organizational unit',
    async (action) => {
      expect(await call(action, ACCOUNT)).toBe('Allowed');
      expect(await call(action, ROOT)).toBe('ImplicitlyDenied');
      expect(await call(action, UNIT)).toBe('ImplicitlyDenied');
    },
  );

  it('allows creating only SCPs that carry the marker and no tag keys but ours', async () => {
    const scp = { 'organizations:PolicyType': 'SERVICE_CONTROL_POLICY' };
    expect(await call('organizations:CreatePolicy', OUR_POLICY, { ...requestTags, ...scp })).toBe('Allowed');
    const { [`aws:RequestTag/${MARKER_TAG}`]: _marker, ...unmarked } = requestTags;
    expect(
      await call('organizations:CreatePolicy', OUR_POLICY, {
        ...unmarked,
        'aws:TagKeys': [CASE_KEY_TAG, ENGAGED_AT_TAG],
        ...scp,
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await call('organizations:CreatePolicy', OUR_POLICY, {
        ...requestTags,
        'aws:RequestTag/owner': 'someone',
        'aws:TagKeys': [...(requestTags['aws:TagKeys'] as string[]), 'owner'],
        ...scp,
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await call('organizations:CreatePolicy', OUR_RCP, {
        ...requestTags,
        'organizations:PolicyType': 'RESOURCE_CONTROL_POLICY',
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('allows tagging with our keys and the marker only', async () => {
    expect(await call('organizations:TagResource', OUR_POLICY, { ...requestTags, ...ourTags })).toBe(
      'Allowed',
    );
    expect(
      await call('organizations:TagResource', OUR_POLICY, {
        'aws:RequestTag/owner': 'someone',
        'aws:TagKeys': ['owner'],
      }),
    ).toBe('ImplicitlyDenied');
    expect(await call('organizations:TagResource', ACCOUNT, requestTags)).toBe('ImplicitlyDenied');
  });

  it('lists SCPs only, reads the organization, and lists units (not the root)', async () => {
    expect(
      await call('organizations:ListPolicies', '*', { 'organizations:PolicyType': 'SERVICE_CONTROL_POLICY' }),
    ).toBe('Allowed');
    expect(await call('organizations:ListPolicies', '*', { 'organizations:PolicyType': 'TAG_POLICY' })).toBe(
      'ImplicitlyDenied',
    );
    expect(await call('organizations:DescribeOrganization', '*')).toBe('Allowed');
    for (const action of ['organizations:ListAccountsForParent', 'organizations:ListChildren']) {
      expect(await call(action, UNIT)).toBe('Allowed');
      expect(await call(action, ROOT)).toBe('ImplicitlyDenied');
    }
  });

  it('grants nothing else in Organizations', async () => {
    for (const [action, resource] of [
      ['organizations:MoveAccount', ACCOUNT],
      ['organizations:UntagResource', OUR_POLICY],
      ['organizations:DisablePolicyType', ROOT],
      ['organizations:DeleteOrganizationalUnit', UNIT],
      ['organizations:LeaveOrganization', '*'],
    ] as const) {
      expect(await call(action, resource, ourTags), action).toBe('ImplicitlyDenied');
    }
  });

  it('pins the policy ARNs to the management account when it is given', async () => {
    const pinned = rolePolicy(MANAGEMENT);
    expect(await call('organizations:DeletePolicy', OUR_POLICY, ourTags, pinned)).toBe('Allowed');
    const elsewhere = `arn:aws:organizations::999999999999:policy/${ORG}/service_control_policy/p-k1llsw1t`;
    expect(await call('organizations:DeletePolicy', elsewhere, ourTags, pinned)).toBe('ImplicitlyDenied');
    expect(() => iam.killSwitchStatements({ managementAccountId: '12345' })).toThrow(/12-digit/);
  });
});

describe('kill switch IAM grants against the adapter', () => {
  /** Every Organizations action the adapter sends while engaging, re-engaging, listing, releasing and reading. */
  async function actionsTheAdapterCalls(): Promise<string[]> {
    const client = new OrganizationsClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const name = `ai-spend-sentinel-stop-${MEMBER}`;
    mock.resolves({});
    mock.on(ListPoliciesCommand).resolves({ Policies: [] });
    mock.on(CreatePolicyCommand).resolves({ Policy: { PolicySummary: { Id: 'p-k1llsw1t', Name: name } } });
    const ks = new OrganizationsKillSwitch(client, { clock: fixedClock(T0) });
    // A fresh engagement: CreatePolicy (with tags), AttachPolicy.
    await ks.engage({ account_id: MEMBER, case_key: 'case-1', reason: 'r', policy: DOCUMENT });
    // A re-engagement with another document and case: the reuse path.
    mock.on(ListPoliciesCommand).resolves({ Policies: [{ Id: 'p-k1llsw1t', Name: name }] });
    mock.on(ListTargetsForPolicyCommand).resolves({ Targets: [{ TargetId: MEMBER, Type: 'ACCOUNT' }] });
    mock.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: CASE_KEY_TAG, Value: 'case-0' }] });
    mock.on(DescribePolicyCommand).resolves({ Policy: { Content: JSON.stringify(DOCUMENT) } });
    await ks.engage({ account_id: MEMBER, case_key: 'case-1', reason: 'r', policy: OTHER_DOCUMENT });
    await ks.engaged();
    await ks.release({ account_id: MEMBER });
    mock.on(DescribeOrganizationCommand).resolves({ Organization: { MasterAccountId: MANAGEMENT } });
    mock.on(ListAccountsForParentCommand).resolves({ Accounts: [{ Id: MEMBER }] });
    mock.on(ListChildrenCommand).resolves({ Children: [] });
    await ks.readOrganization(['ou-a1b2-c3d4e5f6']);
    return [
      ...new Set(
        mock
          .calls()
          .map((c) => `organizations:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`),
      ),
    ].sort();
  }

  it('grants exactly the actions the adapter calls: none missing, none unused', async () => {
    const granted = new Set(
      (resolved(iam.killSwitchStatements()) as { Action: string[] }[]).flatMap((s) => s.Action),
    );
    expect(await actionsTheAdapterCalls()).toEqual([...granted].sort());
  });
});
