/**
 * The original QB15 query (docs/detection.md "The original query") against ours on the same rows: each of its defects, and each
 * rule we added, shown by a case where the two disagree.
 */
import { describe, expect, it } from 'vitest';
import { originalQuerySql } from '../../bench/qb15-original.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import type { Row } from '../../functions/core/ports.js';
import { ACCOUNT, type FixtureRow, focusRow } from '../fixtures/focus-rows.js';
import { DUCKDB_FOCUS, detectOver, withFocus } from './harness.js';

const D = '2026-03-20';
const at = (n: number) => addDays(D, n);

function series(
  cost: (offset: number) => number,
  days = 60,
  overrides: Partial<FixtureRow> = {},
): FixtureRow[] {
  return dayRange(at(-(days - 1)), D)
    .map((day, i) => {
      const c = cost(i - (days - 1));
      return focusRow({ chargeperiodstart: day, billedcost: c, effectivecost: c, ...overrides });
    })
    .filter((r) => r.billedcost !== 0);
}

async function original(rows: FixtureRow[], asIntended: boolean, from = D, to = D): Promise<Row[]> {
  return withFocus(rows, (engine) =>
    engine.query(originalQuerySql(DUCKDB_FOCUS, { asOfStart: from, asOfEnd: to, asIntended })),
  );
}

const ours = async (rows: FixtureRow[], days: string[] = [D]) =>
  (await detectOver(rows, days, { detectors: ['runaway-inference'] })).findings;

const runaway = (o: number) => (o >= -2 ? 132 : 7.32 + (o % 2) * 0.2);

describe('defects of the original query', () => {
  it('as written, returns nothing on a 2026 export; as intended, finds the runaway', async () => {
    const rows = series(runaway);
    expect(await original(rows, false)).toHaveLength(0);
    expect(await original(rows, true)).toHaveLength(1);
    expect(await ours(rows)).toHaveLength(1);
  });

  it("ChargeClass 'Regular' matches nothing: FOCUS ChargeClass is NULL for regular charges", async () => {
    // Even with a usage type that contains InvokeModel, the 'Regular' filter alone empties the result.
    const rows = series(runaway, 60, { x_usagetype: 'USE1-InvokeModel-Claude-input-tokens' });
    expect(await original(rows, false)).toHaveLength(0);
    expect(await ours(rows)).toHaveLength(1);
  });

  it('InvokeModel is never in a usage type: that filter alone empties the result', async () => {
    const rows = series(runaway, 60, {
      chargeclass: 'Regular' as never,
      x_usagetype: 'USE1-Claude4.6Opus-input-tokens',
    });
    expect(await original(rows, false)).toHaveLength(0);
  });

  it('skips zero-spend days, so a weekly job turning daily is invisible to it', async () => {
    // $50 one day a week, then $50 every day: the original's baseline is all $50 days.
    const rows = series((o) => (o >= -2 ? 50 : (o + 60) % 7 === 0 ? 50 : 0));
    expect(await original(rows, true)).toHaveLength(0);
    const found = await ours(rows);
    expect(found).toHaveLength(1);
    expect(found[0]!.baseline_avg_daily_usd).toBeLessThan(10);
  });

  it('drops a new spender (inner join on a baseline row)', async () => {
    const rows = [
      ...series((o) => (o >= -2 ? 80 : 0)),
      ...series(() => 5, 60, { subaccountid: '222222222222' }),
    ];
    expect(await original(rows, true)).toHaveLength(0);
    expect((await ours(rows)).map((f) => [f.account_id, f.kind])).toEqual([[ACCOUNT, 'new-spender']]);
  });

  it('reports at most 25 accounts (LIMIT 25); ours reports every account that fires', async () => {
    const rows: FixtureRow[] = [];
    for (let i = 0; i < 30; i++) {
      rows.push(
        ...series((o) => (o >= -2 ? 60 + i : 5 + (o % 2) * 0.2), 40, {
          subaccountid: String(100000000000 + i),
        }),
      );
    }
    expect(await original(rows, true)).toHaveLength(25);
    expect(await ours(rows)).toHaveLength(30);
  });

  it('misses a mid-week spike that ended before the weekly run; catch-up over the week finds it', async () => {
    const rows = series((o) => (o >= -7 && o <= -5 ? 150 : 8 + (o % 2) * 0.3));
    expect(await original(rows, true)).toHaveLength(0);
    expect(await ours(rows)).toHaveLength(0);
    const week = dayRange(at(-6), D);
    const found = await ours(rows, week);
    expect(new Set(found.map((f) => f.case_key)).size).toBe(1);
    expect(found.map((f) => f.as_of)).toEqual([at(-6), at(-5), at(-4), at(-3)]);
  });
});

describe('rules we added, where the original cries wolf', () => {
  it('steady growth of 2% a day: the original flags it, our ratio floor does not', async () => {
    const rows = series((o) => 100 * 1.02 ** (o + 60));
    expect(await original(rows, true)).toHaveLength(1);
    expect(await ours(rows)).toHaveLength(0);
  });

  it('a month-end batch job: the original flags it every month, our recurring rule does not', async () => {
    const rows = series((o) => (o >= -2 || (o >= -32 && o <= -30) ? 200 : 20));
    expect(await original(rows, true)).toHaveLength(1);
    expect(await ours(rows)).toHaveLength(0);
  });

  it('a fresh export: the original judges a 3-day baseline, ours waits for 14 covered days', async () => {
    const rows = series((o) => (o >= -2 ? 60 : 20 + (o % 2)), 11);
    expect(await original(rows, true)).toHaveLength(1);
    expect(await ours(rows)).toHaveLength(0);
  });
});
