/**
 * sql/cache-miss.sql, given/expect. As-of D = 2026-03-20: recent D−6..D, baseline D−34..D−7.
 * Prices per million tokens (regional Claude Opus 4.6): input 5.50, cache read 0.55,
 * cache write 6.875, output 27.50.
 */

import { describe, expect, it } from 'vitest';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { recordOf } from '../../functions/core/detect/findings.js';
import { decimal } from '../../functions/core/format.js';
import { asCacheMiss } from '../fixtures/findings.js';
import { type FixtureRow, tokenRow } from '../fixtures/focus-rows.js';
import { detectOver, detectorRows, testConfig } from './harness.js';

const D = '2026-03-20';
const at = (n: number) => addDays(D, n);
const PRICE = { input: 5.5, 'cache-read': 0.55, 'cache-write': 6.875, output: 27.5 } as const;

type Mix = Partial<Record<keyof typeof PRICE, number>>;

/** Token rows per day: `mix(offset)` gives tokens per class for the day at offset from D. */
function usage(
  from: number,
  to: number,
  mix: (offset: number) => Mix,
  overrides: Partial<FixtureRow> = {},
): FixtureRow[] {
  const rows: FixtureRow[] = [];
  for (const day of dayRange(at(from), at(to))) {
    const offset = Math.round((Date.parse(day) - Date.parse(D)) / 86_400_000);
    for (const [cls, tokens] of Object.entries(mix(offset)) as [keyof typeof PRICE, number][]) {
      if (tokens > 0) rows.push(tokenRow(day, cls, tokens, PRICE[cls], overrides));
    }
  }
  return rows;
}

/** docs/detection.md "Reference numbers" cache incident: baseline hit ratio 0.90; the recent 7 days as the reference says. */
function referenceIncident(): FixtureRow[] {
  const baseline = usage(-40, -7, () => ({
    input: 90e6,
    'cache-write': 10e6,
    'cache-read': 900e6,
    output: 5e6,
  }));
  const recent = usage(-6, 0, () => ({
    input: 6.47e9 / 7,
    'cache-read': 1.67e9 / 7,
    'cache-write': 101e6 / 7,
    output: 25e6 / 7,
  }));
  return [...baseline, ...recent];
}

describe('cache-miss: docs/detection.md "Reference numbers" reference numbers', () => {
  it('values the incident: hit ratio 0.20265, uncached $35,585.00, avoidable $28,447.155, critical', async () => {
    const result = await detectOver(referenceIncident(), [D], { detectors: ['cache-miss'] });
    expect(result.findings).toHaveLength(1);
    const f = recordOf(result.findings[0]!);
    expect(f.kind).toBe('cache-regression');
    expect(f.recent_start).toBe(at(-6));
    expect(f.recent_end).toBe(D);
    expect(f.model).toBe('Claude4.6Opus');
    expect(f.input_tokens).toBeCloseTo(6.47e9, 0);
    expect(f.cache_read_tokens).toBeCloseTo(1.67e9, 0);
    expect(f.cache_write_tokens).toBeCloseTo(101e6, 0);
    expect(f.output_tokens).toBeCloseTo(25e6, 0);
    expect(f.uncached_input_cost_usd).toBeCloseTo(35585.0, 2);
    expect(f.cache_hit_ratio).toBe(0.202645); // 1.67 / 8.241 to 6 decimals (docs/findings.md)
    expect(decimal(f.cache_hit_ratio)).toBe('0.20265'); // as the email prints it
    expect(f.baseline_cache_hit_ratio).toBeCloseTo(0.9, 12);
    expect(Math.abs(f.avoidable_cost_usd! - 28447.155)).toBeLessThan(0.01);
    expect(Math.abs(f.projected_30d_excess_usd - 121916.38)).toBeLessThan(0.01);
    expect(f.excess_daily_usd).toBeCloseTo(28447.155 / 7, 2);
    expect(f.severity).toBe('critical');
    // Recent prompt-token cost: input + cache read + cache write.
    expect(f.recent_avg_daily_usd * 7).toBeCloseTo(35585.0 + 918.5 + 694.375, 2);
    expect(f.spike_ratio).toBeNull();
    expect(f.sigma).toBeNull();
    expect(f.started_on).toBeNull();
    expect(f.series.at(-1)!.hit_ratio).toBe(0.202645);
  });

  it('reads prices from the rows, whatever the usage type suffix says', async () => {
    const rows = referenceIncident().map((r) => ({ ...r, skumeter: `${r.skumeter}-cross-region-global` }));
    const [row] = await detectorRows('cache-miss', rows, { from: D, to: D });
    expect(row!.model).toBe('Claude4.6Opus');
    expect(row!.input_unit_price).toBeCloseTo(5.5e-6, 15);
    expect(row!.cache_read_unit_price).toBeCloseTo(0.55e-6, 15);
  });
});

describe('cache-miss: rules', () => {
  it('does not fire when the hit ratio holds', async () => {
    const rows = usage(-40, 0, () => ({ input: 90e6, 'cache-write': 10e6, 'cache-read': 900e6 }));
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
  });

  it('does not fire on a small degradation (0.90 → 0.80, below the 0.20 drop)', async () => {
    const rows = usage(-40, 0, (o) =>
      o >= -6
        ? { input: 190e6, 'cache-write': 10e6, 'cache-read': 800e6 }
        : { input: 90e6, 'cache-write': 10e6, 'cache-read': 900e6 },
    );
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
  });

  it('fires cache-absent on large uncached input for a model that caches elsewhere in the org', async () => {
    const rows = [
      ...usage(-40, 0, () => ({ input: 20e6, output: 1e6 })),
      // Another account caches the same model: the model supports caching.
      ...usage(-40, 0, () => ({ input: 1e6, 'cache-read': 9e6 }), { subaccountid: '222222222222' }),
    ];
    const fired = await detectorRows('cache-miss', rows, { from: D, to: D });
    expect(fired).toHaveLength(1);
    const [row] = fired;
    expect(row!.kind).toBe('cache-absent');
    expect(row!.account_id).toBe('111111111111');
    // (0.5 − 0) × 140 M × ($5.50 − $0.55)/M
    expect(row!.avoidable_cost).toBeCloseTo(0.5 * 140e6 * 4.95e-6, 6);
  });

  it('does not fire cache-absent for a model nobody caches (it may not support caching)', async () => {
    const rows = usage(-40, 0, () => ({ input: 20e6, output: 1e6 }));
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
  });

  it('judges a new uncached workload on the recent window alone (no baseline hit ratio)', async () => {
    const rows = [
      ...usage(-6, 0, () => ({ input: 20e6 })),
      ...usage(-40, 0, () => ({ input: 1e6, 'cache-read': 9e6 }), { subaccountid: '222222222222' }),
    ];
    const [row] = await detectorRows('cache-miss', rows, { from: D, to: D });
    expect(row!.kind).toBe('cache-absent');
    expect(row!.baseline_cache_hit_ratio).toBeNull();
  });

  it('falls back to the list ratio for the cache-read price where the data has none', async () => {
    const rows = [
      ...usage(-40, 0, () => ({ input: 20e6 })),
      // Another account only writes to the cache: the model supports caching, but no read price exists.
      ...usage(-40, 0, () => ({ input: 1e6, 'cache-write': 1e6 }), { subaccountid: '222222222222' }),
    ];
    const [row] = await detectorRows('cache-miss', rows, { from: D, to: D });
    expect(row!.cache_read_unit_price).toBeCloseTo(0.1 * 5.5e-6, 15);
  });

  it('needs $100 of prompt spend a week', async () => {
    const rows = [
      ...usage(-40, 0, (o) => (o >= -6 ? { input: 2e6 } : { input: 0.2e6, 'cache-read': 1.8e6 })),
    ];
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
    const low = testConfig({
      detectors: { 'cache-miss': { min_weekly_prompt_usd: 10, min_avoidable_usd: 1 } },
    });
    expect(await detectorRows('cache-miss', rows, { from: D, to: D }, { config: low })).toHaveLength(1);
  });
});

/** 100 M prompt tokens a day at hit ratio `hit` (4% cache writes, the rest plain input). */
const prompts = (hit: number): Mix => ({
  input: (0.96 - hit) * 100e6,
  'cache-read': hit * 100e6,
  'cache-write': 4e6,
  output: 2e6,
});

describe('cache-miss: the short window (a sustained drop seen within days)', () => {
  it('fires on a partial loss (0.75 → 0.45) on its second day and names the 2-day window', async () => {
    // 40% of the traffic loses its cache on D−1: the 7-day ratio has only fallen 0.086 by D.
    const rows = usage(-40, 0, (o) => prompts(o >= -1 ? 0.45 : 0.75));
    const result = await detectOver(rows, [at(-2), at(-1), D], { detectors: ['cache-miss'] });
    expect(result.findings.map((f) => f.as_of)).toEqual([D]);
    const f = asCacheMiss(result.findings[0]);
    expect(f.kind).toBe('cache-regression');
    expect(f.recent_start).toBe(at(-1));
    expect(f.recent_end).toBe(D);
    expect(f.baseline_start).toBe(at(-34));
    expect(f.baseline_end).toBe(at(-7));
    expect(f.cache_hit_ratio).toBeCloseTo(0.45, 9);
    expect(f.baseline_cache_hit_ratio).toBeCloseTo(0.75, 9);
    expect(f.input_tokens).toBeCloseTo(2 * 51e6, 0);
    // (0.75 − 0.45) × 200 M prompt tokens × ($5.50 − $0.55)/M, over the 2 days that fired.
    expect(Math.abs(f.avoidable_cost_usd! - 297)).toBeLessThan(0.01);
    expect(f.excess_daily_usd).toBeCloseTo(148.5, 2);
    expect(Math.abs(f.projected_30d_excess_usd - 4455)).toBeLessThan(0.01);
    expect(f.recent_avg_daily_usd).toBeCloseTo(51e6 * 5.5e-6 + 45e6 * 0.55e-6 + 4e6 * 6.875e-6, 2);
  });

  it('does not fire on one noisy day, whatever its ratio', async () => {
    const rows = usage(-40, 0, (o) => prompts(o === -3 || o === 0 ? 0.05 : 0.75));
    expect(await detectorRows('cache-miss', rows, { from: at(-6), to: D })).toHaveLength(0);
  });

  it('does not fire while a cache warms back up (each day climbs more than 0.05)', async () => {
    const rows = usage(-40, 0, (o) => prompts(o === -2 ? 0.3 : o === -1 ? 0.45 : o === 0 ? 0.58 : 0.75));
    expect(await detectorRows('cache-miss', rows, { from: at(-6), to: D })).toHaveLength(0);
  });

  it('fires on a drop that holds with small day-to-day noise', async () => {
    const rows = usage(-40, 0, (o) => prompts(o === -1 ? 0.43 : o === 0 ? 0.47 : 0.75));
    const [row] = await detectorRows('cache-miss', rows, { from: D, to: D });
    expect(row!.recent_days).toBe(2);
  });

  it('needs every day of the window below the baseline by 0.15', async () => {
    const rows = usage(-40, 0, (o) => prompts(o === -1 ? 0.45 : o === 0 ? 0.61 : 0.75));
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
  });

  it('needs the weekly prompt floor pro rata over the short window ($100 × 2/7)', async () => {
    // 2.25 M prompt tokens a day lose their cache entirely on D−1: $25.00 of prompt over the 2 days,
    // under $28.57; the avoidable $16.71 would pass its own pro-rata floor ($50 × 2/7).
    const scaled = (hit: number) =>
      Object.fromEntries(Object.entries(prompts(hit)).map(([k, v]) => [k, v * 0.0225])) as Mix;
    const rows = usage(-40, 0, (o) =>
      o >= -1 ? { input: 0.96 * 2.25e6, 'cache-write': 0.09e6 } : scaled(0.75),
    );
    expect(await detectorRows('cache-miss', rows, { from: D, to: D })).toHaveLength(0);
    const lower = testConfig({ detectors: { 'cache-miss': { min_weekly_prompt_usd: 80 } } });
    const [row] = await detectorRows('cache-miss', rows, { from: D, to: D }, { config: lower });
    expect(row!.recent_days).toBe(2);
    expect(Number(row!.recent_prompt_cost)).toBeCloseTo(25, 2);
  });

  it('prefers the 7-day window where both fire (the docs/detection.md "Reference numbers" incident keeps its numbers)', async () => {
    const [row] = await detectorRows('cache-miss', referenceIncident(), { from: D, to: D });
    expect(row!.recent_days).toBe(7);
    expect(Math.abs(Number(row!.avoidable_cost) - 28447.155)).toBeLessThan(0.01);
  });

  it('is off at short_days: 0', async () => {
    const rows = usage(-40, 0, (o) => prompts(o >= -1 ? 0.45 : 0.75));
    const off = testConfig({ detectors: { 'cache-miss': { short_days: 0 } } });
    expect(await detectorRows('cache-miss', rows, { from: D, to: D }, { config: off })).toHaveLength(0);
  });
});
