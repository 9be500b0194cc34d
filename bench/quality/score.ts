/**
 * Scoring: findings against labels.
 *
 * - An incident is **caught** when a finding of its detector (for cache-miss: on its model) fires on
 *   its account on an as-of day of the range whose recent window overlaps the incident.
 * - **Delay** = first such as-of day − the later of the incident start and the first as-of day.
 * - A finding is **false** when it fires on an account × detector that should be quiet: every day
 *   of a benign account (and of a peer account), and on an incident account, for its own detector,
 *   the as-of days before the incident starts (the recent window ends before it). Findings of a
 *   detector the family does not judge (runaway findings on a cache regression, which does raise
 *   spend) and findings after an incident ended are neither true nor false.
 * - **False positives per 100 account-weeks**: the 4-week range is cut into 4 weeks of 7 as-of days;
 *   an account-week is exposed when some detector should be quiet on it for at least one day, and
 *   false when at least one false finding fires in it (what a weekly run would email). Rate =
 *   false account-weeks / exposed account-weeks × 100.
 * - **Precision** = true findings / (true + false findings).
 */
import { daysBetween } from '../../functions/core/dates.js';
import type { DetectorId } from '../../functions/core/types.js';
import { FAMILIES, type FamilyId, type QualityLabel } from './scenarios.js';
import type { Alarm } from './systems.js';

export interface LabelledRange {
  label: QualityLabel;
  from: string;
  to: string;
}

export interface FamilyScore {
  family: FamilyId;
  instances: number;
  incidents: number;
  caught: number;
  /** Caught on a Saturday as-of day (what one Monday run a week evaluates without catch-up). */
  caughtWeekly: number;
  delays: number[];
  diagnosisRight: number;
  diagnosisJudged: number;
  trueFindings: number;
  falseFindings: number;
  exposedWeeks: number;
  falseWeeks: number;
  /** Per detector: exposed and false account-weeks. */
  byDetector: Record<DetectorId, { exposedWeeks: number; falseWeeks: number }>;
}

const emptyScore = (family: FamilyId): FamilyScore => ({
  family,
  instances: 0,
  incidents: 0,
  caught: 0,
  caughtWeekly: 0,
  delays: [],
  diagnosisRight: 0,
  diagnosisJudged: 0,
  trueFindings: 0,
  falseFindings: 0,
  exposedWeeks: 0,
  falseWeeks: 0,
  byDetector: {
    'runaway-inference': { exposedWeeks: 0, falseWeeks: 0 },
    'cache-miss': { exposedWeeks: 0, falseWeeks: 0 },
    budget: { exposedWeeks: 0, falseWeeks: 0 },
    // The watch is scored by the hourly benchmark (bench/quality/hourly/), not here.
    'runaway-watch': { exposedWeeks: 0, falseWeeks: 0 },
  },
});

const WEEKS = 4;
const weekOf = (from: string, asOf: string) => Math.floor(daysBetween(from, asOf) / 7);
const isSaturday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() === 6;

function driverOf(diagnosis: string | null): 'output' | 'input' | null {
  if (!diagnosis) return null;
  const text = diagnosis.replace(/^New Bedrock inference spender: /, '');
  if (text.startsWith('output tokens')) return 'output';
  if (text.startsWith('uncached input tokens')) return 'input';
  return null;
}

/**
 * Scores one system's alarms. `recentDays` is that system's recent-window length per detector;
 * `detectors` are the detectors the system has (the original has no cache-miss detector: its
 * cache incidents count as missed, and it cannot raise false cache findings).
 */
export function scoreSystem(
  labelled: LabelledRange[],
  alarms: Alarm[],
  recentDays: Record<DetectorId, number>,
  into: Map<FamilyId, FamilyScore> = new Map(),
): Map<FamilyId, FamilyScore> {
  const byAccount = new Map<string, Alarm[]>();
  for (const alarm of alarms) {
    const list = byAccount.get(alarm.account_id);
    if (list) list.push(alarm);
    else byAccount.set(alarm.account_id, [alarm]);
  }
  for (const { label, from, to } of labelled) {
    const score = into.get(label.family) ?? emptyScore(label.family);
    into.set(label.family, score);
    score.instances += 1;
    const inRange = (a: Alarm) => a.as_of >= from && a.as_of <= to;
    const subjectAlarms = (byAccount.get(label.account_id) ?? []).filter(inRange);

    // Which as-of days each detector should be quiet on, per account.
    const quietDays = (detector: DetectorId, asOf: string): boolean => {
      if (!label.quiet.includes(detector)) return false;
      if (label.incident && detector === label.detector) return label.start !== null && asOf < label.start;
      return true;
    };

    if (label.incident && label.detector && label.start) {
      score.incidents += 1;
      const start = label.start;
      const end = label.end ?? to;
      const window = recentDays[label.detector];
      const hits = subjectAlarms
        .filter((a) => a.detector === label.detector && (label.model === null || a.model === label.model))
        .filter((a) => {
          const recentStart = daysBetween(start, a.as_of) - (window - 1);
          return a.as_of >= start && recentStart <= daysBetween(start, end);
        })
        .sort((a, b) => a.as_of.localeCompare(b.as_of));
      score.trueFindings += hits.length;
      const first = hits[0];
      if (first) {
        score.caught += 1;
        score.delays.push(daysBetween(start, first.as_of) - Math.max(0, daysBetween(start, from)));
        if (hits.some((a) => isSaturday(a.as_of))) score.caughtWeekly += 1;
        if (label.driver) {
          score.diagnosisJudged += 1;
          if (driverOf(first.diagnosis) === label.driver) score.diagnosisRight += 1;
        }
      }
    }

    const accounts = [
      { id: label.account_id, alarms: subjectAlarms, quiet: quietDays },
      ...label.peers.map((id) => ({
        id,
        alarms: (byAccount.get(id) ?? []).filter(inRange),
        quiet: (_d: DetectorId, _a: string) => true,
      })),
    ];
    for (const account of accounts) {
      const exposed = new Set<number>();
      const falseWeeks = new Set<number>();
      for (const detector of ['runaway-inference', 'cache-miss'] as const) {
        const detectorExposed = new Set<number>();
        const detectorFalse = new Set<number>();
        for (let week = 0; week < WEEKS; week++) {
          for (let d = 0; d < 7; d++) {
            const asOf = addIso(from, week * 7 + d);
            if (asOf > to) break;
            if (account.quiet(detector, asOf)) detectorExposed.add(week);
          }
        }
        for (const alarm of account.alarms) {
          if (alarm.detector !== detector || !account.quiet(detector, alarm.as_of)) continue;
          score.falseFindings += 1;
          detectorFalse.add(weekOf(from, alarm.as_of));
        }
        score.byDetector[detector].exposedWeeks += detectorExposed.size;
        score.byDetector[detector].falseWeeks += detectorFalse.size;
        for (const w of detectorExposed) exposed.add(w);
        for (const w of detectorFalse) falseWeeks.add(w);
      }
      score.exposedWeeks += exposed.size;
      score.falseWeeks += falseWeeks.size;
    }
  }
  return into;
}

function addIso(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export interface Totals {
  incidents: number;
  caught: number;
  trueFindings: number;
  falseFindings: number;
  exposedWeeks: number;
  falseWeeks: number;
  delays: number[];
  diagnosisRight: number;
  diagnosisJudged: number;
}

export function totals(scores: Iterable<FamilyScore>, filter: (f: FamilyId) => boolean = () => true): Totals {
  const t: Totals = {
    incidents: 0,
    caught: 0,
    trueFindings: 0,
    falseFindings: 0,
    exposedWeeks: 0,
    falseWeeks: 0,
    delays: [],
    diagnosisRight: 0,
    diagnosisJudged: 0,
  };
  for (const s of scores) {
    if (!filter(s.family)) continue;
    t.incidents += s.incidents;
    t.caught += s.caught;
    t.trueFindings += s.trueFindings;
    t.falseFindings += s.falseFindings;
    t.exposedWeeks += s.exposedWeeks;
    t.falseWeeks += s.falseWeeks;
    t.delays.push(...s.delays);
    t.diagnosisRight += s.diagnosisRight;
    t.diagnosisJudged += s.diagnosisJudged;
  }
  return t;
}

export const recall = (t: { incidents: number; caught: number }): number | null =>
  t.incidents === 0 ? null : t.caught / t.incidents;
export const precision = (t: { trueFindings: number; falseFindings: number }): number | null =>
  t.trueFindings + t.falseFindings === 0 ? null : t.trueFindings / (t.trueFindings + t.falseFindings);
export const fpPer100 = (t: { exposedWeeks: number; falseWeeks: number }): number | null =>
  t.exposedWeeks === 0 ? null : (100 * t.falseWeeks) / t.exposedWeeks;

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const isIncidentFamily = (f: FamilyId): boolean => FAMILIES[f].detector !== null;
export const isBenignFamily = (f: FamilyId): boolean => FAMILIES[f].detector === null;
export const familyDetector = (f: FamilyId): DetectorId | null => FAMILIES[f].detector;
