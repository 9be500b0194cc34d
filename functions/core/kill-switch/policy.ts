/**
 * The kill switch's Service Control Policy (docs/kill-switch.md "What the stop denies"): one document per
 * engaged account that denies the Bedrock actions which run inference and bill tokens, for every principal
 * of that account except the break-glass role. Nothing else is denied: the account's other AWS use, and
 * Bedrock's read-only and management APIs (listing models, cancelling a job), keep working.
 *
 * An SCP cannot name principals (`Principal` and `NotPrincipal` are not allowed in SCPs), so the
 * break-glass exemption is a condition on `aws:PrincipalArn`.
 */
import type { PolicyDocument } from '../ports.js';

/** Every stop policy's name starts with this; the rest is the account id (docs/kill-switch.md). */
export const STOP_POLICY_PREFIX = 'ai-spend-sentinel-stop-';

/** AWS Organizations' limit on one SCP document, in characters. */
export const SCP_MAX_CHARACTERS = 5120;

/**
 * The denied actions, each with why (docs/kill-switch.md lists the source of each). Converse, ConverseStream,
 * StartAsyncInvoke and InvokeModelWithBidirectionalStream have no IAM action of their own: AWS authorizes them
 * as `bedrock:InvokeModel` / `bedrock:InvokeModelWithResponseStream`.
 */
export const DENIED_ACTIONS = [
  // InvokeModel, Converse, StartAsyncInvoke, InvokeModelWithBidirectionalStream, and the OpenAI-compatible
  // Chat Completions / Responses calls on the bedrock-runtime endpoint.
  'bedrock:InvokeModel',
  // InvokeModelWithResponseStream and ConverseStream.
  'bedrock:InvokeModelWithResponseStream',
  // Every call made with an Amazon Bedrock API key (bearer token) on the bedrock-runtime endpoint.
  'bedrock:CallWithBearerToken',
  // The Mantle endpoint (bedrock-mantle): Responses, Chat Completions and Messages APIs.
  'bedrock-mantle:CreateInference',
  // Every call made with an API key on the Mantle endpoint.
  'bedrock-mantle:CallWithBearerToken',
  // Batch inference: the job's service role needs only S3, so denying InvokeModel does not stop a new job.
  'bedrock:CreateModelInvocationJob',
  // Agents, flows and knowledge-base generation: their model calls are also InvokeModel (by a service role
  // of the account, which the SCP covers), denied here at the entry for a clear error.
  'bedrock:InvokeAgent',
  'bedrock:InvokeInlineAgent',
  'bedrock:InvokeFlow',
  'bedrock:StartFlowExecution',
  'bedrock:RetrieveAndGenerate',
] as const;

export type DeniedAction = (typeof DENIED_ACTIONS)[number];

export const stopPolicyName = (accountId: string): string => `${STOP_POLICY_PREFIX}${accountId}`;

/** The account id a stop policy's name holds, or null for any other name. */
export function accountOfStopPolicy(name: string): string | null {
  if (!name.startsWith(STOP_POLICY_PREFIX)) return null;
  const account = name.slice(STOP_POLICY_PREFIX.length);
  return /^\d{12}$/.test(account) ? account : null;
}

export interface StopPolicyInput {
  /** `kill_switch.break_glass_role`: an IAM role ARN pattern left untouched, or null (nobody is). */
  break_glass_role: string | null;
}

/** The SCP document attached to an engaged account (the same for every account). */
export function stopPolicy(input: StopPolicyInput): PolicyDocument {
  const statement: Record<string, unknown> = {
    Sid: 'AiSpendSentinelStopsBedrockInference',
    Effect: 'Deny',
    Action: [...DENIED_ACTIONS],
    Resource: '*',
  };
  if (input.break_glass_role !== null) {
    statement.Condition = { ArnNotLike: { 'aws:PrincipalArn': input.break_glass_role } };
  }
  return { Version: '2012-10-17', Statement: [statement] };
}

/** The document as sent to Organizations (compact JSON; its length is what the SCP limit counts). */
export const policyContent = (document: PolicyDocument): string => JSON.stringify(document);
