/**
 * Scoring the watch's findings against the hourly labels.
 *
 * - An incident is **caught** by the first hour that fires one of its family's kinds at or after the
 *   hour it began in; **delay** = the end of that hour − the incident's start (the watch judges an hour
 *   once it has ended), in hours. **In target**: caught with a delay ≤ the family's target (3 hours for
 *   loops and new spenders, 6 for the ramp).
 * - A firing hour is **false** on a benign scenario, and on an incident scenario before the hour the
 *   incident began in (any kind). After the start, kinds the family does not judge are neither (a
 *   runaway finding on a context-growth incident, whose cost does rise).
 * - **False alarms per 100 account-weeks**: the 28 evaluated days are 4 weeks; a week is exposed when
 *   some hour of it should be quiet, false when some false hour fires in it (an owner paged for nothing).
 */
import type { WatchFinding, WatchKind } from '../../../functions/core/detect/watch-rule.js';
import { HOUR_MS, hourMs } from '../../../functions/core/hours.js';
import { HOURLY_FAMILIES, type HourlyFamilyId, type HourlyScenario } from './scenarios.js';

const WEEKS = 4;
const WEEK_MS = 7 * 24 * HOUR_MS;
const RUNAWAY_KINDS: readonly WatchKind[] = ['runaway', 'new-spender'];

export interface HourlyScore {
  family: HourlyFamilyId;
  instances: number;
  incidents: number;
  caught: number;
  caughtInTarget: number;
  delays: number[];
  trueHours: number;
  falseHours: number;
  exposedWeeks: number;
  falseWeeks: number;
  /** False weeks counting only runaway and new-spender hours / only context-growth hours. */
  falseWeeksRunaway: number;
  falseWeeksContext: number;
}

export const emptyHourlyScore = (family: HourlyFamilyId): HourlyScore => ({
  family,
  instances: 0,
  incidents: 0,
  caught: 0,
  caughtInTarget: 0,
  delays: [],
  trueHours: 0,
  falseHours: 0,
  exposedWeeks: 0,
  falseWeeks: 0,
  falseWeeksRunaway: 0,
  falseWeeksContext: 0,
});

export function scoreHourly(
  scenario: Pick<HourlyScenario, 'label' | 'evaluate'>,
  findings: readonly WatchFinding[],
  into: Map<HourlyFamilyId, HourlyScore>,
): void {
  const { label } = scenario;
  const family = HOURLY_FAMILIES[label.family];
  const score = into.get(label.family) ?? emptyHourlyScore(label.family);
  into.set(label.family, score);
  score.instances += 1;
  const from = hourMs(scenario.evaluate.from);
  const startHour = label.start === null ? null : Math.floor(label.start / HOUR_MS) * HOUR_MS;
  const firings = findings
    .filter((f) => f.account_id === label.account_id)
    .flatMap((f) => f.fired_hours.map((h) => ({ kind: f.kind, at: hourMs(h) })))
    .sort((a, b) => a.at - b.at);

  if (family.kinds && label.start !== null && startHour !== null) {
    score.incidents += 1;
    const hits = firings.filter((f) => f.at >= startHour && family.kinds!.includes(f.kind));
    score.trueHours += hits.length;
    const first = hits[0];
    if (first) {
      score.caught += 1;
      const delay = (first.at + HOUR_MS - label.start) / HOUR_MS;
      score.delays.push(Math.round(delay * 100) / 100);
      if (family.targetHours !== null && delay <= family.targetHours) score.caughtInTarget += 1;
    }
  }

  const quiet = (at: number) => startHour === null || at < startHour;
  const exposed = new Set<number>();
  for (let w = 0; w < WEEKS; w++) if (quiet(from + w * WEEK_MS)) exposed.add(w);
  const falseWeeks = new Set<number>();
  const falseRunaway = new Set<number>();
  const falseContext = new Set<number>();
  for (const f of firings) {
    if (!quiet(f.at)) continue;
    const week = Math.floor((f.at - from) / WEEK_MS);
    score.falseHours += 1;
    falseWeeks.add(week);
    (RUNAWAY_KINDS.includes(f.kind) ? falseRunaway : falseContext).add(week);
  }
  score.exposedWeeks += exposed.size;
  score.falseWeeks += falseWeeks.size;
  score.falseWeeksRunaway += falseRunaway.size;
  score.falseWeeksContext += falseContext.size;
}

export interface HourlyTotals {
  incidents: number;
  caught: number;
  caughtInTarget: number;
  delays: number[];
  exposedWeeks: number;
  falseWeeks: number;
  falseWeeksRunaway: number;
  falseWeeksContext: number;
}

export function hourlyTotals(
  scores: Iterable<HourlyScore>,
  filter: (f: HourlyFamilyId) => boolean = () => true,
): HourlyTotals {
  const t: HourlyTotals = {
    incidents: 0,
    caught: 0,
    caughtInTarget: 0,
    delays: [],
    exposedWeeks: 0,
    falseWeeks: 0,
    falseWeeksRunaway: 0,
    falseWeeksContext: 0,
  };
  for (const s of scores) {
    if (!filter(s.family)) continue;
    t.incidents += s.incidents;
    t.caught += s.caught;
    t.caughtInTarget += s.caughtInTarget;
    t.delays.push(...s.delays);
    t.exposedWeeks += s.exposedWeeks;
    t.falseWeeks += s.falseWeeks;
    t.falseWeeksRunaway += s.falseWeeksRunaway;
    t.falseWeeksContext += s.falseWeeksContext;
  }
  return t;
}

export const per100 = (falseWeeks: number, exposed: number): number | null =>
  exposed === 0 ? null : (100 * falseWeeks) / exposed;

export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
