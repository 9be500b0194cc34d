/**
 * Detector `budget` (docs/detection.md "Budget"): the budgets FinOps practitioners set after these
 * incidents — 2× last month, a $/day cap on non-production accounts, a per-workflow cap on uncached
 * input tokens — evaluated in the same run, over the same staging, with the same cases and emails.
 * A budget counts every Bedrock charge of the account (tokens, Provisioned Throughput, AgentCore,
 * Marketplace models), not only token inference. Its statement is sql/budget.sql.
 */
import { z } from 'zod';
import type { SentinelConfig } from '../../config.js';
import {
  addDays,
  dayRange,
  daysBetween,
  earlierDay,
  monthEnd,
  monthStart,
  previousMonth,
} from '../../dates.js';
import { count, money } from '../../format.js';
import type { BudgetFinding, IsoDate } from '../../types.js';
import type { DetectorModule } from '../detector.js';
import { envelopeOf, roundTokens, roundUsd, severityOf, times } from '../findings.js';

/** sql/budget.sql's columns. */
const rowSchema = z.object({
  account_id: z.string(),
  account_name: z.string().nullable(),
  as_of: z.string(),
  kind: z.enum(['month-over-month', 'daily-cap', 'workflow-cap']),
  subject: z.string().nullable(),
  recent_days: z.number().int().positive(),
  recent_avg: z.number(),
  baseline_avg: z.number().nullable(),
  last_month: z.number(),
  mtd: z.number(),
  run_rate: z.number(),
  forecast: z.number(),
  cap: z.number().nullable(),
  excess: z.number(),
  days_above: z.number().nullable(),
  top_day: z.string().nullable(),
  top_day_value: z.number().nullable(),
  other_cost: z.number().nullable(),
  baseline_days_covered: z.number(),
  recurring: z.boolean().nullable(),
  prior_run_rate: z.number().nullable(),
});
type BudgetRow = z.infer<typeof rowSchema>;

/**
 * The accounts with a daily cap: their own `daily_cap_usd` from the owners file, else the default cap
 * when their `environment` is one of `capped_environments` (docs/detection.md "Budget").
 */
export function accountCaps(
  owners: { accountId: string; environment: string | null; dailyCapUsd: number | null }[],
  config: SentinelConfig,
): { account_id: string; cap_usd: number }[] {
  const c = config.detectors.budget;
  const capped = new Set(c.capped_environments.map((e) => e.toLowerCase()));
  return owners
    .map((o) => ({
      account_id: o.accountId,
      cap_usd:
        o.dailyCapUsd ?? (o.environment !== null && capped.has(o.environment) ? c.daily_cap_usd : null),
    }))
    .filter((x): x is { account_id: string; cap_usd: number } => x.cap_usd !== null)
    .sort((a, b) => a.account_id.localeCompare(b.account_id));
}

/**
 * What a month-over-month email says of the budget, from the finding alone: the budget in dollars
 * (forecast − its excess over it) and the multiple of last month it stands for.
 */
export function budgetFacts(f: BudgetFinding): {
  budgetUsd: number;
  ratio: number | null;
  forecastRatio: number | null;
} {
  const last = f.last_month_usd ?? 0;
  const forecast = f.forecast_month_usd ?? 0;
  const budgetUsd = roundUsd(forecast - f.projected_30d_excess_usd);
  return {
    budgetUsd,
    ratio: last > 0 ? budgetUsd / last : null,
    forecastRatio: last > 0 ? forecast / last : null,
  };
}

const RUN_RATE_DAYS = 7;

/** The same day of last month (its last day when last month is shorter: 31 Mar → 28 Feb). */
export function sameDayLastMonth(asOf: IsoDate): IsoDate {
  const last = previousMonth(asOf);
  const day = Number(asOf.slice(8, 10));
  const candidate = `${last.start.slice(0, 8)}${String(day).padStart(2, '0')}`;
  return candidate > last.end ? last.end : candidate;
}
const CAP_DAYS = 3;

const tokenWords = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : count(n);

/** The rule in the product's plain words, with its figures (the email's first sentence says the same). */
export function budgetDiagnosis(f: BudgetFinding, ratio: number): string {
  const last = f.last_month_usd ?? 0;
  if (f.kind === 'month-over-month') {
    const forecast = f.forecast_month_usd ?? 0;
    return `On course for ${money(forecast)} this month, ${times(last > 0 ? forecast / last : 0)} last month's ${money(last)}: above the ${times(ratio)} budget by ${money(f.projected_30d_excess_usd)} (month to date ${money(f.mtd_usd ?? 0)}, ${money(f.recent_avg_daily_usd)}/day over the last ${RUN_RATE_DAYS} days).`;
  }
  if (f.kind === 'daily-cap') {
    return `${money(f.cap_day_value ?? 0)} of Bedrock charges on ${f.cap_day}, above this account's ${money(f.cap_usd ?? 0)}/day cap.`;
  }
  return `${f.subject} sent ${tokenWords(f.cap_day_value ?? 0)} uncached input tokens on ${f.cap_day}, above the cap of ${tokenWords(f.cap_usd ?? 0)} a day for one workflow.`;
}

export const budget: DetectorModule<BudgetFinding, BudgetRow> = {
  id: 'budget',
  kinds: ['month-over-month', 'daily-cap', 'workflow-cap'],
  subject: 'account',
  peakMetric: 'projected_30d_excess_usd',
  contextRank: 'increase',
  seriesHitRatio: false,
  allBedrockCharges: true,
  readsStagingDetail: true,
  stoppedLiftsRecurringExemption: true,
  // A month on course for 2x last month follows from any runaway in it (docs/detection.md "Budget").
  explainedBy: (kind) => (kind === 'month-over-month' ? ['runaway-inference'] : []),
  sqlFile: 'budget',
  partial: 'budget',

  windows: () => ({
    recentDays: CAP_DAYS,
    recentPreceding: CAP_DAYS - 1,
    // The baseline of a budget is last month (asOfWindows below); these offsets are its shortest reach.
    baselineNear: 28,
    baselineFar: 59,
    lookback: RUN_RATE_DAYS - 1,
    dataStart: (asOf) => {
      const last = previousMonth(asOf).start;
      const prior = addDays(sameDayLastMonth(asOf), -(RUN_RATE_DAYS - 1));
      return earlierDay(prior, last);
    },
  }),

  asOfWindows(_config, asOf, recentDays) {
    const last = previousMonth(asOf);
    return {
      as_of: asOf,
      recent_start: addDays(asOf, -((recentDays ?? CAP_DAYS) - 1)),
      recent_end: asOf,
      baseline_start: last.start,
      baseline_end: last.end,
    };
  },

  minBaselineDays: () => null,

  sqlParams(config, input) {
    const c = config.detectors.budget;
    return {
      as_of_days: dayRange(input.asOfStart, input.asOfEnd).map((asOf) => {
        const last = previousMonth(asOf);
        return {
          as_of: asOf,
          month_start: monthStart(asOf),
          last_month_start: last.start,
          last_month_end: last.end,
          last_month_days: daysBetween(last.start, last.end) + 1,
          days_after: daysBetween(asOf, monthEnd(asOf)),
          run_start: addDays(asOf, -(RUN_RATE_DAYS - 1)),
          recent_start: addDays(asOf, -(CAP_DAYS - 1)),
          prior_run_start: addDays(sameDayLastMonth(asOf), -(RUN_RATE_DAYS - 1)),
          prior_run_end: sameDayLastMonth(asOf),
        };
      }),
      recurring_match: c.recurring_match,
      recurring_exempt_accounts: input.recurringExemptAccounts,
      first_covered_day: input.firstCoveredDay,
      caps: input.accountCaps ?? [],
      workflow_cap_on: c.max_uncached_input_tokens_per_day !== null,
      workflow_cap: c.max_uncached_input_tokens_per_day ?? 0,
      month_over_month_ratio: c.month_over_month_ratio,
      min_last_month_usd: c.min_last_month_usd,
      min_increase_usd: c.min_increase_usd,
      tag_keys: config.tag_keys,
    };
  },

  readRow(raw) {
    const row = rowSchema.parse(raw);
    return {
      as_of: row.as_of,
      account_id: row.account_id,
      account_name: row.account_name ?? row.account_id,
      model: null,
      // One case per account, rule and (workflow-cap) workflow.
      key: row.subject === null ? row.kind : `${row.kind}:${row.subject}`,
      kind: row.kind,
      // The baseline of a budget is last month, every day of it.
      baseline_days_covered: row.baseline_days_covered,
      recent_days: row.recent_days,
      held:
        row.recurring === true
          ? {
              reason: 'recurring',
              candidate: {
                detector: 'budget',
                account_id: row.account_id,
                account_name: row.account_name ?? row.account_id,
                as_of: row.as_of,
                recent_avg_daily_usd: roundUsd(row.run_rate),
                month_earlier_avg_daily_usd: roundUsd(row.prior_run_rate ?? 0),
              },
            }
          : null,
      figures: row,
    };
  },

  buildFinding(row, context, config, run) {
    const envelope = envelopeOf(this, row, context, config, run);
    const f = row.figures;
    const c = config.detectors.budget;
    // Rounded once each, from the SQL's value (30 × a rounded excess would carry its rounding 30 times).
    const excess = roundUsd(f.excess);
    const projected = f.kind === 'month-over-month' ? excess : roundUsd(30 * f.excess);
    // The month as the context computed it (the same for every finding of the account); the
    // detector's own sums where the context has none (it always has, for a month-over-month finding).
    const month = {
      last_month_usd: envelope.fields.last_month_usd ?? roundUsd(f.last_month),
      mtd_usd: envelope.fields.mtd_usd ?? roundUsd(f.mtd),
      forecast_month_usd: envelope.fields.forecast_month_usd ?? roundUsd(f.forecast),
    };
    const recentAvg = roundUsd(f.recent_avg);
    // The budget's daily pace stands as the baseline: the cap, or the ratio × last month's daily mean.
    const pace = roundUsd(
      f.kind === 'workflow-cap'
        ? 0
        : f.kind === 'month-over-month'
          ? c.month_over_month_ratio * (f.baseline_avg ?? 0)
          : (f.baseline_avg ?? 0),
    );
    const finding: BudgetFinding = {
      ...envelope.fields,
      ...month,
      detector: 'budget',
      kind: f.kind,
      model: null,
      severity: severityOf(projected, config),
      recent_avg_daily_usd: recentAvg,
      baseline_avg_daily_usd: pace,
      excess_daily_usd: f.kind === 'month-over-month' ? roundUsd(Math.max(0, recentAvg - pace)) : excess,
      projected_30d_excess_usd: projected,
      diagnosis: '',
      subject: f.subject,
      cap_usd: f.cap === null ? null : f.kind === 'workflow-cap' ? roundTokens(f.cap) : roundUsd(f.cap),
      cap_day: f.top_day,
      cap_day_value:
        f.top_day_value === null
          ? null
          : f.kind === 'workflow-cap'
            ? roundTokens(f.top_day_value)
            : roundUsd(f.top_day_value),
      other_charges_usd: roundUsd(f.other_cost ?? 0),
    };
    return { ...finding, diagnosis: budgetDiagnosis(finding, c.month_over_month_ratio) };
  },

  peakText: (value) => `${money(value)} over budget`,
  peakValue: (f) => f.projected_30d_excess_usd,
  // The finding with the most money above the budget stands beside the headline.
  peakRank: (f) => f.projected_30d_excess_usd,
  peakDay: (f) => f.cap_day ?? f.as_of,
  episodeStart: (peak) => peak.recent_start,

  aboveBand: (peak) => (d) => d.cost_usd > peak.baseline_avg_daily_usd,

  dailyAvoidable: () => () => null,

  // Money above the budget's daily pace, day by day (never below zero: a quiet day does not pay back).
  excessSoFar: (days, peak) =>
    days.reduce((s, d) => s + Math.max(0, d.cost_usd - peak.baseline_avg_daily_usd), 0),

  /**
   * What the owner reads of a budget episode: the latest day's charges against the budget's daily
   * pace, the projection and severity of the newest finding while it goes on, the peak's once ended.
   */
  tell({ peak, latest, days, ongoing, newest, spikeFrom, spikeTo }) {
    const told = ongoing ? latest : peak;
    const latestDaily = days.find((d) => d.date === newest)?.cost_usd ?? latest.recent_avg_daily_usd;
    const spike = days.filter((d) => d.date >= spikeFrom && d.date <= spikeTo);
    const mean =
      spike.length > 0
        ? spike.reduce((sum, d) => sum + d.cost_usd, 0) / spike.length
        : told.recent_avg_daily_usd;
    const pace = told.baseline_avg_daily_usd;
    const over = (v: number) => (pace > 0 ? roundUsd(v / pace) : null);
    return {
      latest_day: newest,
      latest_daily_usd: roundUsd(latestDaily),
      mean_daily_usd: roundUsd(mean),
      spike_days: daysBetween(spikeFrom, spikeTo) + 1,
      baseline_daily_usd: pace,
      latest_ratio: over(latestDaily),
      mean_ratio: over(mean),
      peak_ratio: null,
      excess_daily_usd: ongoing ? latest.excess_daily_usd : null,
      projected_30d_excess_usd: ongoing ? latest.projected_30d_excess_usd : null,
      severity: ongoing ? latest.severity : peak.severity,
      peak_value: peak.projected_30d_excess_usd,
      peak_day: peak.cap_day ?? peak.as_of,
      band_daily_usd: pace,
      band_hit_ratio: null,
      expected_hit_ratio: null,
    };
  },

  emailWords: (peak, basis) => ({
    chartSubject: 'Bedrock',
    markedLegend: peak.kind === 'daily-cap' ? 'above the cap' : "above the budget's daily pace",
    dayFigure: (day) => money(day.cost_usd),
    bandWords: `above ${money(basis.bandDailyUsd ?? peak.baseline_avg_daily_usd)}/day, ${peak.kind === 'daily-cap' ? "the account's cap" : "the budget's daily pace"}`,
    chartLine:
      peak.kind === 'month-over-month'
        ? "budget's daily pace"
        : peak.kind === 'daily-cap'
          ? 'cap'
          : 'baseline',
    askQuestion:
      peak.kind === 'workflow-cap'
        ? 'is this workflow stopped or bounded? If it is meant to send this much uncached input, say it is legitimate and this level will be accepted.'
        : 'is this spend stopped or bounded? If the budget is too low for work you planned, say it is legitimate and this level will be accepted.',
    flags: {
      isMonthOverMonth: peak.kind === 'month-over-month',
      isDailyCap: peak.kind === 'daily-cap',
      isWorkflowCap: peak.kind === 'workflow-cap',
    },
    facts: { budget: budgetFacts(peak) },
  }),

  chartMarks: (latest, endDay) => ({
    elevated: (p) =>
      latest.kind !== 'workflow-cap' &&
      p.date >= latest.recent_start &&
      p.cost_usd > latest.baseline_avg_daily_usd &&
      (endDay === null || p.date < endDay),
    highlighted: () => false,
    splitAtBaseline: true,
    hitStrip: false,
  }),

  describe(f) {
    if (f.kind === 'month-over-month') {
      return `on course for ${money(f.forecast_month_usd ?? 0)} this month vs ${money(f.last_month_usd ?? 0)} last month, +${money(f.projected_30d_excess_usd)} over budget`;
    }
    if (f.kind === 'daily-cap') {
      return `${money(f.cap_day_value ?? 0)} on ${f.cap_day} over a ${money(f.cap_usd ?? 0)}/day cap, +${money(f.projected_30d_excess_usd)} per 30 days`;
    }
    return `${f.subject}: ${tokenWords(f.cap_day_value ?? 0)} uncached input tokens on ${f.cap_day} over a ${tokenWords(f.cap_usd ?? 0)}/day cap, +${money(f.projected_30d_excess_usd)} per 30 days`;
  },

  describeEpisode: (e, peak, latest) =>
    e.ongoing
      ? budget.describe(latest)
      : `ended ${e.end_day}; ${budget.describe(peak)} as-of ${peak.as_of}; ${money(e.excess_so_far_usd)} above budget so far`,
};
