/**
 * sql/cache-miss.sql, given/expect. As-of D = 2026-03-20: recent D−6..D, baseline D−34..D−7.
 * Prices per million tokens (regional Claude Opus 4.6): input 5.50, cache read 0.55,
 * cache write 6.875, output 27.50.
 */
import { describe, expect, it } from 'vitest';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { decimal } from '../../functions/core/format.js';
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

/** SPEC §14 cache incident: baseline hit ratio 0.90; the recent 7 days as the reference says. */
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

describe('cache-miss: SPEC §14 reference numbers', () => {
  it('values the incident: hit ratio 0.20265, uncached $35,585.00, avoidable $28,447.155, critical', async () => {
    const result = await detectOver(referenceIncident(), [D], { detectors: ['cache-miss'] });
    expect(result.findings).toHaveLength(1);
    const f = result.findings[0]!;
    expect(f.kind).toBe('cache-regression');
    expect(f.model).toBe('Claude4.6Opus');
    expect(f.input_tokens).toBeCloseTo(6.47e9, 0);
    expect(f.cache_read_tokens).toBeCloseTo(1.67e9, 0);
    expect(f.cache_write_tokens).toBeCloseTo(101e6, 0);
    expect(f.output_tokens).toBeCloseTo(25e6, 0);
    expect(f.uncached_input_cost_usd).toBeCloseTo(35585.0, 2);
    expect(f.cache_hit_ratio).toBe(0.202645); // 1.67 / 8.241 to 6 decimals (SPEC §6)
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
