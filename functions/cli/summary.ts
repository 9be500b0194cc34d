/** The terminal summary of findings: one line per case, with its first firing day and latest numbers. */
import { daysBetween } from '../core/dates.js';
import { money } from '../core/format.js';
import type { Finding } from '../core/types.js';

const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);

export function describeFinding(f: Finding): string {
  if (f.detector === 'runaway-inference') {
    const ratio =
      f.spike_ratio === null
        ? 'no baseline'
        : `${f.spike_ratio.toFixed(2)}× ${money(f.baseline_avg_daily_usd)}/day`;
    return `${money(f.recent_avg_daily_usd)}/day (${ratio}), since ${f.started_on}, +${money(f.projected_30d_excess_usd)} per 30 days`;
  }
  const days = daysBetween(f.recent_start, f.recent_end) + 1;
  return `hit ratio ${pct(f.cache_hit_ratio)} (baseline ${pct(f.baseline_cache_hit_ratio)}), avoidable ${money(f.avoidable_cost_usd ?? 0)} per ${days} days, +${money(f.projected_30d_excess_usd)} per 30 days`;
}

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
