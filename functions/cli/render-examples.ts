/**
 * Built-in example data for every message kind (`sentinel render` without --input, the email
 * preview and the template tests). The numbers are docs/detection.md "Reference numbers"'s reference cases.
 */

import { DEFAULT_BAND } from '../core/cases/episode.js';
import type { CaseKillSwitch, CaseRecord } from '../core/cases/model.js';
import { applyCaseInput, applyCaseInputs, type CaseInput } from '../core/cases/transitions.js';
import { addDays } from '../core/dates.js';
import { emptyBreakdown } from '../core/detect/findings.js';
import type { TroubledRun } from '../core/health.js';
import { buildAnswerActions } from '../core/notify/answer-links.js';
import type { CaseSection, MessageData, MessageKind } from '../core/notify/message-model.js';
import { caseSection } from '../core/notify/sections.js';
import type { Owner } from '../core/ports.js';
import type { CacheMissFinding, DailyFigures, Finding, RunawayFinding, SeriesPoint } from '../core/types.js';

const AS_OF = '2026-03-01';
const GENERATED_AT = '2026-03-03T06:00:00.000Z';
const FIRST_ALERT_AT = '2026-03-03T06:00:00.000Z';
const EXAMPLE_OUT = './sentinel-out';
const HOUR_MS = 3_600_000;

const cents = (n: number): number => Math.round(n * 100) / 100;

/** `days` values around `mean` with a little day-to-day noise whose sum is exactly days × mean. */
function noisyDays(days: number, mean: number, spread: number): number[] {
  const values = Array.from({ length: days }, (_, i) => cents(mean + spread * Math.sin(i * 1.7 + 0.4)));
  const drift = cents(mean * days - values.reduce((a, b) => a + b, 0));
  values[days - 1] = cents((values[days - 1] ?? mean) + drift);
  return values;
}

const meanOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const populationStddev = (xs: number[]): number => {
  const m = meanOf(xs);
  return Math.sqrt(meanOf(xs.map((x) => (x - m) ** 2)));
};

/** docs/detection.md "Reference numbers" runaway: $7.32/day for 23 days, then three days averaging $132.05/day. */
export function exampleRunawayFinding(): RunawayFinding {
  const recentStart = addDays(AS_OF, -2);
  const baselineStart = addDays(AS_OF, -29);
  const baselineEnd = addDays(AS_OF, -7);
  const baseline = noisyDays(23, 7.32, 0.41);
  const guard = [7.05, 7.61, 7.48, 7.9];
  // Averaging $132.05/day (the finding's 3-day mean), the newest day $132.05, the highest $135.70 on 28 Feb.
  const recent = [128.4, 135.7, 132.05];
  const costs = [...baseline, ...guard, ...recent];
  const series: SeriesPoint[] = costs.map((cost_usd, i) => ({
    date: addDays(baselineStart, i),
    cost_usd,
    hit_ratio: null,
  }));
  const baselineAvg = 7.32;
  const recentAvg = 132.05;
  const stddev = populationStddev(baseline);
  const excess = recentAvg - baselineAvg;
  const account = '111111111111';
  return {
    finding_id: 'f3c1a9e07b2d4c58',
    case_key: '9a41d3c7e2b85f10',
    source: 'bill',
    detector: 'runaway-inference',
    kind: 'runaway',
    as_of: AS_OF,
    recent_start: recentStart,
    recent_end: AS_OF,
    baseline_start: baselineStart,
    baseline_end: baselineEnd,
    account_id: account,
    account_name: 'Checkout Prod',
    model: null,
    severity: 'high',
    recent_avg_daily_usd: recentAvg,
    baseline_avg_daily_usd: baselineAvg,
    baseline_stddev_usd: stddev,
    spike_ratio: recentAvg / baselineAvg,
    sigma: excess / stddev,
    excess_daily_usd: excess,
    projected_30d_excess_usd: 30 * excess,
    started_on: recentStart,
    diagnosis: 'output tokens rose 63× while input rose 3.6×: a generation loop',
    input_tokens: 10_560_000,
    cache_read_tokens: 10_180_000,
    cache_write_tokens: 0,
    output_tokens: 13_530_000,
    compute_recent_avg_daily_usd: 41.2,
    compute_baseline_avg_daily_usd: 40.85,
    last_month_usd: 248.4,
    mtd_usd: 540.1,
    forecast_month_usd: 2_642.5,
    series,
    breakdown: {
      token_classes: [
        { key: 'output', recent_cost_usd: 338.25, baseline_cost_usd: 41.4, recent_tokens: 13_530_000 },
        { key: 'input', recent_cost_usd: 52.8, baseline_cost_usd: 112.7, recent_tokens: 10_560_000 },
        { key: 'cache_read', recent_cost_usd: 5.1, baseline_cost_usd: 14.26, recent_tokens: 10_180_000 },
      ],
      usage_types: [
        {
          key: 'USE1-Claude4.6Opus-output-tokens-cross-region-global',
          recent_cost_usd: 338.25,
          baseline_cost_usd: 41.4,
          recent_tokens: 13_530_000,
        },
        {
          key: 'USE1-Claude4.6Opus-input-tokens-cross-region-global',
          recent_cost_usd: 52.8,
          baseline_cost_usd: 112.7,
          recent_tokens: 10_560_000,
        },
      ],
      resources: [
        {
          key: `arn:aws:bedrock:us-east-1:${account}:inference-profile/global.anthropic.claude-opus-4-6-v1`,
          recent_cost_usd: 391.05,
          baseline_cost_usd: 154.1,
          recent_tokens: 34_270_000,
        },
      ],
      regions: [
        { key: 'us-east-1', recent_cost_usd: 396.15, baseline_cost_usd: 168.36, recent_tokens: 34_270_000 },
      ],
      tags: [
        {
          key: 'agent-run-id=nightly-triage-7f3a',
          recent_cost_usd: 371.9,
          baseline_cost_usd: 0,
          recent_tokens: 31_020_000,
        },
        {
          key: 'agent-run-id=support-summarizer',
          recent_cost_usd: 24.25,
          baseline_cost_usd: 168.36,
          recent_tokens: 3_250_000,
        },
      ],
    },
    data_through: AS_OF,
    run_id: 'run-20260303T060000Z',
  };
}

/**
 * docs/detection.md "Reference numbers" cache incident, regional Claude Opus 4.6: 6.47 B uncached input, 1.67 B cache read,
 * 101 M cache write, 25 M output tokens in the 7-day window against a 0.90 baseline hit ratio.
 */
export function exampleCacheMissFinding(): CacheMissFinding {
  const recentStart = addDays(AS_OF, -6);
  const baselineStart = addDays(AS_OF, -34);
  const baselineEnd = addDays(AS_OF, -7);
  const input = 6.47e9;
  const cacheRead = 1.67e9;
  const cacheWrite = 101e6;
  const output = 25e6;
  const inputCost = 35_585.0;
  const cacheReadCost = 918.5;
  const cacheWriteCost = 694.375;
  const outputCost = 687.5;
  const promptTokens = input + cacheWrite + cacheRead;
  const hitRatio = cacheRead / promptTokens;
  const baselineHit = 0.9;
  const priceGapPerToken = 5.5e-6 - 0.55e-6;
  const avoidable = baselineHit * promptTokens * priceGapPerToken - cacheRead * priceGapPerToken;
  const recentPromptCost = inputCost + cacheReadCost + cacheWriteCost;
  const baselineDaily = 1_232.4;
  // 23 baseline-window days shown (the chart's 30 days), then the 7-day drop.
  const before = noisyDays(23, baselineDaily, 64);
  const after = noisyDays(7, recentPromptCost / 7, 210);
  const hitsBefore = noisyDays(23, 0.9, 0.015).map((h) => Math.min(0.95, h));
  const hitsAfter = [0.24, 0.21, 0.19, 0.2, 0.2, 0.2, 0.19];
  const firstShown = addDays(AS_OF, -29);
  const series: SeriesPoint[] = [...before, ...after].map((cost_usd, i) => ({
    date: addDays(firstShown, i),
    cost_usd,
    hit_ratio: i < 23 ? (hitsBefore[i] ?? 0.9) : (hitsAfter[i - 23] ?? 0.2),
  }));
  const account = '222222222222';
  const breakdown = emptyBreakdown();
  breakdown.token_classes = [
    { key: 'input', recent_cost_usd: inputCost, baseline_cost_usd: 13_842.1, recent_tokens: input },
    {
      key: 'cache_read',
      recent_cost_usd: cacheReadCost,
      baseline_cost_usd: 16_104.2,
      recent_tokens: cacheRead,
    },
    {
      key: 'cache_write',
      recent_cost_usd: cacheWriteCost,
      baseline_cost_usd: 2_560.9,
      recent_tokens: cacheWrite,
    },
    { key: 'output', recent_cost_usd: outputCost, baseline_cost_usd: 2_640.0, recent_tokens: output },
  ];
  breakdown.usage_types = [
    {
      key: 'USE1-Claude4.6Opus-input-tokens',
      recent_cost_usd: inputCost,
      baseline_cost_usd: 13_842.1,
      recent_tokens: input,
    },
  ];
  breakdown.resources = [
    {
      key: `arn:aws:bedrock:us-east-1:${account}:inference-profile/us.anthropic.claude-opus-4-6-v1`,
      recent_cost_usd: 33_110.0,
      baseline_cost_usd: 12_020.4,
      recent_tokens: 6.02e9,
    },
    {
      key: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-6-v1',
      recent_cost_usd: 2_475.0,
      baseline_cost_usd: 1_821.7,
      recent_tokens: 0.45e9,
    },
  ];
  breakdown.regions = [
    { key: 'us-east-1', recent_cost_usd: inputCost, baseline_cost_usd: 13_842.1, recent_tokens: input },
  ];
  breakdown.tags = [
    {
      key: 'agent-run-id=research-assistant-proxy',
      recent_cost_usd: 32_670.0,
      baseline_cost_usd: 11_430.0,
      recent_tokens: 5.94e9,
    },
  ];
  return {
    finding_id: '5be20d7c91a3f644',
    case_key: 'c07e5f2a8d194b36',
    source: 'bill',
    detector: 'cache-miss',
    kind: 'cache-regression',
    as_of: AS_OF,
    recent_start: recentStart,
    recent_end: AS_OF,
    baseline_start: baselineStart,
    baseline_end: baselineEnd,
    account_id: account,
    account_name: 'Data Science Sandbox',
    model: 'Claude4.6Opus',
    severity: 'critical',
    recent_avg_daily_usd: recentPromptCost / 7,
    baseline_avg_daily_usd: baselineDaily,
    excess_daily_usd: avoidable / 7,
    projected_30d_excess_usd: (avoidable * 30) / 7,
    diagnosis:
      'uncached input tokens rose 4.2× while cache reads fell 80%: prompts stopped hitting the cache',
    cache_hit_ratio: hitRatio,
    baseline_cache_hit_ratio: baselineHit,
    uncached_input_cost_usd: inputCost,
    avoidable_cost_usd: avoidable,
    input_tokens: input,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    output_tokens: output,
    compute_recent_avg_daily_usd: 212.4,
    compute_baseline_avg_daily_usd: 208.9,
    last_month_usd: 41_377.2,
    mtd_usd: 14_322.8,
    forecast_month_usd: 86_711.3,
    series,
    breakdown,
    data_through: AS_OF,
    run_id: 'run-20260303T060000Z',
  };
}

const rules = {
  followUpHours: 48,
  autoResolveDays: 3,
  suppressDays: 30,
  resuppressGrowth: 2,
  band: DEFAULT_BAND,
};

const ownerOf = (finding: Finding, team: string): Owner => ({
  accountId: finding.account_id,
  ownerEmail: 'dana.owner@example.com',
  accountName: finding.account_name,
  team,
  cc: [],
  routed: true,
});

/**
 * The case a finding opens, through the case engine itself (so the example's episode is what core
 * computes), then any further inputs (quiet days, answers).
 */
function exampleCase(finding: Finding, openedAt: string, team: string, more: CaseInput[] = []): CaseRecord {
  const owner = ownerOf(finding, team);
  const opened = applyCaseInput(
    null,
    { type: 'finding', finding, mayOpen: true, runId: finding.run_id, owner },
    { now: new Date(openedAt), rules },
  ).next!;
  return applyCaseInputs(opened, more, { now: new Date(Date.parse(openedAt) + HOUR_MS), rules }).next!;
}

const exampleActions = (input: { caseKey: string; epoch: number }) =>
  buildAnswerActions({
    ...input,
    ackBaseUrl: null,
    expiresAt: new Date(Date.parse(GENERATED_AT) + 14 * 24 * HOUR_MS),
    out: EXAMPLE_OUT,
  });

function section(
  finding: Finding,
  overrides: Partial<CaseSection> = {},
  options: { team?: string; more?: CaseInput[]; killSwitch?: Partial<CaseKillSwitch> } = {},
): CaseSection {
  const team = options.team ?? 'payments';
  const c = exampleCase(finding, overrides.notifiedAt ?? FIRST_ALERT_AT, team, options.more);
  if (options.killSwitch) c.kill_switch = { ...exampleKillSwitch(c), ...options.killSwitch };
  return {
    ...caseSection(c, ownerOf(finding, team), exampleActions),
    deadline: new Date(Date.parse(GENERATED_AT) + 48 * HOUR_MS).toISOString(),
    ...overrides,
  };
}

/** The break-glass role of the examples (docs/kill-switch.md "Try it in dry-run for two weeks"). */
const EXAMPLE_BREAK_GLASS = 'arn:aws:iam::*:role/BreakGlass';

/** The kill switch engaged on a case when its alert went out (docs/kill-switch.md). */
function exampleKillSwitch(c: CaseRecord): CaseKillSwitch {
  return {
    status: 'engaged',
    epoch: c.epoch,
    at: FIRST_ALERT_AT,
    policy_id: 'p-k1llsw1tc4',
    engaged_at: FIRST_ALERT_AT,
    explanation: `Bedrock inference is denied until a person answers: a ${c.peak_severity} ${c.detector} case opened on account ${c.account_id}`,
    change: 'opened',
    severity: c.peak_severity,
    break_glass_role: EXAMPLE_BREAK_GLASS,
    released_at: null,
    released_by: null,
    released_by_whom: null,
  };
}

/** A day of the cache example back at its baseline hit ratio. */
const recoveredDay = (date: string): DailyFigures => ({
  date,
  cost_usd: 1_210,
  hit_ratio: 0.9,
  prompt_tokens: 1_180_000_000,
  cache_read_tokens: 1_062_000_000,
});

/** A new spender on another account: nothing before, $48.20 on the as-of day. */
function exampleNewSpender(): Finding {
  const runaway = exampleRunawayFinding();
  const series = runaway.series.map((p) => ({ ...p, cost_usd: p.date === AS_OF ? 48.2 : 0 }));
  return {
    ...runaway,
    finding_id: '8c2e61f0a9d34b57',
    case_key: 'e4d2a0917c3b58f6',
    kind: 'new-spender',
    account_id: '333333333333',
    account_name: 'ML Research Lab',
    recent_avg_daily_usd: 16.07,
    baseline_avg_daily_usd: 0,
    baseline_stddev_usd: 0,
    spike_ratio: null,
    sigma: null,
    excess_daily_usd: 16.07,
    projected_30d_excess_usd: 482.1,
    severity: 'medium',
    started_on: AS_OF,
    diagnosis:
      'New Bedrock inference spender: no inference spend in the baseline; now $16.07/day is output tokens.',
    series,
  };
}

/** A smaller cache regression on a third account, back to its hit ratio since 2 Mar. */
function exampleSmallCacheMiss(): Finding {
  const cache = exampleCacheMissFinding();
  return {
    ...cache,
    finding_id: '2f9d0b7e5c1a4863',
    case_key: '71b9c2e04f5a3d88',
    account_id: '444444444444',
    account_name: 'Search Platform',
    avoidable_cost_usd: 2_140.5,
    excess_daily_usd: 2_140.5 / 7,
    projected_30d_excess_usd: (2_140.5 * 30) / 7,
    severity: 'high',
  };
}

/** A scheduled detection that failed, and one that found the export stale (the digest and the run alert). */
const EXAMPLE_FAILED_RUN: TroubledRun = {
  run_id: '20260309T060000Z-scheduled-detect-3fa2c1',
  command: 'scheduled-detect',
  outcome: 'failed',
  at: '2026-03-09T06:14:00.000Z',
  stale_days: [],
  data_through: null,
  error:
    'UpstreamError: Athena query 5b1e… failed: TABLE_NOT_FOUND: line 4:8: Table awsdatacatalog.focus.focus_export does not exist',
};
const EXAMPLE_STALE_RUN: TroubledRun = {
  run_id: '20260307T060000Z-scheduled-detect-9c04de',
  command: 'scheduled-detect',
  outcome: 'stale',
  at: '2026-03-07T06:05:00.000Z',
  stale_days: ['2026-03-05'],
  data_through: '2026-03-03',
  error: null,
};

/** A sandbox account over its $100/day cap (docs/detection.md "Budget" reference: $212 on one day). */
export function exampleBudgetFinding(): Finding {
  const account = '555555555555';
  const recentStart = addDays(AS_OF, -2);
  const series = noisyDays(30, 38, 6).map((cost, i) => ({
    date: addDays(AS_OF, i - 29),
    cost_usd: i === 28 ? 212 : cents(cost),
    hit_ratio: null,
  }));
  return {
    finding_id: '2c9e1f7a4b6d8e03',
    case_key: 'b8f1e3a7c9d2046e',
    source: 'bill',
    detector: 'budget',
    kind: 'daily-cap',
    as_of: AS_OF,
    recent_start: recentStart,
    recent_end: AS_OF,
    baseline_start: '2026-02-01',
    baseline_end: '2026-02-28',
    account_id: account,
    account_name: 'Agents Sandbox',
    model: null,
    severity: 'high',
    recent_avg_daily_usd: cents((series[27]!.cost_usd + 212 + series[29]!.cost_usd) / 3),
    baseline_avg_daily_usd: 100,
    excess_daily_usd: 112,
    projected_30d_excess_usd: 3360,
    diagnosis: `$212.00 of Bedrock charges on ${addDays(AS_OF, -1)}, above this account's $100.00/day cap.`,
    input_tokens: 21_300_000,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    output_tokens: 3_100_000,
    compute_recent_avg_daily_usd: 4.1,
    compute_baseline_avg_daily_usd: 4.0,
    last_month_usd: 1_104.2,
    mtd_usd: 250.0,
    forecast_month_usd: 1_393.3,
    subject: null,
    cap_usd: 100,
    cap_day: addDays(AS_OF, -1),
    cap_day_value: 212,
    other_charges_usd: 0,
    series,
    breakdown: {
      ...emptyBreakdown(),
      tags: [
        {
          key: 'agent-run-id=eval-sweep-17',
          recent_cost_usd: 171.4,
          baseline_cost_usd: 0,
          recent_tokens: 20_400_000,
        },
      ],
      resources: [
        {
          key: `arn:aws:bedrock:us-east-1:${account}:inference-profile/us.anthropic.claude-sonnet-4-5`,
          recent_cost_usd: 288.2,
          baseline_cost_usd: 260.1,
          recent_tokens: 24_400_000,
        },
      ],
    },
    data_through: AS_OF,
    run_id: 'run-20260303T060000Z',
  };
}

/**
 * Messages beyond one per kind, for previews: an owner alert about a budget, and the kill switch's words
 * (docs/kill-switch.md): engaged, in dry-run, an escalation instead of a stop, and the digest's part.
 */
export function extraExamples(): Record<string, MessageData> {
  const budget = exampleBudgetFinding();
  const base = { generatedAt: GENERATED_AT, followUpHours: 48, contacts };
  const sandbox = { to: ['sam.sandbox@example.com'], cc: [] };
  const budgetSection = (killSwitch?: Partial<CaseKillSwitch>) =>
    section(
      budget,
      { ownerEmail: 'sam.sandbox@example.com' },
      { team: 'agents', ...(killSwitch ? { killSwitch } : {}) },
    );
  const digest = exampleMessage('finops-digest');
  const runaway = exampleRunawayFinding();
  return {
    'owner-alert-budget': {
      ...base,
      kind: 'owner-alert',
      recipient: sandbox,
      sections: [budgetSection()],
    },
    'owner-alert-kill-switch': {
      ...base,
      kind: 'owner-alert',
      recipient: sandbox,
      sections: [budgetSection({})],
    },
    'owner-alert-kill-switch-dry-run': {
      ...base,
      kind: 'owner-alert',
      recipient: sandbox,
      sections: [budgetSection({ status: 'would-engage', policy_id: null, engaged_at: null })],
    },
    'escalation-kill-switch': {
      ...base,
      kind: 'escalation',
      recipient: {
        to: ['finops-escalation@example.com'],
        cc: ['sam.sandbox@example.com', 'finops@example.com'],
      },
      sections: [
        budgetSection({
          status: 'escalated',
          policy_id: null,
          engaged_at: null,
          explanation:
            '3 accounts are already stopped (kill_switch.max_engaged: 3); FinOps gets this case as an escalation instead',
        }),
      ],
    },
    'finops-digest-kill-switch': {
      ...digest,
      digest: {
        ...digest.digest!,
        killSwitch: {
          mode: 'enforce',
          engaged: [
            {
              accountId: budget.account_id,
              accountName: budget.account_name,
              caseKey: budget.case_key,
              caseState: 'open',
              since: '2026-03-07T06:02:00.000Z',
              ageHours: 47,
              age: '1 day 23 h',
              release: {
                url: null,
                command: `sentinel kill-switch release --account ${budget.account_id} --out ${EXAMPLE_OUT}`,
              },
            },
            {
              accountId: runaway.account_id,
              accountName: runaway.account_name,
              caseKey: runaway.case_key,
              caseState: 'escalated',
              since: '2026-03-08T14:00:00.000Z',
              ageHours: 16,
              age: '16 h',
              release: {
                url: `https://sentinel.example.com/ack?release=${runaway.account_id}&case=${runaway.case_key}&exp=1774252800&sig=0hWm3Kx8vQ2pLr9TnYc4Fu7Bs1Dg6Ea5Zi0Jo3Hk`,
                command: null,
              },
            },
          ],
          wouldEngage: [],
          escalated: [],
          released: [
            {
              accountId: '444444444444',
              accountName: 'Agents Dev',
              caseKey: '5a0f3c9e1d7b2846',
              at: '2026-03-08T09:41:00.000Z',
              how: 'the owner answered that the spend is stopped (lee.dev@example.com)',
            },
          ],
          failed: [],
        },
      },
    },
    'finops-digest-kill-switch-dry-run': {
      ...digest,
      digest: {
        ...digest.digest!,
        killSwitch: {
          mode: 'dry-run',
          engaged: [],
          wouldEngage: [
            {
              accountId: budget.account_id,
              accountName: budget.account_name,
              caseKey: budget.case_key,
              at: '2026-03-07T06:02:00.000Z',
              why: 'this high case (Bedrock spend over its daily cap) opened',
            },
          ],
          escalated: [],
          released: [],
          failed: [],
        },
      },
    },
  };
}

const contacts = { finops: 'finops@example.com', escalation: ['finops-escalation@example.com'] };

export function exampleMessage(kind: MessageKind): MessageData {
  const runaway = exampleRunawayFinding();
  const cache = exampleCacheMissFinding();
  const base = { generatedAt: GENERATED_AT, followUpHours: 48, contacts };
  const later = (hours: number) => new Date(Date.parse(GENERATED_AT) + hours * HOUR_MS).toISOString();
  switch (kind) {
    case 'owner-alert':
      return {
        ...base,
        kind,
        recipient: { to: ['dana.owner@example.com'], cc: ['payments-leads@example.com'] },
        sections: [
          section(runaway),
          section(
            cache,
            {
              severityRaised: true,
              notifiedAt: '2026-03-02T06:00:00.000Z',
              deadline: '2026-03-04T06:00:00.000Z',
            },
            { team: 'data-science' },
          ),
        ],
      };
    case 'reminder':
      return {
        ...base,
        kind,
        generatedAt: later(48),
        recipient: {
          to: ['dana.owner@example.com'],
          cc: ['finops@example.com', 'payments-leads@example.com'],
        },
        sections: [
          section(runaway, { state: 'reminded', deadline: later(96) }),
          section(cache, { state: 'reminded', deadline: later(96) }, { team: 'data-science' }),
        ],
      };
    case 'escalation':
      return {
        ...base,
        kind,
        generatedAt: later(96),
        recipient: {
          to: ['finops-escalation@example.com'],
          cc: ['dana.owner@example.com', 'finops@example.com'],
        },
        sections: [
          section(runaway, { state: 'escalated', deadline: null }),
          section(cache, { state: 'escalated', deadline: null }, { team: 'data-science' }),
        ],
      };
    case 'finops-digest': {
      const escalated = [
        section(runaway, { state: 'escalated', deadline: null }),
        section(
          cache,
          {
            state: 'escalated',
            deadline: null,
            answers: [
              {
                answer: 'investigating',
                at: '2026-03-04T09:12:00.000Z',
                note: 'Looking at the proxy change from 23 Feb',
                by: 'dana.owner@example.com',
              },
            ],
          },
          { team: 'data-science' },
        ),
      ];
      const newSpender = section(
        exampleNewSpender(),
        { notifiedAt: '2026-03-09T06:00:00.000Z', routed: false, ownerEmail: contacts.finops, team: null },
        { team: 'research' },
      );
      const small = exampleSmallCacheMiss();
      const resolved = section(
        small,
        { state: 'resolved', deadline: null },
        {
          team: 'search',
          more: [
            {
              type: 'quiet',
              days: ['2026-03-02', '2026-03-03', '2026-03-04'],
              runId: 'run-20260305T060000Z',
              figures: ['2026-03-02', '2026-03-03', '2026-03-04'].map(recoveredDay),
            },
          ],
        },
      );
      return {
        ...base,
        kind,
        generatedAt: '2026-03-09T06:00:00.000Z',
        recipient: { to: ['finops@example.com'], cc: [] },
        sections: [],
        digest: {
          since: '2026-03-02T06:00:00.000Z',
          troubledRuns: [EXAMPLE_FAILED_RUN, EXAMPLE_STALE_RUN],
          stateCounts: { open: 1, escalated: 2, resolved: 3, suppressed: 1 },
          atRisk: {
            projected30dUsd: 3_741.9 + 121_916.38 + 1_446,
            ongoingCases: 3,
            excessSoFarUsd: 374.19 + 28_447.16 + 48.2,
            liveCases: 3,
          },
          changes: [
            {
              caseKey: runaway.case_key,
              accountId: runaway.account_id,
              accountName: runaway.account_name,
              from: 'reminded',
              to: 'escalated',
              at: later(96),
              kind: runaway.kind,
              severity: escalated[0]!.episode.severity,
              ownerEmail: escalated[0]!.ownerEmail,
              routed: true,
              section: escalated[0]!,
              state: 'escalated',
            },
            {
              caseKey: newSpender.caseKey,
              accountId: newSpender.accountId,
              accountName: newSpender.accountName,
              from: null,
              to: 'open',
              at: '2026-03-09T06:00:00.000Z',
              kind: newSpender.kind,
              severity: newSpender.episode.severity,
              ownerEmail: newSpender.ownerEmail,
              routed: false,
              section: newSpender,
              state: 'open',
            },
            {
              caseKey: resolved.caseKey,
              accountId: resolved.accountId,
              accountName: resolved.accountName,
              from: 'acknowledged',
              to: 'resolved',
              at: '2026-03-05T14:30:00.000Z',
              kind: resolved.kind,
              severity: resolved.episode.severity,
              ownerEmail: resolved.ownerEmail,
              routed: true,
              section: resolved,
              state: 'resolved',
            },
          ],
          unroutable: [
            {
              accountId: '333333333333',
              accountName: 'ML Research Lab',
              caseKey: 'e4d2a0917c3b58f6',
              openedAt: '2026-03-05T06:00:00.000Z',
              ageDays: 4,
              state: 'open',
            },
          ],
          refusedAddresses: [
            {
              address: 'former.owner@example.com',
              caseKey: '71b9c2e04f5a3d88',
              error: 'MessageRejected: address is on the account-level suppression list',
            },
          ],
          failedMessages: [
            {
              messageId: '0d6c1f9a2b7e4c35',
              kind: 'reminder',
              error: 'TooManyRequestsException after 5 retries',
            },
          ],
          escalated,
        },
      };
    }
    case 'run-alert':
      return {
        ...base,
        kind,
        generatedAt: '2026-03-09T06:14:00.000Z',
        recipient: { to: ['finops@example.com'], cc: [] },
        sections: [],
        runAlert: {
          kind: 'failed',
          since: EXAMPLE_FAILED_RUN,
          latest: EXAMPLE_FAILED_RUN,
          schedule: 'cron(0 6 * * ? *)',
        },
      };
  }
}
