import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { addDays } from '../../functions/core/dates.js';
import {
  roundRunawayNumbers,
  runawayDiagnosis,
  runawayNumbers,
  startedOn,
} from '../../functions/core/detect/detectors/runaway-inference.js';
import {
  caseKey,
  emptyBreakdown,
  FINDING_FIELDS,
  findingId,
  roundBreakdown,
  roundSeries,
  roundUsd,
  severityOf,
  topTagKey,
} from '../../functions/core/detect/findings.js';

const config = parseConfig({});

describe('finding numbers', () => {
  it('derives docs/detection.md "Reference numbers" runaway numbers', () => {
    const n = runawayNumbers('runaway', 132.05, 7.32, 0.5);
    expect(Number(n.spike_ratio!.toFixed(2))).toBe(18.04);
    expect(n.excess_daily_usd).toBeCloseTo(124.73, 10);
    expect(n.projected_30d_excess_usd).toBeCloseTo(3741.9, 9);
    expect(n.sigma).toBeCloseTo(124.73 / 0.5, 9);
    expect(severityOf(n.projected_30d_excess_usd, config)).toBe('high');
  });

  it('has no spike ratio for a new spender and no sigma for a flat baseline', () => {
    const n = runawayNumbers('new-spender', 80, 0.2, 0);
    expect(n.spike_ratio).toBeNull();
    expect(n.sigma).toBeNull();
  });

  it.each([
    [9_999.99, 'high'],
    [10_000, 'critical'],
    [999.99, 'medium'],
    [1_000, 'high'],
  ])('severity of a projected $%d is %s', (usd, severity) => {
    expect(severityOf(usd, config)).toBe(severity);
  });

  it('keeps ids stable across reruns and distinct per account, model and day', () => {
    expect(findingId('cache-miss', '1', 'm', '2026-03-01')).toBe(
      findingId('cache-miss', '1', 'm', '2026-03-01'),
    );
    expect(findingId('cache-miss', '1', 'm', '2026-03-01')).not.toBe(
      findingId('cache-miss', '1', 'm', '2026-03-02'),
    );
    expect(caseKey('cache-miss', '1', 'm')).not.toBe(caseKey('cache-miss', '1', 'n'));
    expect(caseKey('runaway-inference', '1', null)).toMatch(/^[0-9a-f]{24}$/);
  });

  it('lists every finding field once, in docs/findings.md order', () => {
    expect(new Set(FINDING_FIELDS).size).toBe(FINDING_FIELDS.length);
    expect(FINDING_FIELDS[0]).toBe('finding_id');
    expect(FINDING_FIELDS.at(-1)).toBe('run_id');
  });
});

describe('started_on', () => {
  const D = '2026-03-20';
  const series = (costs: number[]) =>
    costs.map((cost_usd, i) => ({ date: addDays(D, i - costs.length + 1), cost_usd, hit_ratio: null }));
  const band = { baselineAvg: 10, baselineStddev: 1, k: 2 };

  it('goes back from the latest day above the band while days stay above it', () => {
    expect(startedOn(series([10, 10, 30, 30, 11, 30, 30]), addDays(D, -2), band)).toBe(addDays(D, -1));
    expect(startedOn(series([10, 30, 30, 30, 30, 30, 30]), addDays(D, -2), band)).toBe(addDays(D, -5));
  });

  it('takes the latest day above the band inside the recent window, even if the last day fell back', () => {
    expect(startedOn(series([10, 10, 10, 10, 30, 30, 10]), addDays(D, -2), band)).toBe(addDays(D, -2));
  });

  it('uses baseline + $1.00 as the band where the stddev is 0', () => {
    expect(
      startedOn(series([10, 10, 11.5, 11.5, 11.5]), addDays(D, -2), { ...band, baselineStddev: 0 }),
    ).toBe(addDays(D, -2));
  });

  it('never goes before the start of the series (D−29)', () => {
    expect(startedOn(series(Array(30).fill(50)), addDays(D, -2), band)).toBe(addDays(D, -29));
  });
});

describe('runaway diagnosis', () => {
  const entry = (key: string, recentPerDay: number, baselinePerDay: number) => ({
    key,
    recent_cost_usd: recentPerDay * 3,
    baseline_cost_usd: baselinePerDay * 23,
    recent_tokens: 0,
  });
  const diagnose = (
    classes: [string, number, number][],
    compute: [number, number] = [40, 40],
    kind: 'runaway' | 'new-spender' = 'runaway',
  ) =>
    runawayDiagnosis({
      kind,
      breakdown: { ...emptyBreakdown(), token_classes: classes.map(([k, r, b]) => entry(k, r, b)) },
      recentDays: 3,
      baselineDays: 23,
      computeRecentDaily: compute[0],
      computeBaselineDaily: compute[1],
    });

  it('names a generation loop when output outgrows input', () => {
    expect(
      diagnose([
        ['output', 110, 2],
        ['input', 8, 4],
      ]),
    ).toMatch(/^output tokens rose 55× while input rose 2\.0×: a generation loop/);
  });

  it('names growing context or a cache miss when uncached input outgrows output', () => {
    expect(
      diagnose([
        ['input', 90, 3],
        ['output', 3, 2],
      ]),
    ).toMatch(/^uncached input tokens rose 30× while output rose 1\.5×: growing context/);
  });

  it('names more calls of the same shape when every class rose alike', () => {
    expect(
      diagnose([
        ['input', 67, 3.8],
        ['output', 27, 1.5],
        ['cache_read', 19, 1.1],
      ]),
    ).toMatch(/^input rose 18× and output rose 18× together: more calls of the same shape/);
  });

  it('says so when there was no baseline at all (new spender)', () => {
    expect(
      diagnose(
        [
          ['output', 60, 0],
          ['input', 30, 0],
        ],
        [40, 40],
        'new-spender',
      ),
    ).toMatch(
      /^New Bedrock inference spender: no inference spend in the baseline; now \$60\.00\/day is output tokens/,
    );
  });

  it('reads flat compute as an agent loop and rising compute as growth', () => {
    expect(diagnose([['output', 110, 2]], [41, 40])).toContain(
      'compute spend stayed flat ($41.00/day vs $40.00/day)',
    );
    expect(diagnose([['output', 110, 2]], [90, 40])).toContain('compute spend also rose');
  });
});

describe('deterministic numbers (docs/findings.md: rounded once, in core, after the SQL)', () => {
  it('rounds money to 1e-6 USD and ratios to 6 decimals, so float-sum noise never reaches a finding', () => {
    // Two summation orders of the same costs differ in the last bits; rounded, they are one value.
    const costs = [0.1, 0.2, 0.3, 1e-7, 123.456789];
    const forward = costs.reduce((a, b) => a + b, 0);
    const backward = [...costs].reverse().reduce((a, b) => a + b, 0);
    expect(roundUsd(forward)).toBe(roundUsd(backward));
    expect(roundUsd(124.0567891234)).toBe(124.056789);
    expect(roundUsd(-0.0000001)).toBe(0);
    expect(Object.is(roundUsd(-0.0000001), -0)).toBe(false);
    const n = roundRunawayNumbers(runawayNumbers('runaway', 132.05, 7.32, 0.4));
    expect(n).toEqual({
      spike_ratio: 18.039617,
      sigma: 311.825,
      excess_daily_usd: 124.73,
      projected_30d_excess_usd: 3741.9,
    });
  });

  it('computes severity from the rounded projection', () => {
    const projected = roundUsd(999.9999996);
    expect(projected).toBe(1000);
    expect(severityOf(projected, config)).toBe('high');
  });

  it('rounds every breakdown entry and series point', () => {
    const b = roundBreakdown({
      ...emptyBreakdown(),
      tags: [
        { key: 'team=a', recent_cost_usd: 1.00000049, baseline_cost_usd: 0.1 + 0.2, recent_tokens: 10.6 },
      ],
    });
    expect(b.tags[0]).toEqual({
      key: 'team=a',
      recent_cost_usd: 1,
      baseline_cost_usd: 0.3,
      recent_tokens: 11,
    });
    expect(roundSeries([{ date: '2026-03-01', cost_usd: 0.1 + 0.2, hit_ratio: 1 / 3 }])).toEqual([
      { date: '2026-03-01', cost_usd: 0.3, hit_ratio: 0.333333 },
    ]);
  });
});

describe('the tag the diagnosis names (docs/emails.md)', () => {
  const tag = (key: string, recent: number, baseline: number) => ({
    key,
    recent_cost_usd: recent,
    baseline_cost_usd: baseline,
    recent_tokens: 1000,
  });

  it('prefers a tag value new in the recent window to one that also covered the baseline', () => {
    const tags = [tag('team=support', 300, 40), tag('agent-run-id=run-f8cc', 250, 0)];
    expect(topTagKey(tags)).toBe('agent-run-id=run-f8cc');
    const sentence = runawayDiagnosis({
      kind: 'runaway',
      breakdown: { ...emptyBreakdown(), tags },
      recentDays: 3,
      baselineDays: 23,
      computeRecentDaily: 0,
      computeBaselineDaily: 0,
    });
    expect(sentence).toContain('agent-run-id=run-f8cc');
    expect(sentence).not.toContain('team=support');
  });

  it('falls back to the top tag when every value also covered the baseline', () => {
    expect(topTagKey([tag('team=support', 300, 40), tag('team=search', 100, 20)])).toBe('team=support');
  });
});
