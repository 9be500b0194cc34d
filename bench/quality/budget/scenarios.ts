/**
 * The budget detector's labelled families (docs/detection.md "Budget"), one account each, daily FOCUS
 * rows at list price. Pure and deterministic in (family, seed).
 */
import { addDays, daysBetween } from '../../../functions/core/dates.js';
import type { IsoDate } from '../../../functions/core/types.js';
import { type Day, dayRange, isWeekend } from '../../../functions/synthetic/calendar.js';
import { type BedrockModel, MODELS, REGIONS } from '../../../functions/synthetic/catalog.js';
import type { FocusRow } from '../../../functions/synthetic/focus-row.js';
import { hash32, Random } from '../../../functions/synthetic/random.js';
import {
  type AccountIdentity,
  type BedrockWorkload,
  type Composition,
  emitBedrockDay,
} from '../../../functions/synthetic/workloads.js';
import { type BenchWindow, DATA_DAYS, RANGE_DAYS } from '../scenarios.js';

/**
 * Six range ends (the main library's, less 2026-03-15, where no month has both a whole month before it in
 * the data and ten judged days after a mid-month step): every scenario of one end shares a table and a run.
 */
const RANGE_ENDS: IsoDate[] = [
  '2026-03-10',
  '2026-03-20',
  '2026-03-25',
  '2026-03-30',
  '2026-04-04',
  '2026-04-09',
];

export function budgetWindowOf(seed: number): BenchWindow {
  const to = RANGE_ENDS[seed % RANGE_ENDS.length]!;
  return { dataStart: addDays(to, -(DATA_DAYS - 1)), from: addDays(to, -(RANGE_DAYS - 1)), to };
}

export const BUDGET_FAMILY_IDS = [
  'step-mid-month',
  'slow-climb',
  'one-off-on-the-1st',
  'sandbox-crossing',
  'prod-no-cap',
  'workflow-over-cap',
] as const;
export type BudgetFamilyId = (typeof BUDGET_FAMILY_IDS)[number];

export type BudgetKind = 'month-over-month' | 'daily-cap' | 'workflow-cap';

export interface BudgetFamilyInfo {
  /** The kind that must fire; null for a benign family (every budget finding on it is false). */
  kind: BudgetKind | null;
  summary: string;
}

/** The workflow cap the benchmark turns on (off by default in the product). */
export const BENCH_WORKFLOW_CAP_TOKENS = 50e6;

export const BUDGET_FAMILIES: Record<BudgetFamilyId, BudgetFamilyInfo> = {
  'step-mid-month': {
    kind: 'month-over-month',
    summary:
      'Sonnet 4.5 at $40–400/day through last month; on a day between the 10th and the 18th of the month the level steps up so that the month ends at 2.2× last month, and stays there',
  },
  'slow-climb': {
    kind: null,
    summary:
      'Sonnet 4.5 at $40–400/day through last month, then a linear climb over the month to about 2.8× (the month totals 1.9× last month), flat after: must stay quiet',
  },
  'one-off-on-the-1st': {
    kind: null,
    summary:
      'Haiku 4.5 at $30–300/day; on the 1st of the month a one-off batch (no such day last month) costs 5–12× a day: the month starts high, then runs as before — must stay quiet',
  },
  'sandbox-crossing': {
    kind: 'daily-cap',
    summary:
      'a sandbox account (cap $100/day from its environment) at $20–50/day; on one day an evaluation sweep adds $110–250',
  },
  'prod-no-cap': {
    kind: null,
    summary: 'a production account (no cap) steady at $110–150/day of Sonnet 4.5: must stay quiet',
  },
  'workflow-over-cap': {
    kind: 'workflow-cap',
    summary: `one agent-run-id sends 5–30 M uncached input tokens a day under a ${BENCH_WORKFLOW_CAP_TOKENS / 1e6} M cap; from the start day a second one sends 60–200 M a day`,
  },
};

export interface BudgetLabel {
  family: BudgetFamilyId;
  seed: number;
  account_id: string;
  kind: BudgetKind | null;
  /** First day the incident is there to see (null for a benign family). */
  start: IsoDate | null;
  /** The last as-of day that still counts as caught: month-over-month must fire inside its month. */
  deadline: IsoDate | null;
  environment: string;
}

export interface BudgetScenario {
  label: BudgetLabel;
  window: BenchWindow;
  rows: FocusRow[];
}

const PAYER = '999900002222';

export function budgetAccountId(family: BudgetFamilyId, seed: number): string {
  const i = BUDGET_FAMILY_IDS.indexOf(family);
  const tail = String(hash32('budget-quality', family, seed) % 1000).padStart(3, '0');
  return `${50 + i}${String(seed).padStart(6, '0')}9${tail}`;
}

const CACHED: Composition = { hitRatio: 0.6, writeShare: 0.04, outputPerPrompt: 0.08 };
const UNCACHED: Composition = { hitRatio: 0, writeShare: 0, outputPerPrompt: 0.05 };

function workload(
  model: BedrockModel,
  app: string,
  usd: (day: Day, random: Random) => number,
  reference: Composition,
  tags: Record<string, string> = {},
): BedrockWorkload {
  return {
    app,
    model,
    variant: 'regional',
    region: REGIONS['us-east-1'],
    streaming: true,
    usdAtReference: usd,
    reference: model.regionalPerMillion.cache_write === null ? { ...reference, writeShare: 0 } : reference,
    tagSplits: () => [{ tags: { app, team: 'bench', ...tags }, share: 1 }],
  };
}

/** Day-to-day wobble of ±spread, with the occasional busy day of the main library. */
const wobble = (random: Random, spread: number) =>
  random.wobble(spread) * (random.chance(0.03) ? random.between(1.3, 1.8) : 1);

const monthStart = (iso: IsoDate): IsoDate => `${iso.slice(0, 7)}-01`;
const shiftMonth = (first: IsoDate, by: number): IsoDate => {
  const d = new Date(`${first}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + by);
  return d.toISOString().slice(0, 10);
};

/**
 * The month M a family is about, and L before it (whole in the data). `ending`: the month whose last day
 * is in the evaluated range when the month before it is whole in the data (so its whole second half is
 * judged), else the month of the range's last day; otherwise the month of the range's last day (its 1st
 * is in the range or just before it).
 */
function months(window: BenchWindow, ending: boolean): { m: IsoDate; mEnd: IsoDate; l: IsoDate } {
  let m = monthStart(window.to);
  const earlier = shiftMonth(m, -1);
  if (ending && addDays(m, -1) >= window.from && shiftMonth(earlier, -1) >= window.dataStart) m = earlier;
  return { m, mEnd: addDays(shiftMonth(m, 1), -1), l: shiftMonth(m, -1) };
}

export function generateBudgetScenario(family: BudgetFamilyId, seed: number): BudgetScenario {
  const window = budgetWindowOf(seed);
  const days = dayRange(window.to, DATA_DAYS);
  const random = Random.derive(seed, 'budget-quality', family);
  const { m, mEnd, l } = months(window, family === 'step-mid-month' || family === 'slow-climb');
  const monthDays = daysBetween(m, mEnd) + 1;
  const lastMonthDays = daysBetween(l, m);
  const account: AccountIdentity = {
    accountId: budgetAccountId(family, seed),
    accountName: `bench-budget-${family}-${seed}`,
    payerAccountId: PAYER,
    discount: 0,
  };
  const base = random.between(40, 400);
  let environment = 'prod';
  let start: IsoDate | null = null;
  let deadline: IsoDate | null = null;
  let workloads: BedrockWorkload[];
  switch (family) {
    case 'step-mid-month': {
      // Level k from day s on makes the month (s−1) + (n−s+1)·k days of base: 2.2 × last month's days.
      // A day from the 10th to the 18th, not before the evaluated range and ten days before its end.
      const s = random.int(
        Math.max(10, daysBetween(m, window.from) + 1),
        Math.min(18, daysBetween(m, window.to) + 1 - 9),
      );
      const k = (2.2 * lastMonthDays - (s - 1)) / (monthDays - s + 1);
      start = addDays(m, s - 1);
      deadline = [mEnd, window.to].sort()[0]!;
      workloads = [
        workload(
          MODELS.sonnet,
          'assistant',
          (day, r) => base * r.wobble(0.06) * (day.iso >= start! ? k : 1),
          CACHED,
        ),
      ];
      break;
    }
    case 'slow-climb': {
      // A linear climb from 1 whose month totals 1.9 × last month: mean level 1.9 × L/M days.
      const end = 2 * 1.9 * (lastMonthDays / monthDays) - 1;
      workloads = [
        workload(
          MODELS.sonnet,
          'assistant',
          (day, r) => {
            const level =
              day.iso < m
                ? 1
                : day.iso > mEnd
                  ? end
                  : 1 + ((end - 1) * daysBetween(m, day.iso)) / (monthDays - 1);
            // No busy days (here and in the step family): they move a month by a few percent and would make
            // a 1.9× month 2× by chance, or a 2.2× one under 2×: the label would lie.
            return base * r.wobble(0.06) * level;
          },
          CACHED,
        ),
      ];
      break;
    }
    case 'one-off-on-the-1st': {
      const oneOff = random.between(5, 12);
      workloads = [
        workload(MODELS.haiku, 'classifier', (_day, r) => (base * wobble(r, 0.06)) / 1.3, CACHED),
        workload(MODELS.haiku, 'backfill', (day) => (day.iso === m ? (base / 1.3) * oneOff : 0), UNCACHED, {
          'agent-run-id': `backfill-${seed}`,
        }),
      ];
      break;
    }
    case 'sandbox-crossing': {
      environment = 'sandbox';
      const level = random.between(20, 50);
      const spikeDay = addDays(window.from, random.int(3, 24));
      const total = random.between(110, 250);
      start = spikeDay;
      deadline = window.to;
      workloads = [
        workload(
          MODELS.sonnet,
          'evals',
          (day, r) => level * r.wobble(0.06) * (isWeekend(day) ? 0.5 : 1),
          CACHED,
        ),
        workload(MODELS.sonnet, 'sweep', (day) => (day.iso === spikeDay ? total : 0), UNCACHED, {
          'agent-run-id': `sweep-${seed}`,
        }),
      ];
      break;
    }
    case 'prod-no-cap': {
      const level = random.between(110, 150);
      workloads = [workload(MODELS.sonnet, 'assistant', (_day, r) => level * r.wobble(0.05), CACHED)];
      break;
    }
    case 'workflow-over-cap': {
      // Uncached input tokens a day → dollars at the model's input price (output is small beside it).
      const perToken = MODELS.haiku.regionalPerMillion.input / 1e6;
      const under = random.between(5e6, 30e6);
      const over = random.between(60e6, 200e6);
      const s = addDays(window.from, random.int(3, 24));
      start = s;
      deadline = window.to;
      const usd = (tokens: number) => tokens * perToken * (1 + UNCACHED.outputPerPrompt * 5);
      workloads = [
        workload(MODELS.haiku, 'agents', (_d, r) => usd(under) * r.wobble(0.1), UNCACHED, {
          'agent-run-id': `steady-${seed}`,
        }),
        workload(
          MODELS.haiku,
          'agents',
          (day, r) => (day.iso >= s ? usd(over) * r.wobble(0.1) : 0),
          UNCACHED,
          {
            'agent-run-id': `loop-${seed}`,
          },
        ),
      ];
      break;
    }
  }
  const rowRandom = Random.derive(seed, 'budget-quality-rows', family);
  const rows: FocusRow[] = [];
  for (const day of days) for (const w of workloads) emitBedrockDay(account, w, day, rowRandom, rows);
  return {
    window,
    rows,
    label: {
      family,
      seed,
      account_id: account.accountId,
      kind: BUDGET_FAMILIES[family].kind,
      start,
      deadline,
      environment,
    },
  };
}
