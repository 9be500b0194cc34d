/** How a detection run did against the labelled incidents of a synthetic organization. */

import { caseDetectorOf } from '../core/detect/registry.js';
import type { Finding } from '../core/types.js';
import type { AccountProfile, IncidentLabel } from './organization.js';

export interface IncidentResult {
  label: IncidentLabel;
  found: boolean;
  /** First as-of day a matching finding fired (null when missed). */
  firstFiredOn: string | null;
  findings: number;
}

export interface Tally {
  incidents: IncidentResult[];
  /** Findings on accounts with no injected incident: false alarms. */
  falseFindings: Finding[];
  /** Findings on an incident account that match none of its labels (wrong detector, kind or model). */
  strayFindings: Finding[];
  /**
   * Budget findings that follow from what was injected: an account whose runaway also breaks its
   * monthly budget, or AgentCore money (no inference, so no runaway, but a budget counts it).
   */
  followOnBudget: Finding[];
}

const matches = (label: IncidentLabel, f: Finding) =>
  f.account_id === label.account_id &&
  f.detector === label.detector &&
  f.kind === label.kind &&
  (label.model === null || f.model === label.model);

/** Patterns whose money a budget counts although no inference detector should fire on them. */
const BUDGET_MONEY_PATTERNS = new Set(['agentcore-growth']);

export function tallyFindings(
  labels: IncidentLabel[],
  findings: Finding[],
  accounts: Pick<AccountProfile, 'account_id' | 'pattern'>[] = [],
): Tally {
  const incidentAccounts = new Set(labels.map((l) => l.account_id));
  const budgetMoney = new Set(
    accounts.filter((a) => BUDGET_MONEY_PATTERNS.has(a.pattern)).map((a) => a.account_id),
  );
  // A finding its detector says another detector's incident explains (a runaway's month over budget).
  const followsOn = (f: Finding) => {
    const explainers = caseDetectorOf(f.detector).explainedBy?.(f.kind) ?? [];
    return (
      explainers.length > 0 &&
      (budgetMoney.has(f.account_id) ||
        labels.some((l) => l.account_id === f.account_id && explainers.includes(l.detector))) &&
      !labels.some((l) => matches(l, f))
    );
  };
  const incidents = labels.map((label) => {
    const hits = findings.filter((f) => matches(label, f)).sort((a, b) => a.as_of.localeCompare(b.as_of));
    return { label, found: hits.length > 0, firstFiredOn: hits[0]?.as_of ?? null, findings: hits.length };
  });
  return {
    incidents,
    falseFindings: findings.filter((f) => !incidentAccounts.has(f.account_id) && !followsOn(f)),
    strayFindings: findings.filter(
      (f) => incidentAccounts.has(f.account_id) && !labels.some((l) => matches(l, f)) && !followsOn(f),
    ),
    followOnBudget: findings.filter(followsOn),
  };
}

export function tallyLines(tally: Tally): string[] {
  const lines: string[] = [];
  const found = tally.incidents.filter((i) => i.found).length;
  lines.push(`Injected incidents found: ${found} of ${tally.incidents.length}`);
  for (const i of tally.incidents) {
    const what = `${i.label.family.padEnd(17)} ${i.label.account_id} ${i.label.kind}${i.label.model ? ` (${i.label.model})` : ''}, began ${i.label.start}`;
    lines.push(
      i.found
        ? `  found   ${what} — first fired as of ${i.firstFiredOn} (${i.findings} finding${i.findings === 1 ? '' : 's'})`
        : `  MISSED  ${what}`,
    );
  }
  lines.push(`Findings on accounts with no incident: ${tally.falseFindings.length}`);
  for (const f of tally.falseFindings) {
    lines.push(
      `  false alarm: ${f.account_id} ${f.account_name} ${f.kind}${f.model ? ` ${f.model}` : ''} as of ${f.as_of}`,
    );
  }
  if (tally.followOnBudget.length > 0) {
    const accounts = [...new Set(tally.followOnBudget.map((f) => `${f.account_id} ${f.account_name}`))];
    lines.push(
      `Budget findings that follow from them (a runaway also breaks the monthly budget; AgentCore money counts): ${tally.followOnBudget.length}, on ${accounts.join(', ')}`,
    );
  }
  if (tally.strayFindings.length > 0) {
    lines.push(`Findings on incident accounts that match no label: ${tally.strayFindings.length}`);
    for (const f of tally.strayFindings)
      lines.push(`  stray: ${f.account_id} ${f.kind}${f.model ? ` ${f.model}` : ''} as of ${f.as_of}`);
  }
  return lines;
}
