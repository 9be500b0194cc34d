/** sql/context.sql through a detection run: breakdowns, series, compute fingerprint, diagnosis. */

import { describe, expect, it } from 'vitest';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { caseKey } from '../../functions/core/detect/findings.js';
import { asRunaway } from '../fixtures/findings.js';
import { ACCOUNT, type FixtureRow, focusRow, tokenRow } from '../fixtures/focus-rows.js';
import { detectOver } from './harness.js';

const D = '2026-03-20';
const at = (n: number) => addDays(D, n);
const days = (from: number, to: number) => dayRange(at(from), at(to));

/** An agent whose output tokens loop from D−2 on, tagged with its run id; compute stays flat. */
function agentLoop(): FixtureRow[] {
  const rows: FixtureRow[] = [];
  for (const day of days(-59, 0)) {
    const looping = day >= at(-2);
    rows.push(tokenRow(day, 'input', 1e6, 5.5, { tags: { 'agent-run-id': 'nightly-etl' } }));
    rows.push(tokenRow(day, 'output', 0.1e6, 27.5, { tags: { 'agent-run-id': 'nightly-etl' } }));
    if (looping) {
      rows.push(
        tokenRow(day, 'output', 4e6, 27.5, {
          tags: { 'agent-run-id': 'run-7f3a' },
          resourceid: 'arn:aws:bedrock:us-east-1:111111111111:inference-profile/agent-loop',
          regionid: 'us-west-2',
        }),
      );
    }
    rows.push(
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        skumeter: 'USE1-BoxUsage:m7g.large',
        billedcost: 40,
        resourceid: 'i-0abc',
      }),
    );
  }
  return rows;
}

describe('finding context', () => {
  it('breaks a runaway down by token class, tag, resource, region and usage type, by recent increase', async () => {
    const { findings } = await detectOver(agentLoop(), [D], { detectors: ['runaway-inference'] });
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.breakdown.token_classes[0]).toMatchObject({
      key: 'output',
      recent_cost_usd: 3 * (0.1 * 27.5 + 4 * 27.5),
    });
    expect(f.breakdown.tags[0]!.key).toBe('agent-run-id=run-7f3a');
    expect(f.breakdown.tags[0]!.baseline_cost_usd).toBe(0);
    expect(f.breakdown.resources[0]!.key).toBe(
      'arn:aws:bedrock:us-east-1:111111111111:inference-profile/agent-loop',
    );
    expect(f.breakdown.regions[0]!.key).toBe('us-west-2');
    expect(f.breakdown.usage_types[0]!.key).toBe('USE1-Claude4.6Opus-output-tokens');
    expect(f.output_tokens).toBeCloseTo(3 * 4.1e6, 0);
    expect(f.input_tokens).toBeCloseTo(3 * 1e6, 0);
    expect(f.compute_recent_avg_daily_usd).toBeCloseTo(40, 9);
    expect(f.compute_baseline_avg_daily_usd).toBeCloseTo(40, 9);
    expect(f.diagnosis).toMatch(/^output tokens rose 41× while input rose 1\.0×: a generation loop/);
    expect(f.diagnosis).toContain('compute spend stayed flat');
    expect(f.diagnosis).toContain('agent-run-id=run-7f3a');
    expect(asRunaway(f).started_on).toBe(at(-2));
  });

  it('names uncached input growth as context growth or a cache miss', async () => {
    const rows = days(-59, 0).flatMap((day) => [
      tokenRow(day, 'input', day >= at(-2) ? 30e6 : 2e6, 5.5),
      tokenRow(day, 'output', 0.1e6, 27.5),
    ]);
    const { findings } = await detectOver(rows, [D], { detectors: ['runaway-inference'] });
    expect(findings[0]!.diagnosis).toMatch(
      /^uncached input tokens rose 15× while output rose 1\.0×: growing context/,
    );
  });

  it('goes back from the latest day above the band to the first day of the rise (started_on)', async () => {
    // Ramp: from D−5 on, $40/day against a $10 baseline.
    const rows = days(-59, 0).map((day) =>
      focusRow({
        chargeperiodstart: day,
        billedcost: day >= at(-5) ? 40 : 10 + (day.endsWith('5') ? 0.5 : 0),
      }),
    );
    const { findings } = await detectOver(rows, [D], { detectors: ['runaway-inference'] });
    expect(asRunaway(findings[0]).started_on).toBe(at(-5));
  });

  it('ranks cache-miss breakdowns by recent uncached input tokens and keeps a daily hit-ratio series', async () => {
    const rows: FixtureRow[] = [];
    for (const day of days(-40, 0)) {
      const broken = day >= at(-6);
      rows.push(
        tokenRow(day, 'cache-read', broken ? 0 : 90e6, 0.55, { tags: { 'agent-run-id': 'support-bot' } }),
      );
      rows.push(
        tokenRow(day, 'input', broken ? 100e6 : 10e6, 5.5, { tags: { 'agent-run-id': 'support-bot' } }),
      );
      rows.push(tokenRow(day, 'input', 5e6, 5.5, { tags: { 'agent-run-id': 'batch-summarizer' } }));
      rows.push(tokenRow(day, 'output', 1e6, 27.5)); // not prompt spend: stays out of the series
    }
    const { findings } = await detectOver(rows, [D], { detectors: ['cache-miss'] });
    const f = findings[0]!;
    expect(f.kind).toBe('cache-regression');
    expect(f.breakdown.tags.map((t) => t.key)).toEqual([
      'agent-run-id=support-bot',
      'agent-run-id=batch-summarizer',
    ]);
    expect(f.series.at(-1)!.hit_ratio).toBe(0);
    // The series is the model's prompt-token cost per day: input + cache read (+ cache write).
    expect(f.series.at(-1)!.cost_usd).toBeCloseTo(105 * 5.5, 9);
    expect(f.series[0]!.cost_usd).toBeCloseTo(15 * 5.5 + 90 * 0.55, 9);
    expect(f.series[0]!.hit_ratio).toBe(0.857143); // 90 / 105 to 6 decimals (docs/findings.md)
    expect(f.diagnosis).toMatch(/hit ratio fell from 86% to 0%/);
  });
});

describe('daily series of live cases (docs/emails.md "The episode")', () => {
  const runawayCase = {
    case_key: caseKey('runaway-inference', ACCOUNT, null),
    detector: 'runaway-inference' as const,
    account_id: ACCOUNT,
    model: null,
  };

  it('reads the quiet days of a live runaway case that no longer fires: the account’s cost per day', async () => {
    // $10/day, $200/day on D−9 … D−7, back to $10/day: nothing fires as-of D.
    const rows = days(-59, 0).map((day) =>
      focusRow({ chargeperiodstart: day, billedcost: day >= at(-9) && day <= at(-7) ? 200 : 10 }),
    );
    const { findings, caseDays } = await detectOver(rows, [D], {
      detectors: ['runaway-inference'],
      episodeCases: [runawayCase],
    });
    expect(findings).toEqual([]);
    expect(caseDays).toHaveLength(1);
    const read = caseDays[0]!;
    expect(read.case_key).toBe(runawayCase.case_key);
    expect(read.days.map((d) => d.date)).toEqual(days(-29, 0));
    expect(read.days.find((d) => d.date === at(-8))!.cost_usd).toBe(200);
    expect(read.days.filter((d) => d.date >= at(-6)).map((d) => d.cost_usd)).toEqual(Array(7).fill(10));
    expect(read.days.every((d) => d.hit_ratio === null)).toBe(true);
  });

  it('reads no daily series for a manual detect (no live cases given)', async () => {
    const rows = days(-59, 0).map((day) => focusRow({ chargeperiodstart: day, billedcost: 10 }));
    const { caseDays } = await detectOver(rows, [D], { detectors: ['runaway-inference'] });
    expect(caseDays).toEqual([]);
  });

  it('takes a key that fired on the newest day from its finding’s context', async () => {
    const { findings, caseDays } = await detectOver(agentLoop(), [D], {
      detectors: ['runaway-inference'],
      episodeCases: [],
    });
    const f = findings[0]!;
    expect(caseDays.map((c) => c.case_key)).toEqual([f.case_key]);
    expect(caseDays[0]!.days.map((d) => [d.date, d.cost_usd])).toEqual(
      f.series.map((p) => [p.date, p.cost_usd]),
    );
  });

  it('reads a healed cache-miss case’s prompt-token cost, hit ratio and tokens per day', async () => {
    // The cache stopped hitting on D−20 … D−14, then hits again.
    const rows: FixtureRow[] = [];
    for (const day of days(-50, 0)) {
      const broken = day >= at(-20) && day <= at(-14);
      rows.push(tokenRow(day, 'cache-read', broken ? 0 : 90e6, 0.55));
      rows.push(tokenRow(day, 'input', broken ? 105e6 : 15e6, 5.5));
      rows.push(tokenRow(day, 'output', 1e6, 27.5));
    }
    const fired = await detectOver(rows, [at(-14)], { detectors: ['cache-miss'] });
    const f = fired.findings[0]!;
    const subject = { case_key: f.case_key, detector: f.detector, account_id: f.account_id, model: f.model };
    const { findings, caseDays } = await detectOver(rows, [D], {
      detectors: ['cache-miss'],
      episodeCases: [subject],
    });
    expect(findings).toEqual([]);
    const byDate = new Map(caseDays[0]!.days.map((d) => [d.date, d]));
    expect(byDate.get(at(-16))).toEqual({
      date: at(-16),
      cost_usd: 105 * 5.5,
      hit_ratio: 0,
      prompt_tokens: 105e6,
      cache_read_tokens: 0,
    });
    expect(byDate.get(D)).toEqual({
      date: D,
      cost_usd: 15 * 5.5 + 90 * 0.55,
      hit_ratio: 0.857143,
      prompt_tokens: 105e6,
      cache_read_tokens: 90e6,
    });
  });
});
