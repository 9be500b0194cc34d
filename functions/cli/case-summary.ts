/** Terminal summary of cases and messages for `run`, `follow-up` and `demo`. */

import type { CaseSummary } from '../core/cases/apply.js';
import type { CaseRecord } from '../core/cases/model.js';
import type { DeliveryReport } from '../core/deliver/deliver.js';
import { detectorFor } from '../core/detect/registry.js';
import { describeFinding } from './summary.js';

/**
 * The case's episode as its emails tell it (docs/emails.md): an ongoing one by its latest numbers, an
 * ended one by its peak, its end day and what it cost above the baseline so far.
 */
export function describeEpisode(record: CaseRecord): string {
  const episode = record.episode;
  if (!episode || episode.ongoing || !episode.end_day) return describeFinding(record.latest);
  return detectorFor(record.latest).describeEnded(record.peak ?? record.latest, {
    end_day: episode.end_day,
    rate_since_usd: episode.rate_since_usd,
    excess_so_far_usd: episode.excess_so_far_usd,
  });
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
  for (const m of delivery.messages) {
    const cc = m.cc.length > 0 ? ` cc ${m.cc.join(', ')}` : '';
    lines.push(
      `${m.status.padEnd(8)} ${m.kind.padEnd(13)} to ${m.to.join(', ')}${cc}: ${m.subject}${m.error ? ` (${m.error})` : ''}`,
    );
  }
  if (outboxDir && delivery.messages.some((m) => m.status === 'sent')) lines.push(`emails in ${outboxDir}`);
  return lines;
}
