/** The budget section of bench/QUALITY.md. */
import type { SentinelConfig } from '../../../functions/core/config.js';
import type { BudgetResults } from './run.js';
import { BENCH_WORKFLOW_CAP_TOKENS, BUDGET_FAMILIES, BUDGET_FAMILY_IDS } from './scenarios.js';

export const BUDGET_SECTION_TITLE = '## Budget (`budget`)';

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

export function renderBudgetSection(results: BudgetResults, config: SentinelConfig): string {
  const b = config.detectors.budget;
  const lines: string[] = [
    BUDGET_SECTION_TITLE,
    '',
    `${results.options.seeds} seeds × ${BUDGET_FAMILY_IDS.length} families, one account each, ${results.rows.toLocaleString('en-US')} FOCUS rows; the \`budget\` detector alone over every as-of day of each scenario's 28-day range, at the shipped defaults (month-over-month at ${b.month_over_month_ratio}× last month with floors $${b.min_last_month_usd} and +$${b.min_increase_usd}, $${b.daily_cap_usd}/day on ${b.capped_environments.join('/')} accounts, recurring hold-back ${b.recurring_match}) plus a workflow cap of ${BENCH_WORKFLOW_CAP_TOKENS / 1e6} M uncached input tokens a day (off as shipped). The main library's families above are not rerun differently: their numbers are unchanged by this section. ${results.seconds} s.`,
    '',
    "Caught = a finding of the family's kind from the incident's first day to its deadline (a month-over-month breach must be seen inside its month; the others by the end of the range). False = any budget finding on a benign account or before the incident (another budget kind after the incident's start follows from it and is not judged); counted per account-week as above. Delay = days from the first day there was something to see to the first finding.",
    '',
    '| family | kind | n | recall | FP / 100 aw | false findings | median delay | worst delay | what it is |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  let incidents = 0;
  let caught = 0;
  let benignWeeks = 0;
  let benignFalse = 0;
  for (const id of BUDGET_FAMILY_IDS) {
    const s = results.scores.get(id)!;
    const info = BUDGET_FAMILIES[id];
    const fp = s.exposedWeeks > 0 ? ((100 * s.falseWeeks) / s.exposedWeeks).toFixed(2) : '—';
    if (info.kind) {
      incidents += s.scenarios;
      caught += s.caught;
    } else {
      benignWeeks += s.exposedWeeks;
      benignFalse += s.falseWeeks;
    }
    lines.push(
      `| ${id} | ${info.kind ?? 'benign'} | ${s.scenarios} | ${info.kind ? (s.caught / s.scenarios).toFixed(3) : '—'} | ${fp} | ${s.falseFindings} | ${median(s.delays) ?? '—'} | ${s.delays.length ? Math.max(...s.delays) : '—'} | ${info.summary} |`,
    );
  }
  lines.push(
    '',
    `Budget incident families: recall ${(caught / Math.max(1, incidents)).toFixed(3)} (${caught} of ${incidents}); benign families: ${((100 * benignFalse) / Math.max(1, benignWeeks)).toFixed(2)} false alarms per 100 account-weeks (${benignFalse} of ${benignWeeks}).`,
    '',
    'one-off-on-the-1st stays quiet because of the one-day hold-back of month-over-month (docs/detection.md "Budget": a day above 3× the mean of the other six of the run rate counts in the month to date but is not extrapolated); the slow climb stays quiet because a forecast from a rising run rate trails the month it forecasts. The delay of step-mid-month is the days the forecast needs to reach 2× after the step.',
  );
  return lines.join('\n');
}
