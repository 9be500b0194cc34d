/**
 * The budget families of the quality benchmark (bench/quality/budget/) say what they are: a label is
 * only as good as the rows under it.
 */
import { describe, expect, it } from 'vitest';
import {
  BUDGET_FAMILY_IDS,
  budgetWindowOf,
  generateBudgetScenario,
} from '../../bench/quality/budget/scenarios.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';

const dayOf = (r: FocusRow) => new Date(r.chargeperiodstart).toISOString().slice(0, 10);
const costBy = (rows: FocusRow[], key: (day: string) => string | null) => {
  const out = new Map<string, number>();
  for (const r of rows) {
    const k = key(dayOf(r));
    if (k !== null) out.set(k, (out.get(k) ?? 0) + (r.billedcost ?? 0));
  }
  return out;
};
const SEEDS = Array.from({ length: 12 }, (_, i) => 700_000 + i);

describe('budget quality families', () => {
  it('are deterministic and give each scenario its own account', () => {
    const a = generateBudgetScenario('step-mid-month', 700_001);
    const b = generateBudgetScenario('step-mid-month', 700_001);
    expect(a.rows).toEqual(b.rows);
    const ids = SEEDS.flatMap((s) =>
      BUDGET_FAMILY_IDS.map((f) => generateBudgetScenario(f, s).label.account_id),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('make the step month 2.2× last month where the month is in the data whole', () => {
    let checked = 0;
    for (let seed = 700_000; seed < 700_060; seed++) {
      const { rows, label, window } = generateBudgetScenario('step-mid-month', seed);
      const month = label.start!.slice(0, 7);
      if (label.deadline! >= window.to && !label.deadline!.startsWith(month)) continue;
      const months = costBy(rows, (d) => d.slice(0, 7));
      const before = [...months.keys()]
        .sort()
        .filter((k) => k < month)
        .at(-1)!;
      if (
        label.deadline !==
        `${month}-${String(new Date(Date.UTC(+month.slice(0, 4), +month.slice(5), 0)).getUTCDate())}`
      )
        continue;
      checked += 1;
      const ratio = months.get(month)! / months.get(before)!;
      expect(ratio, `seed ${seed}`).toBeGreaterThan(2.15);
      expect(ratio, `seed ${seed}`).toBeLessThan(2.25);
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('keeps the slow climb under 2× every month, and the step caught only after its first day', () => {
    for (const seed of SEEDS) {
      const { rows, window } = generateBudgetScenario('slow-climb', seed);
      const months = [...costBy(rows, (d) => d.slice(0, 7))].sort();
      // Whole months only: the first month of data may be partial.
      for (let i = 2; i < months.length - 1; i++) {
        expect(months[i]![1] / months[i - 1]![1], `seed ${seed} ${months[i]![0]}`).toBeLessThan(1.97);
      }
      expect(window.to >= window.from).toBe(true);
    }
  });

  it('puts the one-off on the 1st above 3× the days around it, and the sandbox day over its $100 cap', () => {
    for (const seed of SEEDS) {
      const oneOff = generateBudgetScenario('one-off-on-the-1st', seed);
      const daily = costBy(oneOff.rows, (d) => d);
      const firsts = [...daily.keys()].filter(
        (d) => d.endsWith('-01') && d >= budgetWindowOf(seed).from.slice(0, 8),
      );
      const first = firsts.at(-1)!;
      const others = [...daily].filter(([d]) => d !== first).map(([, c]) => c);
      const mean = others.reduce((a, b) => a + b, 0) / others.length;
      expect(daily.get(first)!).toBeGreaterThan(3 * mean);

      const sandbox = generateBudgetScenario('sandbox-crossing', seed);
      const days = costBy(sandbox.rows, (d) => d);
      expect(days.get(sandbox.label.start!)!).toBeGreaterThan(100);
      for (const [d, c] of days) if (d !== sandbox.label.start) expect(c, d).toBeLessThan(100);
    }
  });
});
