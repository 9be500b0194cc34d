/**
 * The hourly part of `npm run bench:quality` (docs/watch.md "The rule"): generates the hourly families
 * over many seeds, judges every evaluated hour with the watch's rule at the shipped parameters, scores
 * the findings against the labels, sweeps the tuning grid on separate seeds, and measures the two-stage
 * read (input and output tokens first, the rest for accounts whose cost rose).
 */
import { loadListPrices } from '../../../functions/adapters/list-prices.js';
import type { SentinelConfig, WatchConfig } from '../../../functions/core/config.js';
import { type ListPrices, Pricing } from '../../../functions/core/detect/prices.js';
import {
  judgeWatch,
  type PreparedWatch,
  prepareWatch,
  screenWatch,
  type WatchRuleParams,
  watchRuleParams,
} from '../../../functions/core/detect/watch-rule.js';
import type { HourlyUsage } from '../../../functions/core/ports.js';
import { type HourlyGridPoint, hourlyGridPoints } from './grid.js';
import {
  generateHourlyScenario,
  HOURLY_FAMILY_IDS,
  type HourlyFamilyId,
  type HourlyScenario,
} from './scenarios.js';
import { type HourlyScore, scoreHourly } from './score.js';

export interface HourlyOptions {
  seeds: number;
  tuneSeeds: number;
  quick: boolean;
}

export interface TwoStage {
  /** Incidents the two-stage read catches as the full read does (same first firing hour). */
  sameCatch: number;
  incidents: number;
  /** Findings (account × kind × day) of the full read the two-stage read also has. */
  sameFindings: number;
  findings: number;
  /** Account-hours whose first stage asked for the rest of the metrics, of all evaluated account-hours. */
  escalatedHours: number;
  accountHours: number;
}

export interface HourlyGridResult {
  point: HourlyGridPoint;
  scores: Map<HourlyFamilyId, HourlyScore>;
}

export interface HourlyResults {
  options: HourlyOptions;
  params: WatchRuleParams;
  scores: Map<HourlyFamilyId, HourlyScore>;
  grid: HourlyGridResult[];
  twoStage: TwoStage;
  scenarios: number;
  rows: number;
  evaluatedHours: number;
  seconds: number;
  /** Seconds spent judging (the rule alone, shipped parameters, evaluation seeds). */
  judgeSeconds: number;
  unpricedModelIds: string[];
}

const TUNING_SEED_BASE = 500_000;

/** Rows as the first stage reads them: input and output tokens only. */
const firstStage = (rows: readonly HourlyUsage[]): HourlyUsage[] =>
  rows.map((r) => ({ ...r, cache_read_tokens: null, cache_write_tokens: null, invocations: null }));

function prepare(scenario: HourlyScenario, listPrices: ListPrices, rows = scenario.rows): PreparedWatch {
  return prepareWatch({
    rows,
    pricing: new Pricing(scenario.table, listPrices),
    evaluate: scenario.evaluate,
    coveredFrom: scenario.coveredFrom,
  });
}

export async function runHourlyBench(
  options: HourlyOptions,
  config: SentinelConfig,
  log: (message: string) => void,
): Promise<HourlyResults> {
  const started = Date.now();
  const listPrices = await loadListPrices();
  const params = watchRuleParams(config.watch);
  const severity = config.severity;
  const scores = new Map<HourlyFamilyId, HourlyScore>();
  const twoStage: TwoStage = {
    sameCatch: 0,
    incidents: 0,
    sameFindings: 0,
    findings: 0,
    escalatedHours: 0,
    accountHours: 0,
  };
  let scenarios = 0;
  let rows = 0;
  let evaluatedHours = 0;
  let judgeMs = 0;
  const unpriced = new Set<string>();
  for (let seed = 0; seed < options.seeds; seed++) {
    for (const family of HOURLY_FAMILY_IDS) {
      const scenario = generateHourlyScenario(family, seed);
      scenarios += 1;
      rows += scenario.rows.length;
      const prepared = prepare(scenario, listPrices);
      const t0 = performance.now();
      const result = judgeWatch(prepared, params, severity);
      judgeMs += performance.now() - t0;
      evaluatedHours += result.evaluatedHours.length;
      for (const id of result.unpricedModelIds) unpriced.add(id);
      scoreHourly(scenario, result.findings, scores);
      measureTwoStage(scenario, prepared, result.findings, listPrices, params, twoStage);
    }
    if ((seed + 1) % 25 === 0) log(`hourly evaluation: ${seed + 1}/${options.seeds} seeds`);
  }

  const grid: HourlyGridResult[] = [];
  if (options.tuneSeeds > 0) {
    const points = hourlyGridPoints(config.watch, options.quick);
    for (const point of points) grid.push({ point, scores: new Map() });
    for (let n = 0; n < options.tuneSeeds; n++) {
      for (const family of HOURLY_FAMILY_IDS) {
        const scenario = generateHourlyScenario(family, TUNING_SEED_BASE + n);
        const prepared = prepare(scenario, listPrices);
        for (const result of grid) {
          scoreHourly(scenario, judgeWatch(prepared, result.point.params, severity).findings, result.scores);
        }
      }
      if ((n + 1) % 10 === 0)
        log(`hourly tuning: ${n + 1}/${options.tuneSeeds} seeds × ${grid.length} grid points`);
    }
  }
  return {
    options,
    params,
    scores,
    grid,
    twoStage,
    scenarios,
    rows,
    evaluatedHours,
    seconds: Math.round((Date.now() - started) / 1000),
    judgeSeconds: Math.round(judgeMs / 100) / 10,
    unpricedModelIds: [...unpriced].sort(),
  };
}

/**
 * The two-stage read on one scenario: the first stage's screen over input and output tokens flags, hour
 * by hour, the accounts whose other metrics the watch then reads; the rule fires on an hour only when it
 * was flagged (otherwise the watch holds input and output tokens alone for it). Compared with the full read.
 */
function measureTwoStage(
  scenario: HourlyScenario,
  full: PreparedWatch,
  fullFindings: ReturnType<typeof judgeWatch>['findings'],
  listPrices: ListPrices,
  params: WatchRuleParams,
  into: TwoStage,
): void {
  const light = prepare(scenario, listPrices, firstStage(scenario.rows));
  const flagged = new Set(screenWatch(light, params).get(scenario.label.account_id) ?? []);
  into.accountHours += full.grid.length - full.firstEval;
  into.escalatedHours += flagged.size;
  const runaway = fullFindings.filter((f) => f.kind !== 'context-growth');
  const twoStage = runaway.map((f) => ({ ...f, fired_hours: f.fired_hours.filter((h) => flagged.has(h)) }));
  into.findings += runaway.length;
  into.sameFindings += twoStage.filter((f) => f.fired_hours.length > 0).length;
  const start = scenario.label.start;
  if (start !== null && scenario.label.family !== 'context-growth') {
    into.incidents += 1;
    const from = Math.floor(start / 3_600_000) * 3_600_000;
    const first = (list: typeof runaway) =>
      list
        .flatMap((f) => f.fired_hours)
        .filter((h) => Date.parse(h) >= from)
        .sort()[0];
    if (first(runaway) === first(twoStage)) into.sameCatch += 1;
  }
}

export type { HourlyGridPoint, WatchConfig };
