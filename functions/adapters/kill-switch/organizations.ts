/**
 * The kill switch on AWS Organizations (docs/kill-switch.md "Transports"): one Service Control Policy per
 * stopped account, named `ai-spend-sentinel-stop-<account_id>` and tagged with our marker, the case key and
 * the time it was engaged; attached to that account only.
 *
 * Every step is idempotent, so a run that crashed half-way is finished by the next one:
 * - engage: find the policy by name (`ListPolicies`, SCPs only) or create it (`CreatePolicy`; a
 *   `DuplicatePolicyException` means a concurrent engage created it: find it again); a policy left over from
 *   a crash is reused, its document and tags brought up to date (`UpdatePolicy`, `TagResource`); then
 *   `AttachPolicy` to the account (`DuplicatePolicyAttachmentException`: already attached).
 * - release: `DetachPolicy` from every account it is attached to (`PolicyNotAttachedException`: already
 *   detached), then `DeletePolicy` (`PolicyNotFoundException`: already gone).
 * - engaged(): our policies by name, those attached to their account, with document and tags.
 * `ConcurrentModificationException` (Organizations allows one change at a time) and throttling are retried
 * with capped exponential backoff and jitter; anything else becomes an UpstreamError naming the call, the
 * account and what to do. The client is injected; build it with `maxAttempts: 1` (the adapter owns retries)
 * in us-east-1, where the Organizations endpoint is.
 */
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListPoliciesCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  type OrganizationsClient,
  type PolicySummary,
  type PolicyTargetSummary,
  TagResourceCommand,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { SentinelError, UpstreamError } from '../../core/errors.js';
import type { OrganizationFacts } from '../../core/kill-switch/decide.js';
import { accountOfStopPolicy, policyContent, stopPolicyName } from '../../core/kill-switch/policy.js';
import type { Clock, EngagedAccount, KillSwitch, PolicyDocument } from '../../core/ports.js';
import { systemClock } from '../../core/ports.js';
import {
  awsErrorName,
  type Backoff,
  type BackoffOptions,
  backoff,
  describeAwsError,
  isThrottlingOrServerError,
  withRetries,
} from '../aws/retry.js';

/** Tags on every stop policy (docs/kill-switch.md "IAM scope": the grants are limited to the marker). */
export const MARKER_TAG = 'ai-spend-sentinel';
export const MARKER_VALUE = 'kill-switch';
export const CASE_KEY_TAG = 'ai-spend-sentinel:case-key';
export const ENGAGED_AT_TAG = 'ai-spend-sentinel:engaged-at';

const SCP = 'SERVICE_CONTROL_POLICY';
/** Organizations' limit on a policy description. */
const MAX_DESCRIPTION = 512;

const RETRYABLE = new Set([
  'ConcurrentModificationException',
  'TooManyRequestsException',
  'ThrottlingException',
  'ServiceException',
]);
const isRetryable = (error: unknown) => isThrottlingOrServerError(error, RETRYABLE);

/** What to do about an Organizations error a person must fix. */
const HINTS: Record<string, string> = {
  AccessDeniedException:
    'the function needs the Organizations permissions docs/kill-switch.md lists, and must run in the management account or in a member account delegated SCP management',
  AWSOrganizationsNotInUseException: 'the account is not in an organization; use kill_switch.transport local',
  PolicyTypeNotEnabledException:
    'service control policies are not enabled in the organization: enable them on the root (aws organizations enable-policy-type)',
  ConstraintViolationException:
    'an account can have at most 5 SCPs attached directly: detach one, or attach the others to an organizational unit',
  PolicyInUseException:
    'the stop policy is also attached to an organizational unit or root: detach it there by hand (docs/kill-switch.md "Releasing by hand")',
  ConcurrentModificationException:
    'another change to the organization was in progress; the next run tries again',
};

export interface OrganizationsKillSwitchOptions {
  clock?: Clock;
  /** Retries of concurrent modifications and throttling (default 6 attempts, 200 ms base, 5 s cap). */
  retry?: BackoffOptions;
  /** The account the deployment runs in (the caller's), never stopped; null: unknown, and nothing engages. */
  ownAccountId?: string | null;
}

export class OrganizationsKillSwitch implements KillSwitch {
  readonly kind = 'kill-switch' as const;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly ownAccountId: string | null;

  constructor(
    private readonly client: OrganizationsClient,
    options: OrganizationsKillSwitchOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.backoff = backoff({ attempts: 6, baseMs: 200, capMs: 5000, ...options.retry });
    this.ownAccountId = options.ownAccountId ?? null;
  }

  async organization(organizationalUnits: readonly string[]): Promise<OrganizationFacts> {
    return { ...(await this.readOrganization(organizationalUnits)), own_account_id: this.ownAccountId };
  }

  describe(): string {
    return 'AWS Organizations service control policies';
  }

  async engage(input: {
    account_id: string;
    case_key: string;
    reason: string;
    policy: PolicyDocument;
  }): Promise<{ policy_id: string; engaged_at: string }> {
    const account = input.account_id;
    return this.failing(`engaging the stop in account ${account}`, async () => {
      const name = stopPolicyName(account);
      const content = policyContent(input.policy);
      const now = this.clock.now().toISOString();
      let engagedAt = now;
      const existing = await this.findPolicy(name);
      let policyId = existing?.Id ?? (await this.create(name, content, input, now));
      if (existing || policyId === null) {
        // Reuse: a policy of this name exists (engaged already, left over by a crash before attaching, or
        // created a moment ago by a concurrent engage).
        policyId = existing?.Id ?? (await this.findPolicy(name))?.Id ?? null;
        if (policyId === null) {
          throw new UpstreamError(
            `policy ${name} exists (CreatePolicy said so) but ListPolicies does not show it`,
          );
        }
        const attached = (await this.targets(policyId)).some((t) => t.TargetId === account);
        const tags = await this.tags(policyId);
        if (attached && tags[ENGAGED_AT_TAG]) engagedAt = tags[ENGAGED_AT_TAG];
        const current = await this.document(policyId);
        if (current.content !== content) {
          await this.send(() =>
            this.client.send(new UpdatePolicyCommand({ PolicyId: policyId!, Content: content })),
          );
        }
        const wanted = {
          [MARKER_TAG]: MARKER_VALUE,
          [CASE_KEY_TAG]: input.case_key,
          [ENGAGED_AT_TAG]: engagedAt,
        };
        if (Object.entries(wanted).some(([key, value]) => tags[key] !== value)) {
          await this.send(() =>
            this.client.send(new TagResourceCommand({ ResourceId: policyId!, Tags: tagList(wanted) })),
          );
        }
      }
      await this.tolerating(['DuplicatePolicyAttachmentException'], () =>
        this.client.send(new AttachPolicyCommand({ PolicyId: policyId!, TargetId: account })),
      );
      return { policy_id: policyId, engaged_at: engagedAt };
    });
  }

  async release(input: { account_id: string }): Promise<void> {
    const account = input.account_id;
    await this.failing(`releasing the stop in account ${account}`, async () => {
      const found = await this.findPolicy(stopPolicyName(account));
      if (!found?.Id) return;
      const policyId = found.Id;
      const targets = await this.tolerating(['PolicyNotFoundException'], () => this.targets(policyId));
      for (const target of targets ?? []) {
        if (target.Type !== 'ACCOUNT' || !target.TargetId) continue;
        const targetId = target.TargetId;
        await this.tolerating(['PolicyNotAttachedException', 'PolicyNotFoundException'], () =>
          this.client.send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: targetId })),
        );
      }
      await this.tolerating(['PolicyNotFoundException'], () =>
        this.client.send(new DeletePolicyCommand({ PolicyId: policyId })),
      );
    });
  }

  async engaged(): Promise<EngagedAccount[]> {
    return this.failing('listing the stopped accounts', async () => {
      const result: EngagedAccount[] = [];
      for (const summary of await this.listPolicies()) {
        const account = accountOfStopPolicy(summary.Name ?? '');
        const policyId = summary.Id;
        if (account === null || !policyId) continue;
        if (!(await this.targets(policyId)).some((t) => t.TargetId === account)) continue;
        const [tags, current] = [await this.tags(policyId), await this.document(policyId)];
        result.push({
          account_id: account,
          policy_id: policyId,
          case_key: tags[CASE_KEY_TAG] ?? '',
          engaged_at: tags[ENGAGED_AT_TAG] ?? '',
          policy: JSON.parse(current.content) as PolicyDocument,
        });
      }
      return result.sort((a, b) => a.account_id.localeCompare(b.account_id));
    });
  }

  /**
   * The organization's facts for deciding (docs/kill-switch.md "Eligibility"): its management account
   * (`DescribeOrganization`) and the accounts under each unit, nested units included (`ListAccountsForParent`,
   * `ListChildren`). The deployment's own account is the caller's to add.
   */
  async readOrganization(
    organizationalUnits: readonly string[],
  ): Promise<Omit<OrganizationFacts, 'own_account_id'>> {
    return this.failing('reading the organization', async () => {
      const described = await this.send(() => this.client.send(new DescribeOrganizationCommand({})));
      const ou_accounts: Record<string, string[]> = {};
      for (const ou of organizationalUnits) {
        const accounts: string[] = [];
        const pending = [ou];
        for (let parent = pending.shift(); parent !== undefined; parent = pending.shift()) {
          const parentId = parent;
          for (let token: string | undefined, first = true; first || token; first = false) {
            const page = await this.send(() =>
              this.client.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken: token })),
            );
            accounts.push(...(page.Accounts ?? []).flatMap((a) => (a.Id ? [a.Id] : [])));
            token = page.NextToken;
          }
          for (let token: string | undefined, first = true; first || token; first = false) {
            const page = await this.send(() =>
              this.client.send(
                new ListChildrenCommand({
                  ParentId: parentId,
                  ChildType: 'ORGANIZATIONAL_UNIT',
                  NextToken: token,
                }),
              ),
            );
            pending.push(...(page.Children ?? []).flatMap((c) => (c.Id ? [c.Id] : [])));
            token = page.NextToken;
          }
        }
        ou_accounts[ou] = [...new Set(accounts)].sort();
      }
      return { management_account_id: described.Organization?.MasterAccountId ?? null, ou_accounts };
    });
  }

  /** Creates the policy with its tags; null when one of that name exists already (a concurrent engage). */
  private async create(
    name: string,
    content: string,
    input: { account_id: string; case_key: string; reason: string },
    engagedAt: string,
  ): Promise<string | null> {
    const description =
      `ai-spend-sentinel kill switch: denies Bedrock inference in account ${input.account_id} until a person answers case ${input.case_key}. ${input.reason}`.slice(
        0,
        MAX_DESCRIPTION,
      );
    const created = await this.tolerating(['DuplicatePolicyException'], () =>
      this.client.send(
        new CreatePolicyCommand({
          Name: name,
          Description: description,
          Content: content,
          Type: SCP,
          Tags: tagList({
            [MARKER_TAG]: MARKER_VALUE,
            [CASE_KEY_TAG]: input.case_key,
            [ENGAGED_AT_TAG]: engagedAt,
          }),
        }),
      ),
    );
    return created?.Policy?.PolicySummary?.Id ?? null;
  }

  private async findPolicy(name: string): Promise<PolicySummary | undefined> {
    return (await this.listPolicies()).find((p) => p.Name === name);
  }

  private async listPolicies(): Promise<PolicySummary[]> {
    const policies: PolicySummary[] = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await this.send(() =>
        this.client.send(new ListPoliciesCommand({ Filter: SCP, NextToken: token })),
      );
      policies.push(...(page.Policies ?? []));
      token = page.NextToken;
    }
    return policies;
  }

  private async targets(policyId: string): Promise<PolicyTargetSummary[]> {
    const targets: PolicyTargetSummary[] = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await this.send(() =>
        this.client.send(new ListTargetsForPolicyCommand({ PolicyId: policyId, NextToken: token })),
      );
      targets.push(...(page.Targets ?? []));
      token = page.NextToken;
    }
    return targets;
  }

  private async tags(policyId: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await this.send(() =>
        this.client.send(new ListTagsForResourceCommand({ ResourceId: policyId, NextToken: token })),
      );
      for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
      token = page.NextToken;
    }
    return tags;
  }

  private async document(policyId: string): Promise<{ content: string }> {
    const described = await this.send(() =>
      this.client.send(new DescribePolicyCommand({ PolicyId: policyId })),
    );
    return { content: described.Policy?.Content ?? '' };
  }

  /** One call, retried on concurrent modification and throttling. */
  private send<T>(operation: () => Promise<T>): Promise<T> {
    return withRetries(this.backoff, isRetryable, operation);
  }

  /** One call whose named errors mean "already in the wanted state": undefined instead of a throw. */
  private async tolerating<T>(names: readonly string[], operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.send(operation);
    } catch (error) {
      if (names.includes(awsErrorName(error) ?? '')) return undefined;
      throw error;
    }
  }

  /** Runs a public operation; an SDK error becomes an UpstreamError saying what failed and what to do. */
  private async failing<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SentinelError) throw error;
      const hint = HINTS[awsErrorName(error) ?? ''];
      throw new UpstreamError(
        `AWS Organizations failed ${what}: ${describeAwsError(error)}`,
        hint ? { cause: error, hint } : { cause: error },
      );
    }
  }
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
