/**
 * The budget part of `npm run bench:quality` (docs/detection.md "Budget"): generates the budget families
 * over many seeds, runs the `budget` detector alone over every as-of day of each range (the shipped
 * defaults, plus a workflow cap, which ships off), and scores its findings against the labels. The
 * main library's families are not touched: their numbers stay what they were.
 */
import { DuckDbQueryEngine } from '../../../functions/adapters/query-engine/duckdb.js';
import type { SentinelConfig } from '../../../functions/core/config.js';
import { addDays, dayRange, daysBetween } from '../../../functions/core/dates.js';
import { accountCaps } from '../../../functions/core/detect/detectors/budget.js';
import { runDetection } from '../../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../../functions/core/log.js';
import { fixedClock } from '../../../functions/core/ports.js';
import type { FocusRow } from '../../../functions/synthetic/focus-row.js';
import { BENCH_FOCUS, loadFocus } from '../focus-table.js';
import { noStore } from '../systems.js';
import {
  BENCH_WORKFLOW_CAP_TOKENS,
  BUDGET_FAMILY_IDS,
  type BudgetFamilyId,
  type BudgetLabel,
  budgetWindowOf,
  generateBudgetScenario,
} from './scenarios.js';

export interface BudgetOptions {
  seeds: number;
}

export interface BudgetFamilyScore {
  scenarios: number;
  caught: number;
  delays: number[];
  exposedWeeks: number;
  falseWeeks: number;
  falseFindings: number;
  trueFindings: number;
}

export interface BudgetResults {
  options: BudgetOptions;
  scores: Map<BudgetFamilyId, BudgetFamilyScore>;
  rows: number;
  seconds: number;
}

/** Budget SEEDS start where neither the main library's nor the hourly one's do. */
const BUDGET_SEED_BASE = 700_000;

export async function runBudgetBench(
  options: BudgetOptions,
  shipped: SentinelConfig,
  log: (message: string) => void,
): Promise<BudgetResults> {
  const started = Date.now();
  const config: SentinelConfig = {
    ...shipped,
    detectors: {
      ...shipped.detectors,
      budget: { ...shipped.detectors.budget, max_uncached_input_tokens_per_day: BENCH_WORKFLOW_CAP_TOKENS },
    },
  };
  const scores = new Map<BudgetFamilyId, BudgetFamilyScore>(
    BUDGET_FAMILY_IDS.map((f) => [
      f,
      {
        scenarios: 0,
        caught: 0,
        delays: [],
        exposedWeeks: 0,
        falseWeeks: 0,
        falseFindings: 0,
        trueFindings: 0,
      },
    ]),
  );
  // Seeds of one range end share a table and a detection run.
  const byEnd = new Map<string, number[]>();
  for (let i = 0; i < options.seeds; i++) {
    const seed = BUDGET_SEED_BASE + i;
    const to = budgetWindowOf(seed).to;
    byEnd.set(to, [...(byEnd.get(to) ?? []), seed]);
  }
  let rowCount = 0;
  for (const [to, seeds] of [...byEnd].sort()) {
    const rows: FocusRow[] = [];
    const labels: BudgetLabel[] = [];
    for (const seed of seeds) {
      for (const family of BUDGET_FAMILY_IDS) {
        const scenario = generateBudgetScenario(family, seed);
        rows.push(...scenario.rows);
        labels.push(scenario.label);
      }
    }
    rowCount += rows.length;
    const window = budgetWindowOf(seeds[0]!);
    // The workflow cap ships off: every family runs as shipped, the workflow family with its cap on.
    const capped = (l: BudgetLabel) => l.family === 'workflow-over-cap';
    for (const [runConfig, these] of [
      [shipped, labels.filter((l) => !capped(l))],
      [config, labels.filter(capped)],
    ] as const) {
      const accounts = new Set(these.map((l) => l.account_id));
      const engine = await DuckDbQueryEngine.open({ threads: 2 });
      try {
        await loadFocus(
          engine,
          rows.filter((r) => accounts.has(r.subaccountid ?? '')),
        );
        const result = await runDetection(
          {
            engine,
            focus: BENCH_FOCUS,
            store: noStore,
            clock: fixedClock(`${to}T12:00:00Z`),
            log: silentLogger(),
          },
          runConfig,
          {
            asOfDays: dayRange(window.from, window.to),
            detectors: ['budget'],
            runId: 'bench-quality-budget',
            command: 'detect',
            dryRun: true,
            recurringExemptionOff: [],
            // The owners file's environments give the caps, as in a deployment.
            accountCaps: accountCaps(
              these.map((l) => ({ accountId: l.account_id, environment: l.environment, dailyCapUsd: null })),
              runConfig,
            ),
          },
        );
        for (const label of these) {
          score(
            label,
            result.findings.filter((f) => f.account_id === label.account_id),
            window,
            scores.get(label.family)!,
          );
        }
      } finally {
        await engine.close();
      }
    }
    log(`budget batch ${to}: ${seeds.length} seeds, ${rows.length} rows`);
  }
  return { options, scores, rows: rowCount, seconds: Math.round((Date.now() - started) / 1000) };
}

/**
 * An incident is caught by a finding of its kind on an as-of day from its start to its deadline (a
 * month-over-month breach must be seen inside its month). A finding is false on a benign account or
 * before an incident's start; false findings count per account-week (weeks of the evaluated range, from
 * its first day), as in the main library.
 */
function score(
  label: BudgetLabel,
  findings: { kind: string; as_of: string }[],
  window: { from: string; to: string },
  s: BudgetFamilyScore,
): void {
  s.scenarios += 1;
  const isTrue = (f: { kind: string; as_of: string }) =>
    label.kind !== null && f.kind === label.kind && label.start !== null && f.as_of >= label.start;
  const hits = findings
    .filter((f) => isTrue(f) && f.as_of <= (label.deadline ?? window.to))
    .sort((a, b) => a.as_of.localeCompare(b.as_of));
  if (hits.length > 0) {
    s.caught += 1;
    s.delays.push(daysBetween(label.start!, hits[0]!.as_of));
  }
  const week = (day: string) => Math.floor(daysBetween(window.from, day) / 7);
  // Exposed: every week with a day the account should be quiet on.
  const exposed = new Set<number>();
  for (let d = window.from; d <= window.to; d = addDays(d, 1)) {
    if (label.kind === null || label.start === null || d < label.start) exposed.add(week(d));
  }
  s.exposedWeeks += exposed.size;
  const falseWeeks = new Set<number>();
  for (const f of findings) {
    if (isTrue(f)) s.trueFindings += 1;
    // Another budget kind after an incident's start follows from it (a workflow over its cap also
    // lifts the month's forecast): not judged, as runaway findings on a cache regression are not.
    else if (label.kind !== null && label.start !== null && f.as_of >= label.start) continue;
    else {
      s.falseFindings += 1;
      falseWeeks.add(week(f.as_of));
    }
  }
  s.falseWeeks += falseWeeks.size;
}
