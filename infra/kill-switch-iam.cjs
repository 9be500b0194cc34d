'use strict';
/**
 * IAM statements for a function that engages or releases the kill switch through AWS Organizations
 * (docs/kill-switch.md "IAM scope"). To be added to the role of each function that acts on the switch.
 *
 * Organizations puts no policy name in a policy's ARN
 * (`arn:aws:organizations::<management account>:policy/o-<org>/service_control_policy/p-<id>`) and has no
 * condition key for it, so "our policies" are the SCPs carrying the marker tag
 * `ai-spend-sentinel = kill-switch`, which every policy the adapter creates must carry (`aws:RequestTag`):
 * - read, change, attach, detach and delete: only SCPs with the marker (`aws:ResourceTag`);
 * - attach and detach: only to or from accounts, never a root or an organizational unit;
 * - create: only SCPs (`organizations:PolicyType`) tagged with the marker and only our three tag keys;
 * - tag: only our three tag keys with the marker (Organizations also requires TagResource to create a
 *   policy with tags, before the new policy has any tag to match);
 * - ListPolicies (SCPs only), DescribeOrganization: no resource to scope;
 * - ListAccountsForParent, ListChildren: organizational units only (never the root); a unit's ARN does
 *   not show its parent, so nested units cannot be told apart from others.
 * What IAM cannot scope is listed in docs/kill-switch.md.
 */

const MARKER_TAG = 'ai-spend-sentinel';
const MARKER_VALUE = 'kill-switch';
const TAG_KEYS = [MARKER_TAG, 'ai-spend-sentinel:case-key', 'ai-spend-sentinel:engaged-at'];
const SCP = 'SERVICE_CONTROL_POLICY';

const sub = (text) => ({ 'Fn::Sub': text });

/**
 * @param {{ managementAccountId?: string }} [options] the organization's management account id; `*` (the
 *   default) when not known at deploy time. The policy ARNs always hold the management account, also when a
 *   delegated member account makes the calls.
 * @returns {object[]} IAM policy statements (CloudFormation: ARNs in `Fn::Sub` for the partition)
 */
function killSwitchStatements(options = {}) {
  const management = options.managementAccountId ?? '*';
  if (management !== '*' && !/^\d{12}$/.test(management)) {
    throw new Error(`managementAccountId '${management}' is not a 12-digit account id`);
  }
  const organizations = `arn:\${AWS::Partition}:organizations::${management}`;
  const stopPolicies = sub(`${organizations}:policy/o-*/service_control_policy/p-*`);
  return [
    {
      Sid: 'KillSwitchFindStopPolicies',
      Effect: 'Allow',
      Action: ['organizations:ListPolicies'],
      Resource: '*',
      Condition: { StringEquals: { 'organizations:PolicyType': SCP } },
    },
    {
      Sid: 'KillSwitchReadOrganization',
      Effect: 'Allow',
      Action: ['organizations:DescribeOrganization'],
      Resource: '*',
    },
    {
      Sid: 'KillSwitchReadUnits',
      Effect: 'Allow',
      Action: ['organizations:ListAccountsForParent', 'organizations:ListChildren'],
      Resource: sub(`${organizations}:ou/o-*/ou-*`),
    },
    {
      Sid: 'KillSwitchCreateStopPolicies',
      Effect: 'Allow',
      Action: ['organizations:CreatePolicy'],
      Resource: stopPolicies,
      Condition: {
        StringEquals: { 'organizations:PolicyType': SCP, [`aws:RequestTag/${MARKER_TAG}`]: MARKER_VALUE },
        'ForAllValues:StringEquals': { 'aws:TagKeys': TAG_KEYS },
      },
    },
    {
      Sid: 'KillSwitchTagStopPolicies',
      Effect: 'Allow',
      Action: ['organizations:TagResource'],
      Resource: stopPolicies,
      Condition: {
        StringEquals: { [`aws:RequestTag/${MARKER_TAG}`]: MARKER_VALUE },
        'ForAllValues:StringEquals': { 'aws:TagKeys': TAG_KEYS },
      },
    },
    {
      Sid: 'KillSwitchManageStopPolicies',
      Effect: 'Allow',
      Action: [
        'organizations:DescribePolicy',
        'organizations:ListTargetsForPolicy',
        'organizations:ListTagsForResource',
        'organizations:UpdatePolicy',
        'organizations:AttachPolicy',
        'organizations:DetachPolicy',
        'organizations:DeletePolicy',
      ],
      Resource: stopPolicies,
      Condition: { StringEquals: { [`aws:ResourceTag/${MARKER_TAG}`]: MARKER_VALUE } },
    },
    {
      // AttachPolicy and DetachPolicy are authorized on the policy and on the target: accounts only.
      Sid: 'KillSwitchStopAccountsOnly',
      Effect: 'Allow',
      Action: ['organizations:AttachPolicy', 'organizations:DetachPolicy'],
      Resource: sub(`${organizations}:account/o-*/*`),
    },
  ];
}

module.exports = { killSwitchStatements, MARKER_TAG, MARKER_VALUE, TAG_KEYS };
