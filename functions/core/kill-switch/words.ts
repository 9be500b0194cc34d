/**
 * The kill switch in words (docs/kill-switch.md): why a case qualified and why a stop was lifted, told
 * once here for the case events, the emails, the answer page and the CLI.
 */
import type { CaseKillSwitch, KillSwitchReleaseCause } from '../cases/model.js';
import type { FindingKind } from '../types.js';

/** What a case is about, in the words the emails' headings use. */
const KIND_WORDS: Partial<Record<FindingKind, string>> = {
  runaway: 'runaway Bedrock spend',
  'new-spender': 'new Bedrock spend',
  'daily-cap': 'Bedrock spend over its daily cap',
  'month-over-month': 'Bedrock spend on course past its monthly budget',
  'workflow-cap': 'a workflow over its uncached-input cap',
};

/** `this high case (Bedrock spend over its daily cap) opened`. */
export function qualifyingWords(
  kind: FindingKind,
  record: Pick<CaseKillSwitch, 'change' | 'severity'>,
): string {
  const what = KIND_WORDS[kind] ?? kind;
  switch (record.change) {
    case 'opened':
      return `this ${record.severity} case (${what}) opened`;
    case 'reopened':
      return `this ${record.severity} case (${what}) re-opened`;
    case 'rose':
      return `this case (${what}) rose to ${record.severity}`;
    default:
      return `a stop policy for this ${record.severity} case (${what}) was found attached`;
  }
}

/** Why a stop was lifted: `the owner answered that the spend is stopped (ana@example.com)`. */
export function releaseWords(cause: KillSwitchReleaseCause, by: string | null): string {
  const who = by ? ` (${by})` : '';
  switch (cause) {
    case 'answer-stopped':
      return `the owner answered that the spend is stopped${who}`;
    case 'answer-legitimate':
      return `the owner answered that the spend is legitimate${who}`;
    case 'case-resolved':
      return 'the case resolved';
    case 'case-suppressed':
      return 'the case was suppressed';
    case 'finops-cli':
      return `FinOps released it with sentinel kill-switch release${who}`;
    case 'finops-link':
      return `FinOps released it with the digest's release link${who}`;
    case 'policy-gone':
      return 'the stop policy is no longer attached (removed outside the service)';
  }
}
