/** The hourly section of bench/QUALITY.md. */
import { HOURLY_NOTES } from './notes.js';
import type { HourlyResults } from './run.js';
import {
  EVALUATED_DAYS,
  HISTORY_DAYS,
  HOURLY_FAMILIES,
  HOURLY_FAMILY_IDS,
  type HourlyFamilyId,
} from './scenarios.js';
import { type HourlyScore, hourlyTotals, median, per100 } from './score.js';

export const HOURLY_TARGETS = { recall: 0.98, fpPer100: 0.5 };
/** The section's heading: `--hourly-only` replaces the report from here on. */
export const HOURLY_SECTION_TITLE = '## The hourly watch (`runaway-watch`)';

const f3 = (v: number | null) => (v === null ? '—' : v.toFixed(3));
const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));
const f1 = (v: number | null) => (v === null ? '—' : v.toFixed(1));
const worst = (values: number[]) => (values.length === 0 ? null : Math.max(...values));
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

const isTargetIncident = (f: HourlyFamilyId) =>
  HOURLY_FAMILIES[f].kinds !== null && HOURLY_FAMILIES[f].targetHours !== null && f !== 'context-growth';
const isTargetBenign = (f: HourlyFamilyId) => HOURLY_FAMILIES[f].targetBenign;

export function renderHourlySection(results: HourlyResults): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const scores = [...results.scores.values()];
  const score = (f: HourlyFamilyId) => results.scores.get(f);
  const p = results.params;
  line(HOURLY_SECTION_TITLE);
  line();
  line(
    `The watch's rule over Bedrock's hourly usage metrics (docs/watch.md "The rule"), judged on its own labelled library: ${results.options.seeds} seeds × ${HOURLY_FAMILY_IDS.length} families = ${results.scenarios} accounts (${results.rows.toLocaleString('en-US')} metric rows), each with ${HISTORY_DAYS} days of history and ${EVALUATED_DAYS} evaluated days; every one of the ${results.evaluatedHours.toLocaleString('en-US')} evaluated account-hours judged as the watch judges a whole hour once it has ended. Tuning grid on ${results.options.tuneSeeds} separate seeds. ${results.seconds} s${results.options.quick ? ' (`--quick`: a smoke run, too few seeds to read much into)' : ''}.`,
  );
  line();
  line(
    `Shipped: \`recent_hours\` ${p.recent_hours}, \`min_slot_ratio\` ${p.min_slot_ratio}, \`min_increase_ratio\` ${p.min_increase_ratio}, \`min_hourly_increase_usd\` ${p.min_hourly_increase_usd}, \`min_baseline_hourly_usd\` ${p.min_baseline_hourly_usd}, \`min_baseline_hours\` ${p.min_baseline_hours}, \`new_spender_hourly_usd\` ${p.new_spender_hourly_usd}; context growth ×${p.context_growth_ratio} for ${p.context_growth_hours} h with invocations under ×${p.context_max_invocation_ratio}, on at least $${p.context_min_hourly_usd}/h.`,
  );
  line();

  const incident = hourlyTotals(scores, isTargetIncident);
  const loops = ['loop-night', 'loop-business-hours', 'loop-weekend', 'new-spender'] as HourlyFamilyId[];
  const loopTotals = hourlyTotals(scores, (f) => loops.includes(f));
  const ramp = hourlyTotals(scores, (f) => f === 'ramp-6h');
  const benign = hourlyTotals(scores, isTargetBenign);
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  const loopRecall = ratio(loopTotals.caughtInTarget, loopTotals.incidents) ?? 0;
  const rampRecall = ratio(ramp.caughtInTarget, ramp.incidents) ?? 0;
  const benignFp = per100(benign.falseWeeks, benign.exposedWeeks) ?? 0;
  line('### Targets (docs/watch.md)');
  line();
  line('| target | measured (shipped parameters) | |');
  line('|---|---|---|');
  line(
    `| loops at night, in business hours, at the weekend and new spenders caught within 3 hours of the start: recall ≥ ${HOURLY_TARGETS.recall} | ${f3(loopRecall)} (${loopTotals.caughtInTarget} of ${loopTotals.incidents}) | ${met(loopRecall >= HOURLY_TARGETS.recall)} |`,
  );
  line(
    `| the 6-hour ramp caught within 6 hours: recall ≥ ${HOURLY_TARGETS.recall} | ${f3(rampRecall)} (${ramp.caughtInTarget} of ${ramp.incidents}) | ${met(rampRecall >= HOURLY_TARGETS.recall)} |`,
  );
  line(
    `| ≤ ${HOURLY_TARGETS.fpPer100} false alarms per 100 account-weeks on the benign families | ${f2(benignFp)} (${benign.falseWeeks} of ${benign.exposedWeeks} account-weeks) | ${met(benignFp <= HOURLY_TARGETS.fpPer100)} |`,
  );
  line();
  line(
    `All incident families with a target: recall in target ${f3(ratio(incident.caughtInTarget, incident.incidents))}, median delay ${f1(median(incident.delays))} h, worst ${f1(worst(incident.delays))} h.`,
  );
  line();

  line('### Per family');
  line();
  line(
    'Recall = incidents caught at all / in target; delay = hours from the incident start to the end of the first hour that fired (median, worst); FP = false account-weeks per 100 exposed (all kinds; runaway and new-spender; context-growth); false hours = firing hours that should have been quiet.',
  );
  line();
  line(
    '| family | label | n | recall | recall in target | median delay h | worst delay h | FP / 100 aw | runaway FP | context FP | false hours |',
  );
  line('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const family of HOURLY_FAMILY_IDS) {
    const s = score(family);
    if (!s) continue;
    const info = HOURLY_FAMILIES[family];
    const label = info.kinds
      ? `incident: ${info.kinds[0]}${info.targetHours ? ` (≤ ${info.targetHours} h)` : ''}`
      : info.targetBenign
        ? 'benign'
        : 'benign (reported apart)';
    line(
      `| ${family} | ${label} | ${s.instances} | ${info.kinds ? f3(ratio(s.caught, s.incidents)) : '—'} | ${info.kinds ? f3(ratio(s.caughtInTarget, s.incidents)) : '—'} | ${f1(median(s.delays))} | ${f1(worst(s.delays))} | ${f2(per100(s.falseWeeks, s.exposedWeeks))} | ${f2(per100(s.falseWeeksRunaway, s.exposedWeeks))} | ${f2(per100(s.falseWeeksContext, s.exposedWeeks))} | ${s.falseHours} |`,
    );
  }
  line();

  const t = results.twoStage;
  line('### The two-stage read');
  line();
  line(
    `The first stage reads input and output tokens only (2 metrics per account and model id); its screen (the rule at ${'`SCREEN_FACTOR`'} 0.3 of its bars, one hour) asks for the other metrics of an account whose estimate rose. On the evaluation seeds: the screen flagged ${t.escalatedHours.toLocaleString('en-US')} of ${t.accountHours.toLocaleString('en-US')} account-hours (${f3(ratio(t.escalatedHours, t.accountHours))}); the two-stage read keeps ${t.sameFindings} of the full read's ${t.findings} runaway and new-spender findings, and catches ${t.sameCatch} of ${t.incidents} incidents at the same hour as the full read. Context growth needs invocations: it is judged on the full metrics the watch reads once a day for every account (docs/watch.md "Regions and cost").`,
  );
  line();

  if (results.grid.length > 0) {
    line('### Tuning grid');
    line();
    line(
      `On ${results.options.tuneSeeds} tuning seeds (disjoint from the evaluation seeds); each point re-judges the same priced hours, every knob not named at its shipped value (◀). Recall in target over the loop, ramp and new-spender families; FP over the benign families (runaway and new-spender / context-growth); bursts = false account-weeks per 100 on the one-hour burst family.`,
    );
    line();
    line(
      '| grid point | recall in target | median delay h | worst delay h | FP / 100 aw | runaway FP | context FP | bursts | context recall |',
    );
    line('|---|---|---|---|---|---|---|---|---|');
    for (const g of results.grid) {
      const list = [...g.scores.values()];
      const inc = hourlyTotals(list, isTargetIncident);
      const ben = hourlyTotals(list, isTargetBenign);
      const burst = hourlyTotals(list, (f) => f === 'one-hour-burst');
      const ctx = hourlyTotals(list, (f) => f === 'context-growth');
      line(
        `| ${g.point.name || 'shipped'}${g.point.name === '' ? ' ◀' : ''} | ${f3(ratio(inc.caughtInTarget, inc.incidents))} | ${f1(median(inc.delays))} | ${f1(worst(inc.delays))} | ${f2(per100(ben.falseWeeks, ben.exposedWeeks))} | ${f2(per100(ben.falseWeeksRunaway, ben.exposedWeeks))} | ${f2(per100(ben.falseWeeksContext, ben.exposedWeeks))} | ${f2(per100(burst.falseWeeks, burst.exposedWeeks))} | ${f3(ratio(ctx.caught, ctx.incidents))} |`,
      );
    }
    line();
  }
  line(HOURLY_NOTES);
  line();

  line('### The hourly families');
  line();
  line(
    `Each scenario is one account: 1–3 model ids (Claude Opus 4.6 and 4.5, Sonnet 4.5 regional and global, Haiku 4.5, Nova Pro) with a cache mix (70%: 30–85% of prompt tokens read from the cache), $8–2,000 a day (log-uniform), a weekly shape (office hours in one of seven time zones, or round the clock with a daily swing), hour-to-hour noise (log-normal, σ 0.1–0.3) and a busy day at 1.3–1.8× on about 3% of days; tokens by class and invocations per model id and hour as CloudWatch counts them, priced by the account's bill prices. Incidents start at a random minute inside the evaluated weeks (a day after they begin, 4 days before their end). Source: \`bench/quality/hourly/scenarios.ts\`.`,
  );
  line();
  line('| family | label | what the hours hold |');
  line('|---|---|---|');
  for (const family of HOURLY_FAMILY_IDS) {
    const info = HOURLY_FAMILIES[family];
    line(
      `| ${family} | ${info.kinds ? `incident: ${info.kinds.join(' or ')}` : info.targetBenign ? 'benign' : 'benign, reported apart'} | ${info.summary} |`,
    );
  }
  line();
  line('### How it is scored');
  line();
  line(
    "- **Caught**: the first hour at or after the hour the incident began in that fires one of its family's kinds; **delay** = that hour's end − the start (the watch judges an hour once it has ended). **In target**: delay ≤ 3 hours (loops, new spender), 6 (ramp), 9 (context growth: its 6 hours in a row plus the climb).",
  );
  line(
    '- **False**: a firing hour on a benign account, or on an incident account before the hour its incident began in; after it, kinds the family does not judge are neither true nor false.',
  );
  line(
    '- **False alarms per 100 account-weeks**: the 28 evaluated days are 4 weeks; a week is exposed when some hour of it should be quiet, false when a false hour fires in it.',
  );
  line(
    `- Speed: judging the ${results.evaluatedHours.toLocaleString('en-US')} evaluation account-hours at the shipped parameters took ${results.judgeSeconds} s (pricing and generation not included). Model ids no price covered: ${results.unpricedModelIds.length === 0 ? 'none' : results.unpricedModelIds.join(', ')}.`,
  );
  line();
  return out.join('\n');
}

export type { HourlyScore };
