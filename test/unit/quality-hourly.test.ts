/** The hourly benchmark's library and scoring (bench/quality/hourly): the labels say what the rows hold. */
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  EVALUATED_DAYS,
  generateHourlyScenario,
  HISTORY_DAYS,
  HOURLY_FAMILIES,
  HOURLY_FAMILY_IDS,
  hourlyWindow,
} from '../../bench/quality/hourly/scenarios.js';
import { emptyHourlyScore, type HourlyScore, scoreHourly } from '../../bench/quality/hourly/score.js';
import type { WatchFinding } from '../../functions/core/detect/watch-rule.js';
import { HOUR_MS, hourIso, hourMs } from '../../functions/core/hours.js';

const localHour = (ms: number, description: string) => {
  const tz = /UTC([+-]\d+)/.exec(description);
  return new Date(ms + Number(tz?.[1] ?? 0) * HOUR_MS).getUTCHours();
};

describe('hourly scenario library', () => {
  it('gives every family 15 days of history and 28 evaluated days, the same for the same seed', () => {
    for (const family of HOURLY_FAMILY_IDS) {
      const a = generateHourlyScenario(family, 3);
      const b = generateHourlyScenario(family, 3);
      expect(JSON.stringify(a.rows.slice(0, 50))).toBe(JSON.stringify(b.rows.slice(0, 50)));
      const window = hourlyWindow(3);
      expect(a.coveredFrom).toBe(hourIso(window.start));
      expect(hourMs(a.evaluate.to) - hourMs(a.evaluate.from)).toBe(EVALUATED_DAYS * DAY_MS);
      expect(hourMs(a.evaluate.from) - window.start).toBe(HISTORY_DAYS * DAY_MS);
      expect(a.rows.every((r) => r.account_id === a.label.account_id)).toBe(true);
      expect(a.label.start === null).toBe(HOURLY_FAMILIES[family].kinds === null);
    }
  });

  it('starts incidents inside the evaluated weeks, loops where their family says', () => {
    for (let seed = 0; seed < 20; seed++) {
      for (const family of ['loop-night', 'loop-weekend', 'ramp-6h', 'new-spender'] as const) {
        const s = generateHourlyScenario(family, seed);
        const start = s.label.start!;
        expect(start).toBeGreaterThanOrEqual(hourMs(s.evaluate.from) + DAY_MS);
        expect(start).toBeLessThanOrEqual(hourMs(s.evaluate.to) - 4 * DAY_MS);
        if (family === 'loop-weekend') {
          const day = new Date(start).getUTCDay();
          expect([5, 6, 0, 1]).toContain(day);
        }
      }
      const night = generateHourlyScenario('loop-night', seed);
      const h = localHour(night.label.start!, night.label.description);
      expect(h >= 22 || h < 6, night.label.description).toBe(true);
      const office = generateHourlyScenario('loop-business-hours', seed);
      const o = localHour(office.label.start!, office.label.description);
      expect(o >= 9 && o < 17, office.label.description).toBe(true);
    }
  });

  it('marks unreadable hours with every metric null, and a new spender has no usage before its start', () => {
    const gaps = generateHourlyScenario('missing-hours', 1);
    expect(
      gaps.rows.some((r) => r.input_tokens === null && r.output_tokens === null && r.invocations === null),
    ).toBe(true);
    const fresh = generateHourlyScenario('new-spender', 2);
    const before = fresh.rows.filter(
      (r) => hourMs(r.hour) < Math.floor(fresh.label.start! / HOUR_MS) * HOUR_MS,
    );
    expect(before.reduce((n, r) => n + (r.output_tokens ?? 0), 0)).toBeLessThan(50_000);
  });
});

describe('hourly scoring', () => {
  const scenario = generateHourlyScenario('loop-night', 0);
  const start = scenario.label.start!;
  const startHour = Math.floor(start / HOUR_MS) * HOUR_MS;
  const finding = (hours: number[], kind: WatchFinding['kind'] = 'runaway') =>
    ({ account_id: scenario.label.account_id, kind, fired_hours: hours.map(hourIso) }) as WatchFinding;

  it('measures the delay to the end of the first hour that fired, and calls it in target within 3 hours', () => {
    const into = new Map<string, HourlyScore>() as Map<never, HourlyScore>;
    scoreHourly(scenario, [finding([startHour + HOUR_MS])], into);
    const s = into.get('loop-night' as never)!;
    expect(s.caught).toBe(1);
    expect(s.delays[0]).toBeCloseTo((startHour + 2 * HOUR_MS - start) / HOUR_MS, 2);
    expect(s.caughtInTarget).toBe(1);
    expect(s.falseWeeks).toBe(0);
  });

  it('calls a firing before the start false, and a kind the family does not judge neither', () => {
    const into = new Map();
    scoreHourly(
      scenario,
      [finding([startHour - 48 * HOUR_MS]), finding([startHour + 5 * HOUR_MS], 'context-growth')],
      into,
    );
    const s = into.get('loop-night') as HourlyScore;
    expect(s.caught).toBe(0);
    expect(s.falseHours).toBe(1);
    expect(s.falseWeeks).toBe(1);
    expect(s.exposedWeeks).toBeGreaterThan(0);
    expect(emptyHourlyScore('nightly-batch').instances).toBe(0);
  });
});
