/**
 * The kill switch in a deployment (DEPLOY.md "The kill switch", docs/kill-switch.md "IAM scope"): the
 * parameters killSwitch, killSwitchAccounts, killSwitchOUs and breakGlassRole are checked at package time
 * and become `kill_switch` in SENTINEL_CONFIG (organizations transport); the roles get the Organizations
 * grants only when the switch is not off, limited to the stop policies, evaluated as IAM would.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import {
  evaluate,
  type PolicyDocument,
  resolveIntrinsics,
  roleArn,
  rolePolicy,
  type TemplateValues,
} from '../fixtures/iam-evaluation.js';

const require = createRequire(import.meta.url);
const { derive, sentinelConfigOf } = require('../../infra/parameters.cjs') as {
  derive: (raw: Record<string, unknown>, stage: string) => Record<string, unknown>;
  sentinelConfigOf: (p: Record<string, unknown>) => unknown;
};
const { roles } = require('../../infra/iam.cjs') as {
  roles: (
    p: Record<string, unknown>,
  ) => Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

const VALID = {
  exportLocation: 's3://cur-exports/focus/sentinel/data',
  from: 'sentinel@example.com',
  finops: 'finops@example.com',
  eventBus: 'default',
  detectSchedule: 'cron(0 6 ? * MON *)',
  followUpSchedule: 'rate(1 hour)',
  bytesScannedCutoff: '107374182400',
};
const ENFORCE = {
  ...VALID,
  killSwitch: 'enforce',
  killSwitchAccounts: '222233334444, 333344445555',
  killSwitchOUs: 'ou-ab12-cd34ef56',
  breakGlassRole: 'arn:aws:iam::*:role/BreakGlass',
};
const VALUES: TemplateValues = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '444455556666',
  'AWS::URLSuffix': 'amazonaws.com',
  StateBucket: 'sentinel-state-example',
  SigningSecret: 'arn:aws:secretsmanager:us-east-1:444455556666:secret:SigningSecret-Ab12Cd',
  HttpApi: 'abc123',
};

const configOf = (raw: Record<string, unknown>) =>
  parseConfig(JSON.parse(resolveIntrinsics(sentinelConfigOf(derive(raw, 'prod')), VALUES) as string));

describe('deploy parameters of the kill switch', () => {
  it('leave it off by default: no kill_switch in the configuration', () => {
    expect(configOf(VALID).kill_switch).toMatchObject({ mode: 'off', transport: 'local' });
  });

  it('turn into kill_switch on the organizations transport, which the schema accepts', () => {
    expect(configOf(ENFORCE).kill_switch).toMatchObject({
      mode: 'enforce',
      transport: 'organizations',
      accounts: ['222233334444', '333344445555'],
      organizational_units: ['ou-ab12-cd34ef56'],
      break_glass_role: 'arn:aws:iam::*:role/BreakGlass',
    });
    expect(
      configOf({ ...VALID, killSwitch: 'dry-run', killSwitchOUs: 'ou-ab12-cd34ef56' }).kill_switch.mode,
    ).toBe('dry-run');
  });

  it.each([
    [{ killSwitch: 'on' }, /parameter killSwitch: 'on' is not one of off, dry-run, enforce/],
    [
      { killSwitch: 'enforce' },
      /parameter killSwitchAccounts: killSwitch=enforce needs at least one account/,
    ],
    [{ killSwitchAccounts: '2222' }, /parameter killSwitchAccounts: '2222' is not a 12-digit account id/],
    [{ killSwitchOUs: 'sandbox' }, /parameter killSwitchOUs: 'sandbox' is not an organizational unit id/],
    [{ breakGlassRole: 'BreakGlass' }, /parameter breakGlassRole: 'BreakGlass' is not an IAM role ARN/],
  ])('refuse %o naming the parameter', (change, message) => {
    expect(() => derive({ ...VALID, ...change }, 'prod')).toThrow(message);
  });
});

describe('the roles with the kill switch, evaluated as IAM would (iam-simulate)', () => {
  const ORG = 'arn:aws:organizations::111111111111';
  const OUR_POLICY = `${ORG}:policy/o-a1b2c3d4e5/service_control_policy/p-k1llsw1t`;
  const TEAM_POLICY = `${ORG}:policy/o-a1b2c3d4e5/service_control_policy/p-teamguard`;
  const ACCOUNT = `${ORG}:account/o-a1b2c3d4e5/222233334444`;
  const ROOT = `${ORG}:root/o-a1b2c3d4e5/r-a1b2`;
  const ours = { 'aws:ResourceTag/ai-spend-sentinel': 'kill-switch' };

  const decide = async (
    raw: Record<string, unknown>,
    role: string,
    action: string,
    resource: string,
    context: Record<string, string> = {},
  ) => {
    const template = { Resources: roles(derive(raw, 'prod')) };
    const policy: PolicyDocument = rolePolicy(template, role, VALUES);
    const principal = { arn: roleArn(template, role, VALUES), account: VALUES['AWS::AccountId']! };
    const decision = await evaluate({ action, resource, context, why: 'test' }, policy, principal);
    expect(decision.error, `${action} ${resource}`).toBeUndefined();
    return decision.allowed;
  };

  it.each(['DetectRole', 'FollowUpRole', 'AckRole'])(
    '%s may attach and detach only our tagged stop policies, to accounts only, and only when the switch is on',
    async (role) => {
      for (const action of ['organizations:AttachPolicy', 'organizations:DetachPolicy']) {
        expect(await decide(ENFORCE, role, action, OUR_POLICY, ours), action).toBe(true);
        expect(await decide(ENFORCE, role, action, ACCOUNT), action).toBe(true);
        expect(
          await decide(ENFORCE, role, action, TEAM_POLICY, { 'aws:ResourceTag/team': 'x' }),
          action,
        ).toBe(false);
        expect(await decide(ENFORCE, role, action, ROOT), action).toBe(false);
        expect(await decide(VALID, role, action, OUR_POLICY, ours), action).toBe(false);
      }
      expect(
        await decide(ENFORCE, role, 'organizations:ListPolicies', '*', {
          'organizations:PolicyType': 'SERVICE_CONTROL_POLICY',
        }),
      ).toBe(true);
      expect(
        await decide(VALID, role, 'organizations:ListPolicies', '*', {
          'organizations:PolicyType': 'SERVICE_CONTROL_POLICY',
        }),
      ).toBe(false);
    },
  );

  it('lets the answer endpoint log its release and take the delivery lease only when the switch is on', async () => {
    const state = 'arn:aws:s3:::sentinel-state-example/state';
    for (const [action, key] of [
      ['s3:PutObject', 'kill-switch/actions/a1b2.json'],
      ['s3:GetObject', 'kill-switch/actions/a1b2.json'],
      ['s3:PutObject', 'locks/notify.json'],
      ['s3:DeleteObject', 'locks/notify.json'],
    ] as const) {
      expect(await decide(ENFORCE, 'AckRole', action, `${state}/${key}`), `${action} ${key}`).toBe(true);
      expect(await decide(VALID, 'AckRole', action, `${state}/${key}`), `${action} ${key}`).toBe(false);
    }
    // Still no deletes in the case store.
    expect(await decide(ENFORCE, 'AckRole', 's3:DeleteObject', `${state}/cases/k.json`)).toBe(false);
  });
});
