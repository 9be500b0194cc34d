/** The hourly watch's rule (docs/watch.md "The rule"), on small hand-made accounts. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../functions/core/config.js';
import { type ClassPrices, type PriceTable, Pricing } from '../../functions/core/detect/prices.js';
import {
  evaluateWatch,
  type WatchInput,
  type WatchRuleParams,
  watchRuleParams,
} from '../../functions/core/detect/watch-rule.js';
import { addHours, HOUR_MS, hourIso, hourMs } from '../../functions/core/hours.js';
import type { HourlyUsage } from '../../functions/core/ports.js';

const ACCOUNT = '111111111111';
const OPUS = 'us.anthropic.claude-opus-4-6-v1';
const config = defaultConfig();
const PARAMS = watchRuleParams(config.watch);
const OPUS_PRICES: ClassPrices = { input: 5.5, output: 27.5, cache_read: 0.55, cache_write: 6.875 };

const table = (account = ACCOUNT): PriceTable => ({
  version: 1,
  computed_at: '2026-12-01T06:00:00Z',
  run_id: null,
  window: { start: '2026-10-27', end: '2026-11-29' },
  cost_column: 'billedcost',
  accounts: [
    {
      account_id: account,
      model: 'Claude4.6Opus',
      usd_per_million: OPUS_PRICES,
      tokens: { input: 1e9, output: 1e8, cache_read: 1e9, cache_write: 1e7 },
    },
  ],
  organization: [],
  resources: [],
  regions: ['us-east-1'],
});

/** One row whose input tokens cost `inputUsd` and output tokens `outputUsd` at Opus 4.6's regional prices. */
function usage(hour: string, inputUsd: number, outputUsd = 0, extra: Partial<HourlyUsage> = {}): HourlyUsage {
  return {
    account_id: ACCOUNT,
    model_id: OPUS,
    hour,
    input_tokens: Math.round((inputUsd / 5.5) * 1e6),
    output_tokens: Math.round((outputUsd / 27.5) * 1e6),
    cache_read_tokens: null,
    cache_write_tokens: null,
    invocations: Math.max(1, Math.round((inputUsd / 5.5) * 100)),
    ...extra,
  };
}

const FRIDAY = '2026-12-04';
const HISTORY_FROM = '2026-11-19T00:00:00Z';

/** ~$20 a weekday spread over office hours (09:00–17:00 UTC, $2.50 an hour), nothing at weekends. */
function officeHours(from = HISTORY_FROM, to = '2026-12-08T00:00:00Z', wobble = true): HourlyUsage[] {
  const rows: HourlyUsage[] = [];
  for (let ms = hourMs(from); ms < hourMs(to); ms += HOUR_MS) {
    const d = new Date(ms);
    const weekday = d.getUTCDay();
    const hour = d.getUTCHours();
    if (weekday === 0 || weekday === 6 || hour < 9 || hour >= 17) continue;
    rows.push(usage(hourIso(ms), 2.5 * (wobble ? 1 + 0.1 * Math.sin(ms / HOUR_MS) : 1)));
  }
  return rows;
}

function loop(rows: HourlyUsage[], from: string, hours: number, usdPerHour: number): HourlyUsage[] {
  const out = rows.map((r) => ({ ...r }));
  for (let h = 0; h < hours; h++) {
    const hour = addHours(from, h);
    const held = out.find((r) => r.hour === hour);
    const extra = Math.round((usdPerHour / 27.5) * 1e6);
    if (held) held.output_tokens = (held.output_tokens ?? 0) + extra;
    else out.push({ ...usage(hour, 0), output_tokens: extra });
  }
  return out;
}

function watch(
  rows: HourlyUsage[],
  evaluate: { from: string; to: string },
  overrides: Partial<WatchRuleParams> = {},
  pricing = new Pricing(table(), null),
) {
  const input: WatchInput = {
    rows,
    pricing,
    evaluate,
    coveredFrom: HISTORY_FROM,
    params: { ...PARAMS, ...overrides },
    severity: config.severity,
  };
  return evaluateWatch(input);
}

describe('the watch rule: runaway', () => {
  it('fires on the $4,200 weekend by Friday 21:00: a $58/hour loop from Friday 18:00 on a $20/day office-hours account', () => {
    const rows = loop(officeHours(), `${FRIDAY}T18:00:00Z`, 72, 58);
    const result = watch(rows, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-08T00:00:00Z' });
    const runaway = result.findings.filter((f) => f.kind === 'runaway');
    const friday = runaway.find((f) => f.as_of === FRIDAY)!;
    // The hour that fired ended by 21:00 (the watch judges an hour once it has ended).
    expect(hourMs(friday.first_hour) + HOUR_MS).toBeLessThanOrEqual(Date.parse(`${FRIDAY}T21:00:00Z`));
    expect(friday.first_hour).toBe(`${FRIDAY}T19:00:00Z`);
    // The figures are the newest firing hour's: its recent window is the last two hours of the day.
    expect([friday.recent_start, friday.recent_end]).toEqual([`${FRIDAY}T22:00:00Z`, `${FRIDAY}T23:00:00Z`]);
    expect(friday.observed_through).toBe(`${FRIDAY}T23:00:00Z`);
    expect(friday.fired_hours).toEqual(['19', '20', '21', '22', '23'].map((h) => `${FRIDAY}T${h}:00:00Z`));
    expect(friday.recent_avg_hourly_usd).toBeCloseTo(58, 2);
    expect(friday.recent_avg_daily_usd).toBeCloseTo(58 * 24, 1);
    expect(friday.expected_hourly_usd).toBe(0);
    expect(friday.excess_hourly_usd).toBeCloseTo(58, 2);
    expect(friday.projected_30d_excess_usd).toBeCloseTo(58 * 720, 0);
    expect(friday.severity).toBe('critical');
    expect(friday.price_basis).toBe('account');
    expect(friday.hourly_series).toHaveLength(48);
    expect(friday.hourly_series.at(-1)).toMatchObject({ hour: `${FRIDAY}T23:00:00Z`, expected_usd: 0 });
    expect(friday.hourly_series.at(-1)!.cost_usd).toBeCloseTo(58, 4);
    // One finding per day the loop ran, through Monday 17:00.
    expect(runaway.map((f) => f.as_of)).toEqual([FRIDAY, '2026-12-05', '2026-12-06', '2026-12-07']);
    expect(runaway.at(-1)!.fired_hours.at(-1)).toBe('2026-12-07T17:00:00Z');
    // The usual hour: the median weekday's mean hour, $20/24.
    expect(friday.baseline_hourly_usd).toBeCloseTo(20 / 24, 1);
  });

  it('stays quiet on the same account without the loop, and on one hour of it', () => {
    const week = { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-08T00:00:00Z' };
    expect(watch(officeHours(), week).findings).toEqual([]);
    expect(watch(loop(officeHours(), `${FRIDAY}T18:00:00Z`, 1, 58), week).findings).toEqual([]);
  });

  it('does not fire below the $/hour floor however large the multiple ($0.10 → $1 an hour)', () => {
    const rows: HourlyUsage[] = [];
    for (let ms = hourMs(HISTORY_FROM); ms < hourMs('2026-12-08T00:00:00Z'); ms += HOUR_MS) {
      const hour = hourIso(ms);
      rows.push(usage(hour, hour >= `${FRIDAY}T18:00:00Z` ? 1 : 0.1));
    }
    expect(watch(rows, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-07T00:00:00Z' }).findings).toEqual([]);
  });

  it('treats unreadable hours as unknown, not zero: a gap in the baseline does not lower it', () => {
    // Round the clock at $10/h; every afternoon and evening before Friday could not be read.
    const rows: HourlyUsage[] = [];
    for (let ms = hourMs(HISTORY_FROM); ms < hourMs('2026-12-05T00:00:00Z'); ms += HOUR_MS) {
      const hour = hourIso(ms);
      const gap = hour < `${FRIDAY}T00:00:00Z` && new Date(ms).getUTCHours() >= 12;
      rows.push(
        gap
          ? { ...usage(hour, 0), input_tokens: null, output_tokens: null, invocations: null }
          : usage(hour, 10),
      );
    }
    const evaluate = { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' };
    expect(watch(rows, evaluate).findings).toEqual([]);
    // Read as zeros instead, the same hours would have made Friday afternoon look like a spike.
    const zeros = rows.map((r) => (r.input_tokens === null ? usage(r.hour, 0) : r));
    expect(watch(zeros, evaluate, { min_increase_ratio: 0.5 }).findings.map((f) => f.kind)).toContain(
      'runaway',
    );
    // An unreadable hour in the recent window is not judged at all.
    const late = loop(rows, `${FRIDAY}T19:00:00Z`, 3, 80).map((r) =>
      r.hour === `${FRIDAY}T20:00:00Z`
        ? { ...r, input_tokens: null, output_tokens: null, invocations: null }
        : r,
    );
    const result = watch(late, evaluate);
    // 19:00 alone is one hour: 20:00 and 21:00 have an unreadable hour in their windows.
    expect(result.findings.flatMap((f) => f.fired_hours)).toEqual([]);
    expect(result.unknownHours).toBe(1);
  });

  it('keeps an hour-of-day pattern: a nightly batch is expected, the same spend at noon is not', () => {
    const rows: HourlyUsage[] = [];
    for (let ms = hourMs(HISTORY_FROM); ms < hourMs('2026-12-05T00:00:00Z'); ms += HOUR_MS) {
      const h = new Date(ms).getUTCHours();
      rows.push(usage(hourIso(ms), h >= 2 && h < 4 ? 60 : 3));
    }
    const evaluate = { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' };
    expect(watch(rows, evaluate).findings).toEqual([]);
    const noon = rows.map((r) =>
      r.hour === `${FRIDAY}T12:00:00Z` || r.hour === `${FRIDAY}T13:00:00Z` ? usage(r.hour, 60) : r,
    );
    expect(watch(noon, evaluate).findings.map((f) => [f.kind, f.first_hour])).toEqual([
      ['runaway', `${FRIDAY}T13:00:00Z`],
    ]);
  });

  it('keeps the daily pattern alone when there are not two weeks of history for the weekly one', () => {
    const rows: HourlyUsage[] = [];
    for (let ms = hourMs('2026-11-24T00:00:00Z'); ms < hourMs('2026-12-05T00:00:00Z'); ms += HOUR_MS) {
      const h = new Date(ms).getUTCHours();
      rows.push(usage(hourIso(ms), h >= 2 && h < 4 ? 60 : 3));
    }
    const young = evaluateWatch({
      rows,
      pricing: new Pricing(table(), null),
      evaluate: { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' },
      coveredFrom: '2026-11-24T00:00:00Z',
      params: PARAMS,
      severity: config.severity,
    });
    expect(young.findings).toEqual([]);
  });

  it('keeps a weekly pattern: a job every Friday evening two weeks in a row is expected', () => {
    const rows = loop(
      loop(loop(officeHours(), '2026-11-20T18:00:00Z', 4, 58), '2026-11-27T18:00:00Z', 4, 58),
      `${FRIDAY}T18:00:00Z`,
      4,
      58,
    );
    expect(watch(rows, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' }).findings).toEqual([]);
    // Once is not a pattern: only last week's Friday → this Friday fires.
    const once = loop(loop(officeHours(), '2026-11-27T18:00:00Z', 4, 58), `${FRIDAY}T18:00:00Z`, 4, 58);
    expect(watch(once, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' }).findings).not.toEqual([]);
  });

  it('needs each of the recent hours above the bar, each of them in a row', () => {
    const rows = loop(officeHours(), `${FRIDAY}T18:00:00Z`, 72, 58);
    const three = watch(
      rows,
      { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' },
      { recent_hours: 3 },
    );
    expect(three.findings[0]!.first_hour).toBe(`${FRIDAY}T20:00:00Z`);
  });
});

describe('the watch rule: new spenders and young sources', () => {
  const silentThenSpend = (usd: number) => {
    const rows: HourlyUsage[] = [];
    for (let h = 0; h < 6; h++) rows.push(usage(addHours(`${FRIDAY}T10:00:00Z`, h), usd));
    return rows;
  };

  it('reports an account with no history at $20/hour or more as a new spender', () => {
    const result = watch(silentThenSpend(25), { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' });
    expect(result.findings.map((f) => [f.kind, f.first_hour, f.baseline_hourly_usd])).toEqual([
      ['new-spender', `${FRIDAY}T11:00:00Z`, null],
    ]);
    expect(result.findings[0]!.projected_30d_excess_usd).toBeCloseTo(25 * 720, 0);
  });

  it('leaves a new account below the floor alone', () => {
    expect(
      watch(silentThenSpend(15), { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' }).findings,
    ).toEqual([]);
  });

  it('judges nothing before the source covers enough hours (a fresh source makes no new spenders)', () => {
    const rows = silentThenSpend(40);
    const fresh = evaluateWatch({
      rows,
      pricing: new Pricing(table(), null),
      evaluate: { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' },
      coveredFrom: '2026-12-03T00:00:00Z',
      params: PARAMS,
      severity: config.severity,
    });
    expect(fresh.findings).toEqual([]);
  });
});

describe('the watch rule: context growth', () => {
  it('fires when prompt tokens per invocation double for 6 hours while invocations stay, medium severity', () => {
    const rows: HourlyUsage[] = [];
    for (let ms = hourMs(HISTORY_FROM); ms < hourMs('2026-12-05T00:00:00Z'); ms += HOUR_MS) {
      const hour = hourIso(ms);
      const grown = hour >= `${FRIDAY}T08:00:00Z`;
      // 100 invocations of 5,000 prompt tokens an hour, then of 12,500.
      rows.push({
        ...usage(hour, 0),
        input_tokens: 100 * (grown ? 12_500 : 5_000),
        output_tokens: 20_000,
        invocations: 100,
      });
    }
    const result = watch(rows, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' });
    const growth = result.findings.filter((f) => f.kind === 'context-growth');
    expect(growth.map((f) => f.first_hour)).toEqual([`${FRIDAY}T13:00:00Z`]);
    expect(growth[0]).toMatchObject({
      severity: 'medium',
      prompt_tokens_per_invocation: 12_500,
      baseline_prompt_tokens_per_invocation: 5_000,
      invocation_ratio: 1,
      recent_start: `${FRIDAY}T18:00:00Z`,
      recent_end: `${FRIDAY}T23:00:00Z`,
    });
    // The same growth with invocations doubling too is more traffic, not a longer context.
    const busier = rows.map((r) =>
      r.hour >= `${FRIDAY}T08:00:00Z` ? { ...r, invocations: 200, input_tokens: 200 * 12_500 } : r,
    );
    expect(
      watch(busier, { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' }).findings.filter(
        (f) => f.kind === 'context-growth',
      ),
    ).toEqual([]);
  });
});

describe('the watch rule: prices', () => {
  it('names a list-price estimate and leaves out tokens nobody can price', () => {
    const rows = loop(officeHours(), `${FRIDAY}T18:00:00Z`, 6, 58).map((r) => ({
      ...r,
      account_id: '222222222222',
    }));
    const unknownModel = {
      ...usage(`${FRIDAY}T18:00:00Z`, 0),
      account_id: '222222222222',
      model_id: 'cohere.command-r-v1:0',
      input_tokens: 1e6,
    };
    const list = (id: string): ClassPrices | null => (id.includes('claude-opus-4-6') ? OPUS_PRICES : null);
    const result = watch(
      [...rows, unknownModel],
      { from: `${FRIDAY}T00:00:00Z`, to: '2026-12-05T00:00:00Z' },
      {},
      new Pricing(table('333333333333'), list),
    );
    expect(result.findings[0]).toMatchObject({
      account_id: '222222222222',
      kind: 'runaway',
      price_basis: 'list',
    });
    expect(result.unpricedModelIds).toEqual(['cohere.command-r-v1:0']);
  });
});
