/**
 * sql/runaway-inference.sql, given/expect. Dates: as-of D = 2026-03-20; recent D−2..D,
 * guard D−6..D−3, baseline D−29..D−7 (2026-02-19 … 2026-03-13).
 */

import { describe, expect, it } from 'vitest';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { recurringLine } from '../../functions/core/detect/contract.js';
import { asRunaway } from '../fixtures/findings.js';
import { ACCOUNT, type FixtureRow, focusRow } from '../fixtures/focus-rows.js';
import { detectOver, detectorRows, testConfig } from './harness.js';

const D = '2026-03-20';
const at = (n: number) => addDays(D, n);

/** `days` days ending at D with the given costs per day (function of the offset from D). */
function series(
  cost: (offset: number) => number,
  days = 60,
  overrides: Partial<FixtureRow> = {},
): FixtureRow[] {
  return dayRange(at(-(days - 1)), D).map((day) => {
    const offset = -Math.round((Date.parse(D) - Date.parse(day)) / 86_400_000);
    const c = cost(offset);
    return focusRow({
      chargeperiodstart: day,
      billedcost: c,
      effectivecost: c,
      consumedquantity: c / 5.5,
      ...overrides,
    });
  });
}

/** docs/detection.md "Reference numbers": 23 baseline days averaging $7.32 with small noise, 3 recent days averaging $132.05. */
function referenceRunaway(): FixtureRow[] {
  const noise = [0.21, -0.21, 0.13, -0.13, 0.05, -0.05, 0.17, -0.17, 0.09, -0.09, 0.11];
  return series((o) => {
    if (o >= -2) return [130.0, 132.05, 134.1][o + 2]!;
    if (o >= -6) return 7.32; // guard band
    const i = -o - 7; // 0..22 over the baseline, and further back
    return 7.32 + (i < 22 ? noise[i % noise.length]! * (Math.floor(i / 11) % 2 === 0 ? 1 : -1) : 0);
  });
}

describe('runaway-inference: docs/detection.md "Reference numbers" reference numbers', () => {
  it('fires runaway with spike 18.04, excess $124.73/day, projected $3,741.90, severity high', async () => {
    const result = await detectOver(referenceRunaway(), [D], { detectors: ['runaway-inference'] });
    expect(result.findings).toHaveLength(1);
    const f = asRunaway(result.findings[0]);
    expect(f.kind).toBe('runaway');
    expect(f.baseline_avg_daily_usd).toBeCloseTo(7.32, 2);
    expect(f.recent_avg_daily_usd).toBeCloseTo(132.05, 2);
    expect(Number(f.spike_ratio!.toFixed(2))).toBe(18.04);
    expect(f.excess_daily_usd).toBeCloseTo(124.73, 2);
    expect(f.projected_30d_excess_usd).toBeCloseTo(3741.9, 1);
    expect(f.severity).toBe('high');
    expect(f.started_on).toBe(at(-2));
    expect(f.model).toBeNull();
    expect(f.series).toHaveLength(30);
    expect(f.series.at(-1)).toEqual({ date: D, cost_usd: 134.1, hit_ratio: null });
  });
});

describe('runaway-inference: rules', () => {
  it('counts a zero-spend day in the baseline (dense series)', async () => {
    // Weekdays $20, weekends no charges at all: the baseline mean includes the zeros.
    const rows = series((o) =>
      o >= -2 ? 60 : new Date(`${at(o)}T00:00:00Z`).getUTCDay() % 6 === 0 ? 0 : 20,
    ).filter((r) => r.billedcost !== 0);
    const [row] = await detectorRows('runaway-inference', rows, { from: D, to: D });
    const baselineDays = dayRange(at(-29), at(-7));
    const weekdays = baselineDays.filter((d) => new Date(`${d}T00:00:00Z`).getUTCDay() % 6 !== 0).length;
    expect(row!.baseline_avg).toBeCloseTo((20 * weekdays) / 23, 9);
    expect(row!.baseline_days_covered).toBe(23);
  });

  it('reports an account with no baseline as a new spender', async () => {
    const rows = series((o) => (o >= -2 ? 80 : 0)).filter((r) => r.billedcost! > 0);
    // Another account gives the export coverage from 60 days back.
    rows.push(...series(() => 3, 60, { subaccountid: '222222222222' }));
    const result = await detectOver(rows, [D], { detectors: ['runaway-inference'] });
    const f = asRunaway(result.findings.find((x) => x.account_id === ACCOUNT));
    expect(f.kind).toBe('new-spender');
    expect(f.spike_ratio).toBeNull();
    expect(f.baseline_avg_daily_usd).toBe(0);
    expect(f.projected_30d_excess_usd).toBeCloseTo(2400, 6);
  });

  it('does not fire on steady growth of 2% a day: the ratio floor (min_spike_ratio) holds it back', async () => {
    const rows = series((o) => 100 * 1.02 ** (o + 60));
    const rowsFired = await detectorRows('runaway-inference', rows, { from: D, to: D });
    expect(rowsFired).toHaveLength(0);
    // Without the floor, the same series clears 2σ and +$10/day: the floor is what holds it back.
    const noFloor = testConfig({ detectors: { 'runaway-inference': { min_spike_ratio: 1 } } });
    const fired = await detectorRows('runaway-inference', rows, { from: D, to: D }, { config: noFloor });
    expect(fired).toHaveLength(1);
  });

  it('keeps a ramp out of its own baseline with the guard band', async () => {
    // Spend triples from D−5 on: with the guard band the baseline stays at $10.
    const [row] = await detectorRows(
      'runaway-inference',
      series((o) => (o >= -5 ? 30 : 10)),
      { from: D, to: D },
    );
    expect(row!.kind).toBe('runaway');
    expect(row!.baseline_avg).toBeCloseTo(10, 9);
  });

  it('needs +$10/day over the baseline: a small account tripling from $2 to $6 is not woken', async () => {
    const fired = await detectorRows(
      'runaway-inference',
      series((o) => (o >= -2 ? 6 : 2 + (o % 2) * 0.1)),
      { from: D, to: D },
    );
    expect(fired).toHaveLength(0);
  });

  it('holds back a month-end batch job that ran the same way a month earlier', async () => {
    // $20/day, and $200/day on D−2..D and on the same three days one month earlier (D−32..D−30).
    const monthly = (o: number) => (o >= -2 || (o >= -32 && o <= -30) ? 200 : 20);
    const [row] = await detectorRows('runaway-inference', series(monthly), { from: D, to: D });
    expect(row!.recurring).toBe(true);
    const result = await detectOver(series(monthly), [D], { detectors: ['runaway-inference'] });
    expect(result.findings).toHaveLength(0);
    expect(result.recurringCandidates).toBe(1);
    // Named (account, as-of, the month-earlier mean), so the summary and run record can list it.
    expect(result.recurringHeldBack).toEqual([
      expect.objectContaining({ as_of: D, recent_avg_daily_usd: 200, month_earlier_avg_daily_usd: 200 }),
    ]);
    expect(recurringLine(result.recurringHeldBack[0]!)).toMatch(
      new RegExp(`as-of ${D}: \\$200.00/day, a month earlier \\$200.00/day`),
    );
  });

  it('raises the same pattern when the earlier rise was an incident answered stopped', async () => {
    const monthly = (o: number) => (o >= -2 || (o >= -32 && o <= -30) ? 200 : 20);
    const result = await detectOver(series(monthly), [D], {
      detectors: ['runaway-inference'],
      recurringExempt: [ACCOUNT],
    });
    expect(result.findings.map((f) => f.kind)).toEqual(['runaway']);
  });

  it('turns the recurring rule off with recurring_match 0', async () => {
    const monthly = (o: number) => (o >= -2 || (o >= -32 && o <= -30) ? 200 : 20);
    const config = testConfig({ detectors: { 'runaway-inference': { recurring_match: 0 } } });
    const [row] = await detectorRows('runaway-inference', series(monthly), { from: D, to: D }, { config });
    expect(row!.recurring).toBe(false);
  });

  it('does not make every account a new spender on a fresh export (coverage rule)', async () => {
    // The export starts 10 days before D: fewer than 14 baseline days are covered.
    const rows = series((o) => (o >= -2 ? 90 : 60), 10);
    const result = await detectOver(rows, [D], { detectors: ['runaway-inference'] });
    expect(result.findings).toHaveLength(0);
    expect(result.skippedDays).toEqual([
      expect.objectContaining({ detector: 'runaway-inference', as_of: D }),
    ]);
  });

  it('evaluates over the covered baseline days when at least 14 are covered', async () => {
    // Export starts D−25: baseline days D−25..D−7 (19 days) are covered; days before are unknown, not zero.
    const rows = series((o) => (o >= -2 ? 100 : 10), 26);
    const [row] = await detectorRows('runaway-inference', rows, { from: D, to: D });
    expect(row!.baseline_days_covered).toBe(19);
    expect(row!.baseline_avg).toBeCloseTo(10, 9);
  });

  it('reports every account that fires, ordered by excess (no LIMIT)', async () => {
    const rows: FixtureRow[] = [];
    for (let i = 0; i < 30; i++) {
      const account = String(100000000000 + i);
      rows.push(...series((o) => (o >= -2 ? 50 + i : 5 + (o % 2) * 0.2), 40, { subaccountid: account }));
    }
    const fired = await detectorRows('runaway-inference', rows, { from: D, to: D });
    expect(fired).toHaveLength(30);
    const excess = fired.map((r) => Number(r.recent_avg) - Number(r.baseline_avg));
    expect(excess).toEqual([...excess].sort((a, b) => b - a));
  });

  it('evaluates every as-of day of a range in one statement (a mid-week spike that ended)', async () => {
    // A spike on D−10..D−8 that is over by D: a weekly run on D alone misses it, catch-up does not.
    const rows = series((o) => (o >= -10 && o <= -8 ? 150 : 8 + (o % 2) * 0.3));
    const onlyD = await detectorRows('runaway-inference', rows, { from: D, to: D });
    expect(onlyD).toHaveLength(0);
    const week = await detectorRows('runaway-inference', rows, { from: at(-13), to: D });
    expect(week.map((r) => r.as_of)).toEqual([at(-10), at(-9), at(-8), at(-7), at(-6)]);
  });
});
