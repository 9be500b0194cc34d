/** Terminal summary of cases and messages for `run`, `follow-up` and `demo`. */

import type { CaseSummary } from '../core/cases/apply.js';
import { episodeFigures } from '../core/cases/episode.js';
import type { CaseRecord } from '../core/cases/model.js';
import type { DeliveryReport } from '../core/deliver/deliver.js';
import { detectorFor } from '../core/detect/registry.js';

/**
 * The case's episode as its emails tell it (docs/emails.md "The episode"): an ongoing one by its
 * latest day, an ended one by its spike, its end day and what it cost above the baseline so far.
 */
export function describeEpisode(record: CaseRecord): string {
  return detectorFor(record.latest).describeEpisode(episodeFigures(record), record.peak, record.latest);
}

/** One line per case: state, severity, kind, account, first firing day, the episode's numbers. */
export function caseSummaryLines(cases: CaseSummary[], records: Map<string, CaseRecord>): string[] {
  return cases.map((c) => {
    const record = records.get(c.caseKey);
    const who = `${c.accountId} ${c.accountName}${c.model ? ` · ${c.model}` : ''}`;
    const numbers = record ? describeEpisode(record) : '';
    const owner = c.routed === false ? 'FinOps (unroutable)' : (c.ownerEmail ?? '');
    return `${c.state.toUpperCase().padEnd(12)} ${c.severity.padEnd(8)} ${c.kind.padEnd(16)} ${who} — first ${c.firstAsOf}, latest ${c.lastAsOf}: ${numbers} → ${owner}`;
  });
}

export function deliveryLines(delivery: DeliveryReport, outboxDir: string | null): string[] {
  const lines: string[] = [];
  if (!delivery.leaseTaken) lines.push('another process is sending: due emails left to the next run');
  // The kill switch's actions (docs/kill-switch.md), before the emails that tell of them.
  for (const a of delivery.killSwitch ?? []) {
    const what = a.status === 'failed' ? `failed   kill switch ${a.action}` : `kill switch ${a.action}`;
    lines.push(`${what} on ${a.account_id} (case ${a.case_key}): ${a.error ?? a.explanation}`);
  }
  for (const m of delivery.messages) {
    const cc = m.cc.length > 0 ? ` cc ${m.cc.join(', ')}` : '';
    lines.push(
      `${m.status.padEnd(8)} ${m.kind.padEnd(13)} to ${m.to.join(', ')}${cc}: ${m.subject}${m.error ? ` (${m.error})` : ''}`,
    );
  }
  if (outboxDir && delivery.messages.some((m) => m.status === 'sent')) lines.push(`emails in ${outboxDir}`);
  return lines;
}
