import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';

describe('configuration', () => {
  it('has a default for every key, so no file is needed', () => {
    const config = parseConfig({});
    expect(config.engine).toBe('duckdb');
    expect(config.detectors['runaway-inference'].k).toBe(2);
    expect(config.detectors['cache-miss'].min_avoidable_usd).toBe(50);
    expect(config.detectors['cache-miss'].short_days).toBe(2);
    expect(config.notify.follow_up_hours).toBe(48);
  });

  it('rejects an unknown key with its path', () => {
    expect(() => parseConfig({ detectors: { 'cache-miss': { recnt_days: 7 } } }, 'cfg.yaml')).toThrow(
      /cfg\.yaml is not valid:[\s\S]*detectors\.cache-miss: unknown key .recnt_days.; the keys here are recent_days, baseline_days,/,
    );
  });

  it('names the keys allowed where an unknown top-level key is (no other document needed)', () => {
    expect(() => parseConfig({ kill_swich: {} }, 'cfg.yaml')).toThrow(
      /\(top level\): unknown key 'kill_swich'; the keys here are [^\n]*kill_switch/,
    );
  });

  it('has defaults for the budget, watch and kill-switch blocks (the kill switch off)', () => {
    const config = parseConfig({});
    expect(config.detectors.budget.month_over_month_ratio).toBe(2);
    expect(config.detectors.budget.max_uncached_input_tokens_per_day).toBeNull();
    expect(config.watch.source).toBe('file');
    // The hourly rule's parameters: the hourly quality benchmark's choice (bench/QUALITY.md).
    expect(config.watch).toMatchObject({
      recent_hours: 2,
      min_slot_ratio: 2,
      min_increase_ratio: 2.5,
      min_hourly_increase_usd: 10,
      new_spender_hourly_usd: 20,
      context_growth_ratio: 2,
      context_growth_hours: 6,
    });
    expect(config.kill_switch.mode).toBe('off');
    expect(config.kill_switch.detectors).toEqual(['runaway-inference', 'runaway-watch', 'budget']);
  });

  it.each([
    [{ kill_switch: { mode: 'enforce' } }, 'kill_switch.accounts: mode enforce needs at least one'],
    [
      { kill_switch: { accounts: ['12345678901'] } },
      'kill_switch.accounts.0: an AWS account id is exactly 12 digits',
    ],
    [{ kill_switch: { break_glass_role: 'BreakGlass' } }, 'kill_switch.break_glass_role: an IAM role ARN'],
    [{ kill_switch: { detectors: ['cache-miss'] } }, 'kill_switch.detectors: cache-miss never engages'],
    [{ detectors: { budget: { daily_cap_usd: -1 } } }, 'detectors.budget.daily_cap_usd'],
    [{ watch: { source: 'logs' } }, 'watch.source'],
  ])('refuses a kill switch or budget that could do the wrong thing: %j', (input, text) => {
    expect(() => parseConfig(input)).toThrow(text);
  });

  it.each([
    [{ detectors: { 'runaway-inference': { k: 0 } } }, 'detectors.runaway-inference.k'],
    [{ detectors: { 'runaway-inference': { min_baseline_daily_usd: 0 } } }, 'min_baseline_daily_usd'],
    [{ detectors: { 'runaway-inference': { min_spike_ratio: 0.9 } } }, 'min_spike_ratio'],
    [{ detectors: { 'runaway-inference': { guard_days: 1.5 } } }, 'guard_days'],
    [{ detectors: { 'runaway-inference': { baseline_days: 0 } } }, 'baseline_days'],
    [{ detectors: { 'runaway-inference': { recurring_match: 1.2 } } }, 'recurring_match'],
    [{ detectors: { 'cache-miss': { short_days: 1.5 } } }, 'detectors.cache-miss.short_days'],
    [{ detectors: { 'cache-miss': { short_days: 7 } } }, 'detectors.cache-miss.short_days'],
    [{ detectors: { 'cache-miss': { min_daily_hit_ratio_drop: 1.1 } } }, 'min_daily_hit_ratio_drop'],
    [{ detectors: { 'cache-miss': { max_hit_ratio_recovery: -0.1 } } }, 'max_hit_ratio_recovery'],
    [{ export_lag_days: -1 }, 'export_lag_days'],
    [{ cases: { resuppress_growth: 1 } }, 'cases.resuppress_growth'],
    [{ notify: { follow_up_hours: 0 } }, 'notify.follow_up_hours'],
    [{ notify: { finops: 'not-an-address' } }, 'notify.finops'],
    [{ engine: 'postgres' }, 'engine'],
    [{ tag_keys: ["x'; DROP TABLE"] }, 'tag_keys.0'],
    [{ watch: { baseline_days: 7 } }, 'watch.baseline_days'],
    [{ watch: { recent_hours: 0 } }, 'watch.recent_hours'],
    [{ watch: { min_slot_ratio: 0.5 } }, 'watch.min_slot_ratio'],
    [{ watch: { min_baseline_hourly_usd: 0 } }, 'watch.min_baseline_hourly_usd'],
    [{ watch: { context_growth_ratio: 1 } }, 'watch.context_growth_ratio'],
    [{ watch: { min_hourly_increase_usd: -1 } }, 'watch.min_hourly_increase_usd'],
  ])('rejects %j naming %s', (input, path) => {
    let error: unknown;
    try {
      parseConfig(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(path);
  });
});
