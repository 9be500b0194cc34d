/**
 * sql/budget.sql and the budget module, given/expect (docs/detection.md "Budget", "Reference numbers").
 * Dates: April 2026 (30 days) after March 2026 (31 days).
 */
import { describe, expect, it } from 'vitest';
import { MappedOwnerDirectory, parseOwnersCsv } from '../../functions/adapters/owners/file.js';
import { dayRange } from '../../functions/core/dates.js';
import { detectorInputs } from '../../functions/core/detect/registry.js';
import type { BudgetFinding, Finding } from '../../functions/core/types.js';
import { dailyCosts, type FixtureRow, focusRow, tokenRow } from '../fixtures/focus-rows.js';
import { detectOver, testConfig } from './harness.js';

const ACCOUNT = '111111111111';
const SANDBOX = '222222222222';
const OTHER = '333333333333';

const asBudget = (f: Finding | undefined): BudgetFinding => {
  if (f?.detector !== 'budget') throw new Error(`expected a budget finding, got ${f?.detector}`);
  return f;
};

/** Another account from April on: the export covers May (last month) whole. */
const coverage = (): FixtureRow[] =>
  dailyCosts('2026-02-01', Array(77).fill(2), { subaccountid: OTHER, subaccountname: 'other' });

/** Last month (March, 31 days) $3,000 in all; April 1–14 at $100/day, then $400/day. */
function stepMidMonth(daysAt400: number): FixtureRow[] {
  return [
    ...dailyCosts('2026-03-01', Array(31).fill(3000 / 31)),
    ...dailyCosts('2026-04-01', Array(14).fill(100)),
    ...dailyCosts('2026-04-15', Array(daysAt400).fill(400)),
  ];
}

describe('budget: month over month (reference numbers)', () => {
  it('stays quiet at 1.86× (as of the 17th: mtd $2,600, run rate $228.57, forecast $5,571.43)', async () => {
    const result = await detectOver([...coverage(), ...stepMidMonth(3)], ['2026-04-17'], {
      detectors: ['budget'],
    });
    expect(result.findings.filter((f) => f.account_id === ACCOUNT)).toEqual([]);
  });

  it('fires at 2.09× as of the 18th: mtd $3,000, run rate $271.43, forecast $6,257.14, excess $257.14', async () => {
    const result = await detectOver([...coverage(), ...stepMidMonth(4)], ['2026-04-18'], {
      detectors: ['budget'],
    });
    const f = asBudget(result.findings.find((x) => x.account_id === ACCOUNT));
    expect(f.kind).toBe('month-over-month');
    expect(f.last_month_usd).toBeCloseTo(3000, 6);
    expect(f.mtd_usd).toBeCloseTo(3000, 6);
    expect(f.recent_avg_daily_usd).toBeCloseTo(1900 / 7, 6); // 271.43
    expect(f.forecast_month_usd).toBeCloseTo(3000 + (12 * 1900) / 7, 6); // 6,257.14
    expect(f.projected_30d_excess_usd).toBeCloseTo(3000 + (12 * 1900) / 7 - 6000, 6); // 257.14
    expect(Math.abs(f.projected_30d_excess_usd - 257.14)).toBeLessThan(0.01);
    expect(f.severity).toBe('medium');
    expect(f.baseline_start).toBe('2026-03-01');
    expect(f.baseline_end).toBe('2026-03-31');
    expect(f.recent_start).toBe('2026-04-12');
    expect(f.diagnosis).toMatch(/^On course for \$6,257\.14 this month, 2\.1× last month's \$3,000\.00/);
    // The daily series counts every Bedrock charge, like the figures.
    expect(f.series.at(-1)).toEqual({ date: '2026-04-18', cost_usd: 400, hit_ratio: null });
  });

  it('counts a one-off on the 1st in the month to date but does not extrapolate it', async () => {
    // Last month $3,000; a $1,500 backfill on the 1st, then $100/day as before. The 7-day run rate
    // with the 1st in it would forecast $1,600 + 29 × $314 = $10,714 (3.6×) as of the 1st.
    const rows = [
      ...coverage(),
      ...dailyCosts('2026-03-01', Array(31).fill(3000 / 31)),
      ...dailyCosts('2026-04-01', [1600, ...Array(17).fill(100)]),
    ];
    const days = dayRange('2026-04-01', '2026-04-18');
    const result = await detectOver(rows, days, { detectors: ['budget'] });
    expect(result.findings.filter((f) => f.account_id === ACCOUNT)).toEqual([]);
  });

  it('still fires when the one day is big enough on its own: the month to date carries it', async () => {
    // A $6,000 day on the 1st: mtd alone is 2× last month, and the other six days' rate adds to it.
    const rows = [
      ...coverage(),
      ...dailyCosts('2026-03-01', Array(31).fill(3000 / 31)),
      ...dailyCosts('2026-04-01', [6000, 100]),
    ];
    const result = await detectOver(rows, ['2026-04-02'], { detectors: ['budget'] });
    expect(asBudget(result.findings.find((f) => f.account_id === ACCOUNT)).kind).toBe('month-over-month');
  });

  it('skips month over month when the export does not cover last month whole', async () => {
    const lateExport = stepMidMonth(4).filter((r) => r.chargeperiodstart >= '2026-03-10');
    const result = await detectOver(lateExport, ['2026-04-18'], { detectors: ['budget'] });
    expect(result.findings).toEqual([]);
  });

  it('counts every Bedrock charge, Provisioned Throughput and AgentCore included, not only tokens', async () => {
    // $150/day of tokens last month; this month $150/day of tokens plus $200/day of Provisioned
    // Throughput and $60/day of AgentCore from the 10th: only the whole bill reaches 2×.
    const rows = [
      ...coverage(),
      ...dailyCosts('2026-03-01', Array(31).fill(150)),
      ...dailyCosts('2026-04-01', Array(18).fill(150)),
      ...dayRange('2026-04-10', '2026-04-18').flatMap((day) => [
        focusRow({
          chargeperiodstart: day,
          skumeter: 'USE1-ProvisionedThroughput-ModelUnits',
          x_operation: 'ProvisionedThroughput',
          consumedunit: 'Hours',
          pricingunit: 'Hours',
          billedcost: 200,
          effectivecost: 200,
        }),
        focusRow({
          chargeperiodstart: day,
          servicename: 'Amazon Bedrock AgentCore',
          x_servicecode: 'AmazonBedrockAgentCore',
          skumeter: 'USE1-AgentCore-Runtime-vCPU-Hours',
          x_operation: 'Runtime',
          consumedunit: 'Hours',
          pricingunit: 'Hours',
          billedcost: 60,
          effectivecost: 60,
        }),
      ]),
    ];
    const result = await detectOver(rows, ['2026-04-18'], {
      detectors: ['budget', 'runaway-inference'],
    });
    const f = asBudget(result.findings.find((x) => x.detector === 'budget' && x.account_id === ACCOUNT));
    // mtd = 18 × 150 + 9 × 260; run rate = 410/day; forecast = mtd + 12 × 410.
    expect(f.mtd_usd).toBeCloseTo(18 * 150 + 9 * 260, 6);
    expect(f.forecast_month_usd).toBeCloseTo(18 * 150 + 9 * 260 + 12 * 410, 6);
    expect(f.other_charges_usd).toBeCloseTo(7 * 260, 6);
    // The token spend alone is flat: no runaway.
    expect(result.findings.filter((x) => x.detector === 'runaway-inference')).toEqual([]);
  });
});

describe('budget: daily cap (reference numbers)', () => {
  const owners = parseOwnersCsv(
    [
      'account_id,owner_email,environment,daily_cap_usd',
      `${SANDBOX},sam@example.com,sandbox,`,
      `${ACCOUNT},ana@example.com,production,`,
      `${OTHER},ola@example.com,dev,250`,
    ].join('\n'),
    'owners.csv',
  );

  it("takes each account's cap from the owners file: its own daily_cap_usd, else its environment's", () => {
    const inputs = detectorInputs(testConfig(), new MappedOwnerDirectory(owners, 'finops@example.com'));
    expect(inputs.accountCaps).toEqual([
      { account_id: SANDBOX, cap_usd: 100 },
      { account_id: OTHER, cap_usd: 250 },
    ]);
  });

  it('fires on a sandbox at $212 on one day over its $100 cap: excess $112/day', async () => {
    const rows = [
      ...coverage(),
      ...dailyCosts('2026-03-01', [...Array(47).fill(40), 212, 40], {
        subaccountid: SANDBOX,
        subaccountname: 'sandbox',
      }),
      // A production account at $130/day with no cap stays quiet.
      ...dailyCosts('2026-03-01', Array(49).fill(130)),
    ];
    const accountCaps = [{ account_id: SANDBOX, cap_usd: 100 }];
    const result = await detectOver(rows, ['2026-04-18'], { detectors: ['budget'], accountCaps });
    expect(result.findings.map((f) => [f.account_id, f.kind])).toEqual([[SANDBOX, 'daily-cap']]);
    const f = asBudget(result.findings[0]);
    expect(f.cap_usd).toBe(100);
    expect(f.cap_day).toBe('2026-04-17');
    expect(f.cap_day_value).toBe(212);
    expect(f.excess_daily_usd).toBe(112);
    expect(f.projected_30d_excess_usd).toBe(3360);
    expect(f.severity).toBe('high');
    expect(f.diagnosis).toBe(
      "$212.00 of Bedrock charges on 2026-04-17, above this account's $100.00/day cap.",
    );
    // One case per account and rule.
    expect(result.findings[0]!.case_key).not.toBe(
      (await detectOver(rows, ['2026-04-18'], { detectors: ['runaway-inference'] })).findings[0]?.case_key,
    );
  });
});

describe('budget: workflow cap', () => {
  it('fires on a tag value over its uncached-input cap for a day, and stays off by default', async () => {
    const run = (tag: string, tokens: number) =>
      dayRange('2026-04-01', '2026-04-18').map((day) =>
        tokenRow(day, 'input', day === '2026-04-17' ? tokens : 1e6, 5.5, { tags: { 'agent-run-id': tag } }),
      );
    const rows = [...coverage(), ...run('run-a', 900e6), ...run('run-b', 10e6)];
    const off = await detectOver(rows, ['2026-04-18'], { detectors: ['budget'] });
    expect(off.findings).toEqual([]);
    const config = testConfig({ detectors: { budget: { max_uncached_input_tokens_per_day: 500e6 } } });
    const on = await detectOver(rows, ['2026-04-18'], { detectors: ['budget'], config });
    const f = asBudget(
      on.findings.find((x) => x.detector === 'budget' && x.subject === 'agent-run-id=run-a'),
    );
    expect(f.kind).toBe('workflow-cap');
    expect(f.cap_day).toBe('2026-04-17');
    expect(f.cap_day_value).toBe(900e6);
    // 400 M tokens above the cap at $5.50/M: $2,200/day; over 30 days $66,000.
    expect(f.excess_daily_usd).toBeCloseTo(2200, 6);
    expect(f.projected_30d_excess_usd).toBeCloseTo(66000, 6);
    expect(f.severity).toBe('critical');
    expect(on.findings.filter((x) => asBudget(x).subject === 'agent-run-id=run-b')).toEqual([]);
  });
});
