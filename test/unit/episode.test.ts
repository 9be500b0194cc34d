/** docs/emails.md "The episode": quiet days, cache-miss excess as a sum, and events that say what the email says. */
import { describe, expect, it } from 'vitest';
import { avoidableOf, computeEpisode, DEFAULT_BAND, recordDays } from '../../functions/core/cases/episode.js';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { readCase } from '../../functions/core/cases/store.js';
import { applyCaseInput, type CaseInput } from '../../functions/core/cases/transitions.js';
import { dayRange } from '../../functions/core/dates.js';
import { confirmationPage, renderAckPage } from '../../functions/core/notify/ack-page.js';
import { caseHeadline } from '../../functions/core/notify/render.js';
import { caseSection, episodeView } from '../../functions/core/notify/sections.js';
import { sectionView } from '../../functions/core/notify/view.js';
import type { CacheMissFinding, DailyFigures, Finding } from '../../functions/core/types.js';
import { MemoryBlobStore } from '../fixtures/case-ports.js';
import { asCacheMiss, makeFinding } from '../fixtures/findings.js';

const rules = {
  followUpHours: 48,
  autoResolveDays: 3,
  suppressDays: 30,
  resuppressGrowth: 2,
  band: DEFAULT_BAND,
};
const at = (h: number) => new Date(Date.parse('2026-03-06T08:00:00Z') + h * 3_600_000);
const owner = {
  accountId: '111111111111',
  ownerEmail: 'owner@example.com',
  accountName: null,
  team: null,
  cc: [],
  routed: true,
};

const findingInput = (finding: Finding, days?: DailyFigures[]): CaseInput => ({
  type: 'finding',
  finding,
  mayOpen: true,
  runId: `run-${finding.as_of}`,
  owner,
  ...(days ? { days } : {}),
});
const quiet = (days: string[], figures?: DailyFigures[]): CaseInput => ({
  type: 'quiet',
  days,
  runId: `run-${days.at(-1)}`,
  ...(figures ? { figures } : {}),
});

/** A runaway account's figures: `cost(date)` per day, no tokens. */
const costs = (from: string, to: string, cost: (d: string) => number): DailyFigures[] =>
  dayRange(from, to).map((date) => ({
    date,
    cost_usd: cost(date),
    hit_ratio: null,
    prompt_tokens: 0,
    cache_read_tokens: 0,
  }));

/** $12/day, $139/day on 1–3 Mar, then $12.50, $12.50, $11, $11 from 4 Mar. */
const spend = (d: string) =>
  d >= '2026-03-01' && d <= '2026-03-03' ? 139 : d < '2026-03-01' ? 12 : d <= '2026-03-05' ? 12.5 : 11;

describe('quiet days are recorded (docs/emails.md "The episode")', () => {
  const peak = makeFinding({ asOf: '2026-03-03', recent: 139, baseline: 12 }); // started_on 1 Mar

  it('ends the episode on the quiet days a run records: end day, rate since from them, excess so far', () => {
    const open = applyCaseInput(null, findingInput(peak, costs('2026-02-02', '2026-03-03', spend)), {
      now: at(0),
      rules,
    }).next!;
    expect(open.episode.ongoing).toBe(true);
    const ended = applyCaseInput(
      open,
      quiet(['2026-03-04', '2026-03-05', '2026-03-06'], costs('2026-02-05', '2026-03-06', spend)),
      { now: at(24), rules },
    ).next!;
    expect(ended.episode.days.filter((d) => d.date >= '2026-03-04').map((d) => d.cost_usd)).toEqual([
      12.5, 12.5, 11,
    ]);
    expect(ended.episode).toMatchObject({
      newest_evaluated: '2026-03-06',
      ongoing: false,
      end_day: '2026-03-04',
      rate_since_usd: 12, // (12.50 + 12.50 + 11) / 3, the quiet days included
      excess_so_far_usd: 381, // 3 × (139 − 12)
    });
  });

  it('records the days also on the run whose quiet days resolve the case', () => {
    const open = applyCaseInput(null, findingInput(peak, costs('2026-02-02', '2026-03-03', spend)), {
      now: at(0),
      rules,
    }).next!;
    const resolved = applyCaseInput(
      open,
      quiet(
        ['2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07'],
        costs('2026-02-06', '2026-03-07', spend),
      ),
      { now: at(48), rules },
    );
    expect(resolved.next!.state).toBe('resolved');
    expect(resolved.event?.detail_type).toBe('Case Resolved');
    expect(resolved.event).toMatchObject({ ongoing: false, end_day: '2026-03-04', rate_since_usd: 11.75 });
  });
});

/** A cache-miss day: 1 M prompt tokens at the given hit ratio, prompt cost by the hit ratio. */
const cacheDay = (date: string, hit: number): DailyFigures => ({
  date,
  cost_usd: (1 - hit) * 4.95 + hit * 0.495,
  hit_ratio: hit,
  prompt_tokens: 1_000_000,
  cache_read_tokens: hit * 1_000_000,
});

describe('cache-miss excess so far is the sum of daily avoidable cost', () => {
  // The peak: 1–7 Mar at hit ratio 0.2 against 0.9, (0.9 − 0.2) × 7 M × ($4.95 − $0.495)/M.
  const peak: CacheMissFinding = {
    ...asCacheMiss(makeFinding({ detector: 'cache-miss', asOf: '2026-03-07', avoidable: 21.8295 })),
    cache_hit_ratio: 0.2,
    baseline_cache_hit_ratio: 0.9,
    input_tokens: 5_600_000,
    cache_read_tokens: 1_400_000,
    cache_write_tokens: 0,
  };
  const window = dayRange('2026-03-01', '2026-03-07').map((d) => cacheDay(d, 0.2));

  it("prices each day by the detector's formula, so the peak's window sums to its avoidable cost", () => {
    const avoidable = avoidableOf(peak, DEFAULT_BAND);
    expect(avoidable(cacheDay('2026-03-01', 0.2))).toBeCloseTo(0.7 * 4.455, 6);
    expect(avoidable(cacheDay('2026-03-09', 0.9))).toBe(0);
    const sum = window.reduce((s, d) => s + (avoidable(d) ?? 0), 0);
    expect(sum).toBeCloseTo(peak.avoidable_cost_usd!, 5);
  });

  it('sums the daily avoidable cost from the peak window start to the day before the end day', () => {
    // 8–9 Mar still low (0.5) after the peak, back to 0.9 from 10 Mar.
    const days = recordDays(
      [],
      [...window, cacheDay('2026-03-08', 0.5), cacheDay('2026-03-09', 0.5), cacheDay('2026-03-10', 0.9)],
      peak,
    );
    const episode = computeEpisode({ peak, lastFiring: '2026-03-09', newestEvaluated: '2026-03-10', days });
    expect(episode.end_day).toBe('2026-03-10');
    // $21.83 for the peak's week + 2 × (0.9 − 0.5) × $4.455 for 8–9 Mar.
    expect(episode.excess_so_far_usd).toBeCloseTo(21.8295 + 2 * 0.4 * 4.455, 5);
    expect(episode.excess_so_far_usd).not.toBeCloseTo(peak.avoidable_cost_usd!, 2);
  });

  it("completes the days an earlier finding's series recorded with the run's daily avoidable cost", () => {
    // The run that opens the case: its first finding records the series (no tokens), its last the figures.
    const first = {
      ...peak,
      finding_id: 'first',
      as_of: '2026-03-06',
      series: window.map((d) => ({ ...d })),
    };
    const opened = applyCaseInput(null, findingInput(first), { now: at(0), rules }).next!;
    expect(opened.episode.days.every((d) => d.avoidable_usd === null)).toBe(true);
    const c = applyCaseInput(opened, findingInput(peak, window), { now: at(0), rules }).next!;
    expect(c.episode.days.every((d) => d.avoidable_usd !== null)).toBe(true);
    expect(c.episode.excess_so_far_usd).toBeCloseTo(21.8295, 5);
  });

  it('loads a case file written before the daily avoidable cost was recorded', async () => {
    const store = new MemoryBlobStore();
    const c = applyCaseInput(null, findingInput(peak, window), { now: at(0), rules }).next!;
    const old = structuredClone(c) as unknown as { episode: { days: Record<string, unknown>[] } };
    for (const d of old.episode.days) delete d.avoidable_usd;
    await store.put(`cases/${c.case_key}.json`, JSON.stringify(old));
    const read = (await readCase(store, c.case_key))!.record;
    expect(read.episode.days.every((d) => d.avoidable_usd === null)).toBe(true);
    const episode = computeEpisode({
      peak,
      lastFiring: '2026-03-07',
      newestEvaluated: '2026-03-07',
      days: read.episode.days,
    });
    expect(episode.excess_so_far_usd).toBe(21.8295); // no daily figure: the peak's avoidable cost, as before
  });
});

describe('the email and the case events tell one episode', () => {
  const withBreakdown = (f: Finding, tag: string): Finding => ({
    ...f,
    breakdown: {
      ...f.breakdown,
      tags: [{ key: tag, recent_cost_usd: 300, baseline_cost_usd: 0, recent_tokens: 1e6 }],
    },
    diagnosis: `output tokens rose; most of it carries ${tag}.`,
    output_tokens: tag === 'agent-run-id=run-7f3a' ? 9_000_000 : 2_000_000,
  });
  const peak = withBreakdown(
    makeFinding({ asOf: '2026-03-03', recent: 139, baseline: 12 }),
    'agent-run-id=run-7f3a',
  );
  const latest = withBreakdown(
    makeFinding({ asOf: '2026-03-05', recent: 54.33, baseline: 12 }),
    'team=support',
  );

  function endedCase(): { c: CaseRecord; events: NonNullable<ReturnType<typeof applyCaseInput>['event']>[] } {
    const opened = applyCaseInput(null, findingInput(peak, costs('2026-02-02', '2026-03-03', spend)), {
      now: at(0),
      rules,
    });
    const later = applyCaseInput(opened.next, findingInput(latest), { now: at(24), rules }).next!;
    const reminded = applyCaseInput(
      applyCaseInput(later, quiet(['2026-03-06'], costs('2026-02-05', '2026-03-06', spend)), {
        now: at(48),
        rules,
      }).next,
      { type: 'deadline' },
      { now: at(49), rules },
    );
    return { c: reminded.next!, events: [opened.event!, reminded.event!] };
  }

  it("shows the peak's breakdown and diagnosis beside the peak's numbers, not the latest finding's", () => {
    const { c } = endedCase();
    expect(c.latest.as_of).toBe('2026-03-05');
    const section = caseSection(c, owner, () => []);
    const view = sectionView(section);
    expect(view.topTag?.key).toBe('agent-run-id=run-7f3a');
    expect(view.diagnosisLead).toBe('Output tokens rose.');
    // The severity shown is the episode's: ended, on the $381 spent above the baseline.
    expect(view.severityLabel.toLowerCase()).toBe(c.episode.told!.severity);
    expect(c.episode.told!.severity).toBe('medium');
  });

  it('carries in the reminder event the figures the reminder prints', () => {
    const { c, events } = endedCase();
    const reminded = events[1]!;
    expect(reminded.detail_type).toBe('Case Reminded');
    const view = episodeView(c);
    expect(view).toMatchObject({
      ongoing: false,
      endDay: '2026-03-04',
      rateSinceUsd: 12,
      excessSoFarUsd: 381,
    });
    expect(reminded).toMatchObject({
      peak_value: c.peak.recent_avg_daily_usd,
      peak_metric: 'daily_cost_usd',
      peak_as_of: c.peak.as_of,
      severity: sectionView(caseSection(c, owner, () => [])).severityLabel.toLowerCase(),
      spike_from: view.spikeFrom,
      spike_to: view.spikeTo,
      ongoing: view.ongoing,
      end_day: view.endDay,
      rate_since_usd: view.rateSinceUsd,
      excess_so_far_usd: view.excessSoFarUsd,
    });
    expect(c).toMatchObject({ peak_value: reminded.peak_value, peak_metric: reminded.peak_metric });
  });
});

describe('the answer page tells the episode as the email subject does', () => {
  const peak = makeFinding({ asOf: '2026-03-03', recent: 139, baseline: 12 });
  const ended = (): CaseRecord => {
    const open = applyCaseInput(null, findingInput(peak, costs('2026-02-02', '2026-03-03', spend)), {
      now: at(0),
      rules,
    }).next!;
    return applyCaseInput(
      open,
      quiet(['2026-03-04', '2026-03-05', '2026-03-06'], costs('2026-02-05', '2026-03-06', spend)),
      { now: at(24), rules },
    ).next!;
  };

  it("states an ended spike by its peak and says it ended, in the subject's words", () => {
    const c = ended();
    const review = {
      status: 'valid',
      case: c,
      claims: { case: c.case_key, epoch: c.epoch, answer: 'stopped', exp: 0 },
    } as unknown as Parameters<typeof confirmationPage>[0];
    const page = confirmationPage(review, {});
    const headline = caseHeadline(caseSection(c, owner, () => []));
    expect(headline).toMatch(/^Bedrock spend ran .* \(\$139\.00\/day, .*\), ended, on /);
    expect(page.facts[0]!.toLowerCase()).toBe(headline.toLowerCase());
    expect(renderAckPage(page)).toContain('$139.00/day');
  });
});
