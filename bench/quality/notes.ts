/**
 * Hand-written explanations that QUALITY.md prints next to the measured numbers: why a family
 * does worse than the original query, and what the tuning grid chose. Keep them true to the
 * latest full run (the numbers they quote are in the tables they sit under).
 */
import type { FamilyId } from './scenarios.js';

const RATIO_FLOOR =
  'ours waits until the 3-day mean is 1.75× the baseline (the ratio floor that keeps organic growth quiet), while the original fires as soon as its 4-day mean leaves the 2σ band — on a smooth account that band is only 10–30% above the level, so it crosses on the first abnormal day';

export const NOTES: Partial<Record<FamilyId, string>> = {
  'sudden-runaway-large': `slower by a median of one day, same recall. The loop starts at a random hour and adds 1–3× on a $1,400–2,600/day account: on the start day ${RATIO_FLOOR}. The same missing floor is what gives the original 72.75 false positives per 100 account-weeks on organic growth.`,
  'step-change': `slower by a median of one day, same recall: a step to 2.5× puts the 3-day mean at (1 + 1 + 2.5)/3 = 1.5× on the step day, under the 1.75× floor, and over it the next day; ${RATIO_FLOOR}.`,
  'ramp-week': `slower by a median of one day (2 vs 1), same recall: a ramp to 3–6× over 7 days adds 0.3–0.7× a day, so the 3-day mean reaches 1.75× on day 2–3 of the ramp; ${RATIO_FLOOR}. The guard band keeps the ramp out of our baseline, so ours keeps firing for the whole ramp.`,
};

export const TUNING_NOTES = `**Chosen.** Only \`min_spike_ratio\` moved: 1.5 → 1.75. At 1.5 the library's only false positives are organic growth at 1.5–2 %/day with weekend dips (a weekday-only recent window over a baseline that holds weekends lifts the ratio over 1.5): 2.30 benign false positives per 100 account-weeks on the tuning seeds, above the 0.5 target. 1.75 brings that to 0.24 with recall unchanged (1.000) and the median delay unchanged (0). 2.0 would be quieter still (0.00) but delays the median catch by a day, and every incident family in this library is ≥ 2× by design (the issue asks for steps ≥ 2.5×) — choosing 2.0 would be tuning to the library's own ranges and would leave real 1.75–2× runaways (a retry storm doubling a large account) unseen. \`k\` hardly matters once the ratio floor holds (1.5 to 4 give the same recall and FP within 0.07); 2 keeps the median delay at 0. No other knob found a better point: \`recurring_match\` off lets month-end batches fire (1.97), 0.5 starts suppressing real incidents; \`min_daily_increase_usd\` 40 and \`new_spender_daily_usd\` 100 lose incidents; the cache-miss knobs are flat around their defaults except where they lose recall (\`min_hit_ratio_drop\` ≥ 0.25, \`min_avoidable_usd\` 200, \`cache_absent_min_tokens\` 100 M) or add false positives (\`min_hit_ratio_drop\` 0.10 fires on small cache degradations). Every SPEC §14 reference case still fires with its numbers at the new default (\`test/sql\`).

**Residual gap.** With the shipped defaults every target is met on the evaluation seeds, but organic growth alone is still at about 2 false positives per 100 of its own account-weeks (the benign aggregate is 0.25): the fastest growers (2 %/day, with a weekend dip in the baseline but not in the recent window) reach 1.75× the 23-day baseline 17 days behind them. What bounds it: any ratio floor low enough to see 1.75× runaways sees 2 %/day growth with seasonality. What would close it: a weekday-aware baseline (compare the recent days with the same weekdays of the baseline), or a growth-aware one (judge the recent window against the baseline's own trend) — detector changes, not default changes; the grid shows a 2.0 floor would also close it at the cost above.`;
