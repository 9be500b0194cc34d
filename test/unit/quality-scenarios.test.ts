import { describe, expect, it } from 'vitest';
import {
  accountIdOf,
  DATA_DAYS,
  FAMILIES,
  FAMILY_IDS,
  type FamilyId,
  generateScenario,
  RANGE_DAYS,
  type Scenario,
} from '../../bench/quality/scenarios.js';
import { addDays, dayRange, daysBetween } from '../../functions/core/dates.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';

const SEEDS = [0, 1, 2, 3, 4, 5, 6];
const dayOf = (row: FocusRow) => row.chargeperiodstart.toISOString().slice(0, 10);
const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();

const isInference = (row: FocusRow) =>
  (row.servicename === 'Amazon Bedrock' || row.servicename.endsWith('(Amazon Bedrock Edition)')) &&
  row.chargecategory === 'Usage' &&
  row.chargeclass !== 'Correction' &&
  /token/i.test(row.skumeter ?? '');

function tokenClass(row: FocusRow): 'input' | 'output' | 'cache_read' | 'cache_write' {
  const t = (row.skumeter ?? '').toLowerCase();
  if (/cache-?read|cacheread/.test(t)) return 'cache_read';
  if (/cache-?write|cachewrite/.test(t)) return 'cache_write';
  if (t.includes('output')) return 'output';
  return 'input';
}

const tokensOf = (row: FocusRow) =>
  (row.consumedquantity ?? 0) *
  (row.consumedunit === '1K tokens' ? 1e3 : row.consumedunit === '1M tokens' ? 1e6 : 1e6);

/** Inference cost per day of one account (zero-filled over the scenario's data days). */
function dailyCost(s: Scenario, account = s.label.account_id, klass?: ReturnType<typeof tokenClass>) {
  const cost = new Map<string, number>();
  for (let i = 0; i < DATA_DAYS; i++) cost.set(addDays(s.window.dataStart, i), 0);
  for (const row of s.rows) {
    if (row.subaccountid !== account || !isInference(row)) continue;
    if (klass && tokenClass(row) !== klass) continue;
    cost.set(dayOf(row), (cost.get(dayOf(row)) ?? 0) + (row.billedcost ?? 0));
  }
  return cost;
}

function meanOver(series: Map<string, number>, from: string, to: string): number {
  let sum = 0;
  let n = 0;
  for (const [day, v] of series) {
    if (day >= from && day <= to) {
      sum += v;
      n += 1;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Cache hit ratio (cache read / prompt tokens) of an account over a day range. */
function hitRatio(s: Scenario, from: string, to: string, account = s.label.account_id): number {
  let read = 0;
  let prompt = 0;
  for (const row of s.rows) {
    const day = dayOf(row);
    if (row.subaccountid !== account || !isInference(row) || day < from || day > to) continue;
    const klass = tokenClass(row);
    if (klass === 'output') continue;
    prompt += tokensOf(row);
    if (klass === 'cache_read') read += tokensOf(row);
  }
  return prompt === 0 ? 0 : read / prompt;
}

const scenarios = (family: FamilyId) => SEEDS.map((seed) => generateScenario(family, seed));

describe('quality scenario library', () => {
  it('generates the same rows and label for the same family and seed, and other rows for another seed', () => {
    for (const family of FAMILY_IDS) {
      const a = generateScenario(family, 11);
      const b = generateScenario(family, 11);
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(JSON.stringify(generateScenario(family, 12).rows)).not.toBe(JSON.stringify(a.rows));
    }
  });

  it('gives every scenario 70 days of rows ending on the last as-of day, and 28 as-of days', () => {
    for (const family of FAMILY_IDS) {
      for (const s of scenarios(family)) {
        const days = new Set(s.rows.map(dayOf));
        expect(days.size).toBe(DATA_DAYS);
        expect([...days].sort()[0]).toBe(s.window.dataStart);
        expect([...days].sort().at(-1)).toBe(s.window.to);
        expect(daysBetween(s.window.from, s.window.to)).toBe(RANGE_DAYS - 1);
        expect(daysBetween(s.window.dataStart, s.window.from)).toBeGreaterThanOrEqual(36);
      }
    }
  });

  it('uses distinct account ids across families, seeds and roles', () => {
    const ids = new Set<string>();
    for (const family of FAMILY_IDS) {
      for (let seed = 0; seed < 50; seed++) {
        for (const role of [0, 1] as const) ids.add(accountIdOf(family, seed, role));
      }
    }
    expect(ids.size).toBe(FAMILY_IDS.length * 50 * 2);
    for (const id of ids) expect(id).toMatch(/^\d{12}$/);
  });

  it('prices every token row at one consistent price per usage type', () => {
    for (const family of FAMILY_IDS) {
      const s = generateScenario(family, 3);
      const prices = new Map<string, number>();
      for (const row of s.rows) {
        if (!isInference(row) || !row.billedcost) continue;
        const price = row.billedcost / tokensOf(row);
        const known = prices.get(row.skumeter!);
        if (known === undefined) prices.set(row.skumeter!, price);
        else expect(price).toBeCloseTo(known, 12);
      }
      expect(prices.size).toBeGreaterThan(0);
    }
  });

  it('labels incidents inside the range and benign families without a start', () => {
    for (const family of FAMILY_IDS) {
      const info = FAMILIES[family];
      for (const s of scenarios(family)) {
        expect(s.label.incident).toBe(info.detector !== null);
        expect(s.label.detector).toBe(info.detector);
        if (!s.label.incident) {
          expect(s.label.start).toBeNull();
          continue;
        }
        const start = s.label.start!;
        if (family === 'cache-never-used') expect(start).toBe(s.window.dataStart);
        else {
          expect(start >= s.window.from && start <= s.window.to).toBe(true);
        }
        if (info.detector === 'cache-miss') expect(s.label.model).not.toBeNull();
      }
    }
  });

  it('makes runaway incidents a multiple of the baseline from the labelled start, and not before', () => {
    const families = FAMILY_IDS.filter(
      (f) => FAMILIES[f].detector === 'runaway-inference' && f !== 'new-spender',
    );
    for (const family of families) {
      for (const s of scenarios(family)) {
        const start = s.label.start!;
        const cost = dailyCost(s);
        const baseline = meanOver(cost, addDays(start, -29), addDays(start, -7));
        const lastBefore = meanOver(cost, addDays(start, -3), addDays(start, -1));
        const incidentEnd = s.label.end ?? addDays(start, 3);
        const during = meanOver(cost, addDays(start, 1), incidentEnd);
        expect(during / baseline).toBeGreaterThan(1.8);
        expect(lastBefore / baseline).toBeLessThan(1.6);
      }
    }
  });

  it('starts the weekend runaway on a Saturday and ends the mid-week spike on a Thursday before the run', () => {
    for (const s of scenarios('weekend-start')) expect(weekday(s.label.start!)).toBe(6);
    for (const s of scenarios('midweek-spike')) {
      expect(weekday(s.label.start!)).toBe(2);
      expect(s.label.end).toBe(addDays(s.label.start!, 2));
      expect(daysBetween(s.label.end!, s.window.to)).toBeGreaterThanOrEqual(4);
      const cost = dailyCost(s);
      const baseline = meanOver(cost, addDays(s.label.start!, -29), addDays(s.label.start!, -7));
      expect(meanOver(cost, addDays(s.label.end!, 2), s.window.to) / baseline).toBeLessThan(1.5);
    }
  });

  it('gives a new spender no baseline (under $1/day) and then at least $50/day', () => {
    for (const s of scenarios('new-spender')) {
      const cost = dailyCost(s);
      const start = s.label.start!;
      for (const [day, v] of cost) if (day < start) expect(v).toBeLessThan(1);
      expect(meanOver(cost, addDays(start, 1), s.window.to)).toBeGreaterThan(50);
    }
  });

  it('bills the Marketplace runaway as Marketplace Claude Opus 4.6 in Units', () => {
    for (const s of scenarios('marketplace-runaway')) {
      const bedrock = s.rows.filter(isInference);
      expect(bedrock.length).toBeGreaterThan(0);
      for (const row of bedrock) {
        expect(row.servicename).toBe('Claude Opus 4.6 (Amazon Bedrock Edition)');
        expect(row.consumedunit).toBe('Units');
        expect(row.skumeter).toMatch(/^USE1-MP:USE1_[A-Za-z]+TokenCount(_Global)?-Units$/);
      }
      expect(bedrock.some((r) => r.skumeter === 'USE1-MP:USE1_InputTokenCount_Global-Units')).toBe(true);
    }
  });

  it('drives the output-token runaway with output tokens while input stays flat', () => {
    for (const s of scenarios('output-runaway')) {
      const start = s.label.start!;
      const rise = (klass: 'input' | 'output') => {
        const cost = dailyCost(s, s.label.account_id, klass);
        return (
          meanOver(cost, addDays(start, 1), s.window.to) -
          meanOver(cost, addDays(start, -29), addDays(start, -7))
        );
      };
      expect(rise('output')).toBeGreaterThan(5 * Math.max(rise('input'), 0.01));
      expect(s.label.driver).toBe('output');
    }
  });

  it('drops the hit ratio from the labelled start for cache incidents, and only a little when benign', () => {
    const drop = (s: Scenario, start: string) =>
      hitRatio(s, addDays(start, -28), addDays(start, -1)) -
      hitRatio(s, addDays(start, 1), addDays(start, 7));
    for (const s of scenarios('cache-regression')) expect(drop(s, s.label.start!)).toBeGreaterThan(0.25);
    for (const s of scenarios('new-uncached-workload')) expect(drop(s, s.label.start!)).toBeGreaterThan(0.15);
    for (const s of scenarios('small-cache-degradation')) {
      const before = hitRatio(s, s.window.dataStart, addDays(s.window.dataStart, 20));
      const after = hitRatio(s, addDays(s.window.to, -6), s.window.to);
      expect(before - after).toBeLessThan(0.15);
      expect(before - after).toBeGreaterThan(0);
    }
  });

  it('takes 40% (0.75 → 0.45) and 30% (0.75 → 0.525) of the traffic off the cache in the partial losses', () => {
    const cases = [
      ['partial-cache-loss', 0.45],
      ['partial-cache-loss-weekdays', 0.525],
    ] as const;
    for (const [family, after] of cases) {
      for (const s of scenarios(family)) {
        const start = s.label.start!;
        expect(hitRatio(s, addDays(start, -28), addDays(start, -1))).toBeCloseTo(0.75, 3);
        expect(Math.abs(hitRatio(s, addDays(start, 1), addDays(start, 4)) - after)).toBeLessThan(0.03);
      }
    }
    // The weekday-heavy account's weekends are a fraction of its weekdays.
    for (const s of scenarios('partial-cache-loss-weekdays')) {
      const cost = dailyCost(s);
      const [weekdays, weekends] = [false, true].map((weekend) => {
        const days = [...cost].filter(([day]) => [0, 6].includes(weekday(day)) === weekend);
        return days.reduce((sum, [, v]) => sum + v, 0) / days.length;
      });
      expect(weekends! / weekdays!).toBeLessThan(0.45);
    }
  });

  it("scatters the noisy account's daily hit ratio by a standard deviation of about 0.04 around a flat mean", () => {
    for (const s of scenarios('noisy-hit-ratio')) {
      const daily = dayRange(s.window.dataStart, s.window.to).map((d) => hitRatio(s, d, d));
      const mean = daily.reduce((a, b) => a + b, 0) / daily.length;
      const sd = Math.sqrt(daily.reduce((a, b) => a + (b - mean) ** 2, 0) / daily.length);
      expect(sd).toBeGreaterThan(0.025);
      expect(sd).toBeLessThan(0.055);
      const half = addDays(s.window.dataStart, 34);
      expect(
        Math.abs(hitRatio(s, s.window.dataStart, half) - hitRatio(s, addDays(half, 1), s.window.to)),
      ).toBeLessThan(0.03);
    }
  });

  it('warms the cache back up over three days after the switch, climbing every day', () => {
    for (const s of scenarios('cache-warm-up')) {
      const daily = dayRange(s.window.dataStart, s.window.to).map((d) => hitRatio(s, d, d));
      const level = daily[0]!;
      const low = daily.findIndex((h) => h < 0.6 * level);
      expect(low).toBeGreaterThan(0);
      expect(daily[low + 1]! - daily[low]!).toBeGreaterThan(0.09);
      expect(daily[low + 2]! - daily[low + 1]!).toBeGreaterThan(0.09);
      expect(daily[low + 3]!).toBeCloseTo(level, 6);
    }
  });

  it('never caches on the cache-never-used account, while its peer caches the same model', () => {
    for (const s of scenarios('cache-never-used')) {
      expect(hitRatio(s, s.window.dataStart, s.window.to)).toBe(0);
      const [peer] = s.label.peers;
      expect(peer).toBeDefined();
      expect(hitRatio(s, s.window.dataStart, s.window.to, peer)).toBeGreaterThan(0.5);
      const weeklyInput = meanOver(dailyCost(s), s.window.from, s.window.to) * 7;
      expect(weeklyInput).toBeGreaterThan(100);
    }
  });

  it('holds credits, a refund and corrections on the credits family, and a partial last day on late data', () => {
    for (const s of scenarios('credits-corrections')) {
      expect(s.rows.some((r) => r.chargecategory === 'Credit' && (r.billedcost ?? 0) < 0)).toBe(true);
      expect(s.rows.some((r) => r.chargeclass === 'Correction' && (r.billedcost ?? 0) > 0)).toBe(true);
      expect(s.rows.some((r) => r.chargeclass === 'Correction' && (r.billedcost ?? 0) < 0)).toBe(true);
    }
    for (const s of scenarios('late-data')) {
      const cost = dailyCost(s);
      const last = cost.get(s.window.to)!;
      expect(last).toBeLessThan(0.9 * meanOver(cost, addDays(s.window.to, -7), addDays(s.window.to, -1)));
    }
  });

  it('keeps a model migration flat in total while the spend moves to the new model', () => {
    for (const s of scenarios('model-migration')) {
      const cost = dailyCost(s);
      const first = meanOver(cost, s.window.dataStart, addDays(s.window.dataStart, 13));
      const last = meanOver(cost, addDays(s.window.to, -13), s.window.to);
      expect(last / first).toBeGreaterThan(0.8);
      expect(last / first).toBeLessThan(1.25);
      const models = new Set(
        s.rows
          .filter((r) => isInference(r) && dayOf(r) === s.window.to)
          .map((r) => r.skumeter!.split('-')[1]),
      );
      expect(models).toEqual(new Set(['Claude4.6Opus']));
    }
  });
});
