/**
 * The hourly tuning grid: the rule re-judged over the same priced hours with other parameters. Joint over
 * the three knobs that decide a runaway (hours in a row × ratio to the expected hour × excess in usual
 * hours), then one knob at a time around the shipped values; every knob not named keeps its shipped value.
 */
import type { WatchConfig } from '../../../functions/core/config.js';
import { type WatchRuleParams, watchRuleParams } from '../../../functions/core/detect/watch-rule.js';

export interface HourlyGridPoint {
  name: string;
  knobs: Partial<WatchRuleParams>;
  params: WatchRuleParams;
}

export function hourlyGridPoints(watch: WatchConfig, quick: boolean): HourlyGridPoint[] {
  const shipped = watchRuleParams(watch);
  const points: HourlyGridPoint[] = [];
  const seen = new Set<string>();
  const add = (knobs: Partial<WatchRuleParams>) => {
    const params = { ...shipped, ...knobs };
    const key = JSON.stringify(params);
    if (seen.has(key)) return;
    seen.add(key);
    points.push({
      name: Object.entries(knobs)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', '),
      knobs,
      params,
    });
  };
  add({});
  if (quick) {
    for (const recent_hours of [1, 3]) add({ recent_hours });
    return points;
  }
  for (const recent_hours of [1, 2, 3]) {
    for (const min_slot_ratio of [1.5, 2, 2.5, 3]) {
      for (const min_increase_ratio of [2, 2.5, 3, 3.5])
        add({ recent_hours, min_slot_ratio, min_increase_ratio });
    }
  }
  for (const min_hourly_increase_usd of [5, 8, 12, 15, 18]) add({ min_hourly_increase_usd });
  for (const min_baseline_hourly_usd of [0.02, 0.1, 0.25]) add({ min_baseline_hourly_usd });
  for (const min_baseline_hours of [48, 120]) add({ min_baseline_hours });
  for (const new_spender_hourly_usd of [10, 15, 25]) add({ new_spender_hourly_usd });
  for (const context_growth_ratio of [1.5, 2.5]) add({ context_growth_ratio });
  for (const context_growth_hours of [3, 4, 8]) add({ context_growth_hours });
  for (const context_min_hourly_usd of [0.25, 0.5, 2, 5]) add({ context_min_hourly_usd });
  return points;
}
