/**
 * OrganizationsKillSwitch on the SDK mock, for the answers of AWS Organizations that moto 5.2 never gives:
 * `DuplicatePolicyAttachmentException` (moto attaches twice silently), `PolicyNotAttachedException` (moto
 * detaches silently), `ConcurrentModificationException` and `TooManyRequestsException` (moto has no
 * concurrency limit), and the errors a person must fix, each with its hint.
 */
import {
  AccessDeniedException,
  AttachPolicyCommand,
  ConcurrentModificationException,
  ConstraintViolationException,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DetachPolicyCommand,
  DuplicatePolicyAttachmentException,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  PolicyNotAttachedException,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { OrganizationsKillSwitch } from '../../functions/adapters/kill-switch/organizations.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { fixedClock } from '../../functions/core/ports.js';
import { DOCUMENT, T0 } from '../fixtures/kill-switch-contract.js';

const ACCOUNT = '222233334444';
const POLICY_ID = 'p-abcd1234';
const meta = { $metadata: {} };
const concurrent = () =>
  new ConcurrentModificationException({ message: 'The target is being modified', ...meta });

function killSwitchWithMock(attempts = 4) {
  const client = new OrganizationsClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const waits: number[] = [];
  const killSwitch = new OrganizationsKillSwitch(client, {
    clock: fixedClock(T0),
    retry: { attempts, sleep: async (ms) => void waits.push(ms), random: () => 1 },
  });
  // A fresh engagement: no policy of ours yet, CreatePolicy returns its id.
  mock.on(ListPoliciesCommand).resolves({ Policies: [] });
  mock.on(CreatePolicyCommand).resolves({ Policy: { PolicySummary: { Id: POLICY_ID } } });
  mock.on(AttachPolicyCommand).resolves({});
  return { mock, killSwitch, waits };
}

const engage = (ks: OrganizationsKillSwitch) =>
  ks.engage({ account_id: ACCOUNT, case_key: 'case-1', reason: 'r', policy: DOCUMENT });

/** A release finding our policy attached to the account. */
function releasing(mock: ReturnType<typeof killSwitchWithMock>['mock']) {
  mock
    .on(ListPoliciesCommand)
    .resolves({ Policies: [{ Id: POLICY_ID, Name: `ai-spend-sentinel-stop-${ACCOUNT}` }] });
  mock.on(ListTargetsForPolicyCommand).resolves({ Targets: [{ TargetId: ACCOUNT, Type: 'ACCOUNT' }] });
  mock.on(DeletePolicyCommand).resolves({});
}

describe('OrganizationsKillSwitch (SDK mock)', () => {
  it('treats DuplicatePolicyAttachmentException as already attached', async () => {
    const { mock, killSwitch } = killSwitchWithMock();
    mock
      .on(AttachPolicyCommand)
      .rejects(new DuplicatePolicyAttachmentException({ message: 'already attached', ...meta }));
    expect(await engage(killSwitch)).toEqual({ policy_id: POLICY_ID, engaged_at: T0 });
  });

  it('treats PolicyNotAttachedException as already detached, and still deletes the policy', async () => {
    const { mock, killSwitch } = killSwitchWithMock();
    releasing(mock);
    mock
      .on(DetachPolicyCommand)
      .rejects(new PolicyNotAttachedException({ message: 'not attached', ...meta }));
    await killSwitch.release({ account_id: ACCOUNT });
    expect(mock.commandCalls(DeletePolicyCommand)).toHaveLength(1);
  });

  it('retries ConcurrentModificationException with backoff until the change goes through', async () => {
    const { mock, killSwitch, waits } = killSwitchWithMock();
    mock.on(AttachPolicyCommand).rejectsOnce(concurrent()).rejectsOnce(concurrent()).resolves({});
    expect(await engage(killSwitch)).toEqual({ policy_id: POLICY_ID, engaged_at: T0 });
    expect(mock.commandCalls(AttachPolicyCommand)).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
  });

  it('retries throttling on a release', async () => {
    const { mock, killSwitch, waits } = killSwitchWithMock();
    releasing(mock);
    mock
      .on(DetachPolicyCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'slow down', ...meta }))
      .resolves({});
    await killSwitch.release({ account_id: ACCOUNT });
    expect(mock.commandCalls(DetachPolicyCommand)).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('gives up after its attempts with an error naming the call, the account and that the next run retries', async () => {
    const { mock, killSwitch } = killSwitchWithMock(3);
    mock.on(AttachPolicyCommand).rejects(concurrent());
    const failure = engage(killSwitch);
    await expect(failure).rejects.toThrow(UpstreamError);
    await expect(failure).rejects.toThrow(
      `AWS Organizations failed engaging the stop in account ${ACCOUNT}: ConcurrentModificationException`,
    );
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining('next run tries again') });
    expect(mock.commandCalls(AttachPolicyCommand)).toHaveLength(3);
  });

  it('does not retry an access denial, and says which permissions and account it needs', async () => {
    const { mock, killSwitch } = killSwitchWithMock();
    mock.on(CreatePolicyCommand).rejects(new AccessDeniedException({ message: 'not authorized', ...meta }));
    const failure = engage(killSwitch);
    await expect(failure).rejects.toThrow(/AccessDeniedException/);
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining('management account or in a member account delegated SCP management'),
    });
    expect(mock.commandCalls(CreatePolicyCommand)).toHaveLength(1);
  });

  it('explains the 5-SCPs-per-account limit when an attachment is refused', async () => {
    const { mock, killSwitch } = killSwitchWithMock();
    mock.on(AttachPolicyCommand).rejects(
      new ConstraintViolationException({
        message: 'limit',
        Reason: 'POLICY_NUMBER_LIMIT_EXCEEDED',
        ...meta,
      }),
    );
    await expect(engage(killSwitch)).rejects.toMatchObject({
      hint: expect.stringContaining('at most 5 SCPs attached directly'),
    });
  });
});
