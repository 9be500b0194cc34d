/**
 * OrganizationsKillSwitch against moto's AWS Organizations (an organization, units and accounts created here;
 * policies of type SERVICE_CONTROL_POLICY): the KillSwitch contract, the SCP as Organizations holds it, reuse
 * of a policy left by a crash, paging past moto's 20-policy and 20-account pages, and the organization's facts.
 *
 * moto 5.2 checks policy names (DuplicatePolicyException) and refuses to delete an attached policy
 * (PolicyInUseException), but attaches twice and detaches what is not attached without a word and never
 * reports a concurrent modification: those answers of the real service run on the SDK mock
 * (test/unit/kill-switch-organizations.test.ts).
 */
import {
  AlreadyInOrganizationException,
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CASE_KEY_TAG,
  ENGAGED_AT_TAG,
  MARKER_TAG,
  OrganizationsKillSwitch,
} from '../../functions/adapters/kill-switch/organizations.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { policyContent, stopPolicyName } from '../../functions/core/kill-switch/policy.js';
import {
  DOCUMENT,
  killSwitchContract,
  OTHER_DOCUMENT,
  settableClock,
  T0,
} from '../fixtures/kill-switch-contract.js';
import { MOTO_REGION, motoEndpoint, uniqueName } from '../fixtures/moto.js';

const client = () =>
  new OrganizationsClient({
    endpoint: motoEndpoint(),
    region: MOTO_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });

const org = client();
let rootId = '';
let managementAccount = '';

/** moto holds one organization per server; this file is the only one that uses it. */
beforeAll(async () => {
  try {
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  } catch (error) {
    if (!(error instanceof AlreadyInOrganizationException)) throw error;
  }
  managementAccount = (await org.send(new DescribeOrganizationCommand({}))).Organization!.MasterAccountId!;
  rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
});

async function newAccount(parentId?: string): Promise<string> {
  const name = uniqueName('acct');
  const created = await org.send(
    new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
  );
  const id = created.CreateAccountStatus!.AccountId!;
  if (parentId) {
    await org.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: parentId }),
    );
  }
  return id;
}

async function newUnit(parentId: string): Promise<string> {
  const created = await org.send(
    new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: uniqueName('ou') }),
  );
  return created.OrganizationalUnit!.Id!;
}

const noWait = { sleep: async () => {} };

killSwitchContract('OrganizationsKillSwitch on moto', async () => {
  const clock = settableClock(T0);
  return {
    killSwitch: new OrganizationsKillSwitch(client(), { clock, retry: noWait }),
    accounts: [await newAccount(), await newAccount(), await newAccount()],
    clock,
  };
});

describe('OrganizationsKillSwitch on moto', () => {
  const killSwitch = () => new OrganizationsKillSwitch(client(), { clock: settableClock(T0), retry: noWait });

  it('creates one SCP named after the account, tagged with the case, holding the document, attached to that account only', async () => {
    const account = await newAccount();
    const { policy_id } = await killSwitch().engage({
      account_id: account,
      case_key: 'case-abc',
      reason: 'A critical runaway-inference case opened.',
      policy: DOCUMENT,
    });
    const described = (await org.send(new DescribePolicyCommand({ PolicyId: policy_id }))).Policy!;
    expect(described.PolicySummary).toMatchObject({
      Name: `ai-spend-sentinel-stop-${account}`,
      Type: 'SERVICE_CONTROL_POLICY',
      AwsManaged: false,
      Description: `ai-spend-sentinel kill switch: denies Bedrock inference in account ${account} until a person answers case case-abc. A critical runaway-inference case opened.`,
    });
    expect(described.Content).toBe(policyContent(DOCUMENT));
    const tags = (await org.send(new ListTagsForResourceCommand({ ResourceId: policy_id }))).Tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: MARKER_TAG, Value: 'kill-switch' },
        { Key: CASE_KEY_TAG, Value: 'case-abc' },
        { Key: ENGAGED_AT_TAG, Value: T0 },
      ]),
    );
    const targets = (await org.send(new ListTargetsForPolicyCommand({ PolicyId: policy_id }))).Targets;
    expect(targets?.map((t) => [t.TargetId, t.Type])).toEqual([[account, 'ACCOUNT']]);
    // FullAWSAccess stays attached beside it: the stop adds a deny, it removes no allow.
    const onAccount = (
      await org.send(
        new ListPoliciesForTargetCommand({ TargetId: account, Filter: 'SERVICE_CONTROL_POLICY' }),
      )
    ).Policies?.map((p) => p.Name);
    expect(onAccount?.sort()).toEqual(['FullAWSAccess', `ai-spend-sentinel-stop-${account}`]);
  });

  it('deletes the policy on release', async () => {
    const account = await newAccount();
    const ks = killSwitch();
    const { policy_id } = await ks.engage({
      account_id: account,
      case_key: 'k',
      reason: 'r',
      policy: DOCUMENT,
    });
    await ks.release({ account_id: account });
    await expect(org.send(new DescribePolicyCommand({ PolicyId: policy_id }))).rejects.toMatchObject({
      name: 'PolicyNotFoundException',
    });
  });

  it('reuses a policy a crash left unattached, bringing its document and case up to date, at the new time', async () => {
    const account = await newAccount();
    const leftover = await org.send(
      new CreatePolicyCommand({
        Name: stopPolicyName(account),
        Description: 'left by a run that crashed before attaching',
        Content: policyContent(OTHER_DOCUMENT),
        Type: 'SERVICE_CONTROL_POLICY',
        Tags: [
          { Key: MARKER_TAG, Value: 'kill-switch' },
          { Key: CASE_KEY_TAG, Value: 'case-old' },
          { Key: ENGAGED_AT_TAG, Value: '2026-12-01T00:00:00.000Z' },
        ],
      }),
    );
    const ks = killSwitch();
    expect(await ks.engaged()).not.toContainEqual(expect.objectContaining({ account_id: account }));
    const result = await ks.engage({
      account_id: account,
      case_key: 'case-new',
      reason: 'r',
      policy: DOCUMENT,
    });
    expect(result).toEqual({ policy_id: leftover.Policy!.PolicySummary!.Id, engaged_at: T0 });
    expect((await ks.engaged()).find((e) => e.account_id === account)).toEqual({
      account_id: account,
      policy_id: result.policy_id,
      case_key: 'case-new',
      engaged_at: T0,
      policy: DOCUMENT,
    });
  });

  it('lists only our policies attached to their own account: not other SCPs, not a policy left unattached', async () => {
    const account = await newAccount();
    const other = await org.send(
      new CreatePolicyCommand({
        Name: uniqueName('team-guardrail'),
        Description: 'not ours',
        Content: policyContent(DOCUMENT),
        Type: 'SERVICE_CONTROL_POLICY',
      }),
    );
    await org.send(
      new AttachPolicyCommand({ PolicyId: other.Policy!.PolicySummary!.Id!, TargetId: account }),
    );
    const listed = (await killSwitch().engaged()).map((e) => e.account_id);
    expect(listed).not.toContain(account);
  });

  it("finds its policy past ListPolicies' first page (moto pages at 20)", async () => {
    for (let i = 0; i < 21; i++) {
      await org.send(
        new CreatePolicyCommand({
          Name: uniqueName('filler'),
          Description: 'filler',
          Content: policyContent(DOCUMENT),
          Type: 'SERVICE_CONTROL_POLICY',
        }),
      );
    }
    const account = await newAccount();
    const ks = killSwitch();
    const first = await ks.engage({ account_id: account, case_key: 'k', reason: 'r', policy: DOCUMENT });
    expect(
      (await ks.engage({ account_id: account, case_key: 'k', reason: 'r', policy: DOCUMENT })).policy_id,
    ).toBe(first.policy_id);
    expect((await ks.engaged()).map((e) => e.account_id)).toContain(account);
    await ks.release({ account_id: account });
    expect((await ks.engaged()).map((e) => e.account_id)).not.toContain(account);
  });

  it('refuses to delete a stop someone also attached to a unit, after detaching it from the account', async () => {
    const unit = await newUnit(rootId);
    const account = await newAccount(unit);
    const ks = killSwitch();
    const { policy_id } = await ks.engage({
      account_id: account,
      case_key: 'k',
      reason: 'r',
      policy: DOCUMENT,
    });
    await org.send(new AttachPolicyCommand({ PolicyId: policy_id, TargetId: unit }));
    const failure = ks.release({ account_id: account });
    await expect(failure).rejects.toThrow(UpstreamError);
    await expect(failure).rejects.toThrow(/PolicyInUseException/);
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining('organizational unit or root'),
    });
    expect((await ks.engaged()).map((e) => e.account_id)).not.toContain(account);
  });

  it('reads the management account and the accounts under each unit, nested units included, past 20 a page', async () => {
    const sandbox = await newUnit(rootId);
    const nested = await newUnit(sandbox);
    const direct: string[] = [];
    for (let i = 0; i < 21; i++) direct.push(await newAccount(sandbox));
    const deeper = await newAccount(nested);
    const elsewhere = await newUnit(rootId);
    const outside = await newAccount(elsewhere);
    const facts = await killSwitch().readOrganization([sandbox, nested]);
    expect(facts.management_account_id).toBe(managementAccount);
    expect(facts.ou_accounts[sandbox]).toEqual([...direct, deeper].sort());
    expect(facts.ou_accounts[nested]).toEqual([deeper]);
    expect(Object.values(facts.ou_accounts).flat()).not.toContain(outside);
  });

  it('names the call and the fix when the organization cannot be read', async () => {
    await expect(killSwitch().readOrganization(['ou-zzzz-zzzzzzzz'])).rejects.toThrow(
      /AWS Organizations failed reading the organization: ParentNotFoundException/,
    );
  });
});
