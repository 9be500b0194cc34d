/** The terminal summary of findings: one line per case, with its first firing day and latest numbers. */
import { detectorFor } from '../core/detect/registry.js';
import type { Finding } from '../core/types.js';

/** A finding's numbers in one line, in its detector's words. */
export const describeFinding = (f: Finding): string => detectorFor(f).describe(f);

export function caseLines(findings: Finding[]): string[] {
  const byCase = new Map<string, Finding[]>();
  for (const f of findings) byCase.set(f.case_key, [...(byCase.get(f.case_key) ?? []), f]);
  const cases = [...byCase.values()].map((list) => {
    const sorted = [...list].sort((a, b) => a.as_of.localeCompare(b.as_of));
    return { first: sorted[0]!, latest: sorted[sorted.length - 1]!, days: sorted.length };
  });
  cases.sort((a, b) => b.latest.projected_30d_excess_usd - a.latest.projected_30d_excess_usd);
  return cases.map(({ first, latest, days }) => {
    const who = `${latest.account_id} ${latest.account_name}${latest.model ? ` · ${latest.model}` : ''}`;
    return `${latest.severity.toUpperCase().padEnd(8)} ${latest.kind.padEnd(16)} ${who} — first ${first.as_of}, latest ${latest.as_of}${days > 1 ? ` (${days} days)` : ''}: ${describeFinding(latest)}`;
  });
}
