/**
 * `npm run bench:quality [-- --quick] [-- --seeds N] [-- --tune-seeds N] [-- --no-tune] [-- --out FILE]
 *   [-- --hourly-seeds N] [-- --hourly-tune-seeds N] [-- --hourly-only] [-- --budget-seeds N] [-- --budget-only]`
 *
 * Generates the labelled scenario library for every family over many seeds, packs the scenarios
 * of one range into one DuckDB table, runs our detection (one pass over the 28 as-of days) and the
 * original query (as written and as intended) over the same table, scores them against the
 * labels, sweeps the tuning grid on separate tuning seeds, and writes bench/QUALITY.md (a quick run:
 * bench/.data/QUALITY-quick.md). Then the budget detector's families (bench/quality/budget/) and the
 * hourly watch's own library (bench/quality/hourly/), each in its own section; `--budget-only` and
 * `--hourly-only` rerun one part alone and replace its section in the report they find.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { packagePath } from '../../functions/core/assets.js';
import { defaultConfig, type SentinelConfig } from '../../functions/core/config.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';
import { BUDGET_SECTION_TITLE, renderBudgetSection } from './budget/report.js';
import { type BudgetOptions, runBudgetBench } from './budget/run.js';
import { loadFocus } from './focus-table.js';
import {
  alarmDifference,
  type GridPoint,
  gridAlarms,
  gridPoints,
  stageForGrid,
  WEEK_ONLY_POINT,
} from './grid.js';
import { HOURLY_SECTION_TITLE, renderHourlySection } from './hourly/report.js';
import { type HourlyOptions, runHourlyBench } from './hourly/run.js';
import { type CacheComparison, type GridResult, renderReport } from './report.js';
import { FAMILY_IDS, type FamilyId, generateScenario, windowOf } from './scenarios.js';
import { type FamilyScore, type LabelledRange, scoreSystem } from './score.js';
import { RECENT_DAYS, runOriginal, runOurs, SYSTEMS, type SystemId } from './systems.js';

interface Options {
  seeds: number;
  tuneSeeds: number;
  out: string;
  quick: boolean;
  hourly: HourlyOptions;
  hourlyOnly: boolean;
  budget: BudgetOptions;
  budgetOnly: boolean;
}

/** Tuning seeds never overlap the evaluation seeds. */
const TUNING_SEED_BASE = 500_000;
const MAX_SEEDS_PER_BATCH = 30;

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (flag: string, fallback: number) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not '${v}'`);
    return n;
  };
  const seeds = int('--seeds', quick ? 10 : 200);
  const tuneSeeds = argv.includes('--no-tune') ? 0 : int('--tune-seeds', quick ? 7 : 70);
  // A quick run is a smoke test: it never overwrites the committed report.
  const defaultOut = quick
    ? packagePath('bench', '.data', 'QUALITY-quick.md')
    : packagePath('bench', 'QUALITY.md');
  const hourly: HourlyOptions = {
    seeds: int('--hourly-seeds', quick ? 10 : 200),
    tuneSeeds: argv.includes('--no-tune') ? 0 : int('--hourly-tune-seeds', quick ? 7 : 70),
    quick,
  };
  return {
    seeds,
    tuneSeeds,
    quick,
    out: value('--out') ?? defaultOut,
    hourly,
    hourlyOnly: argv.includes('--hourly-only'),
    budget: { seeds: int('--budget-seeds', quick ? 10 : 200) },
    budgetOnly: argv.includes('--budget-only'),
  };
}

/** Seeds grouped by their range (one DuckDB table and one detection run each), in chunks. */
function batches(seeds: number[]): number[][] {
  const byEnd = new Map<string, number[]>();
  for (const seed of seeds) {
    const key = windowOf(seed).to;
    const list = byEnd.get(key) ?? [];
    list.push(seed);
    byEnd.set(key, list);
  }
  const out: number[][] = [];
  for (const key of [...byEnd.keys()].sort()) {
    const list = byEnd.get(key)!;
    for (let i = 0; i < list.length; i += MAX_SEEDS_PER_BATCH)
      out.push(list.slice(i, i + MAX_SEEDS_PER_BATCH));
  }
  return out;
}

interface Batch {
  labelled: LabelledRange[];
  rows: FocusRow[];
  range: { from: string; to: string };
}

function generateBatch(seeds: number[]): Batch {
  const labelled: LabelledRange[] = [];
  const rows: FocusRow[] = [];
  const ids = new Set<string>();
  const window = windowOf(seeds[0]!);
  for (const seed of seeds) {
    for (const family of FAMILY_IDS) {
      const scenario = generateScenario(family, seed);
      for (const id of [scenario.label.account_id, ...scenario.label.peers]) {
        if (ids.has(id)) throw new Error(`account id ${id} is used twice in one batch`);
        ids.add(id);
      }
      for (const row of scenario.rows) rows.push(row);
      labelled.push({ label: scenario.label, from: window.from, to: window.to });
    }
  }
  return { labelled, rows, range: { from: window.from, to: window.to } };
}

export interface RunStats {
  seeds: number;
  tuneSeeds: number;
  scenarios: number;
  accounts: number;
  rows: number;
  asOfDays: number;
  skippedDays: number;
  staleDays: number;
  warnings: string[];
  gridChecks: number;
  gridMismatches: string[];
  seconds: number;
  batches: number;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const config = defaultConfig();
  const log = (message: string) => process.stderr.write(`${message}\n`);
  if (options.hourlyOnly) {
    await hourlyOnly(options, config, log);
    return;
  }
  if (options.budgetOnly) {
    await budgetOnly(options, config, log);
    return;
  }

  const scores = new Map<SystemId, Map<FamilyId, FamilyScore>>(SYSTEMS.map((s) => [s, new Map()]));
  const stats: RunStats = {
    seeds: options.seeds,
    tuneSeeds: options.tuneSeeds,
    scenarios: 0,
    accounts: 0,
    rows: 0,
    asOfDays: 0,
    skippedDays: 0,
    staleDays: 0,
    warnings: [],
    gridChecks: 0,
    gridMismatches: [],
    seconds: 0,
    batches: 0,
  };

  // cache-miss on the evaluation seeds with and without its short window (the 7-day rule alone).
  const cacheComparison: CacheComparison = { weekOnly: new Map(), shipped: new Map() };
  const evaluation = batches(Array.from({ length: options.seeds }, (_, i) => i));
  stats.batches = evaluation.length;
  for (const [index, seeds] of evaluation.entries()) {
    const batch = generateBatch(seeds);
    const engine = await DuckDbQueryEngine.open({ threads: 2 });
    try {
      await loadFocus(engine, batch.rows);
      stats.scenarios += batch.labelled.length;
      stats.accounts += batch.labelled.reduce((n, l) => n + 1 + l.label.peers.length, 0);
      stats.rows += batch.rows.length;
      const ours = await runOurs(engine, config, batch.range);
      stats.asOfDays += ours.result.evaluatedDays.length;
      stats.skippedDays += ours.result.skippedDays.length;
      stats.staleDays += ours.result.staleDays.length;
      for (const w of ours.result.warnings) if (!stats.warnings.includes(w)) stats.warnings.push(w);
      scoreSystem(batch.labelled, ours.alarms, RECENT_DAYS.ours, scores.get('ours'));
      // The original runs per organization: each seed's accounts are one organization of 22
      // accounts, so its LIMIT 25 cannot hide anything; once more over the packed table to show it does.
      for (const seed of seeds) {
        const organization = batch.labelled.filter((l) => l.label.seed === seed);
        const accounts = organization.flatMap((l) => [l.label.account_id, ...l.label.peers]);
        for (const system of ['original-written', 'original-intended'] as const) {
          const alarms = await runOriginal(engine, batch.range, system === 'original-intended', accounts);
          scoreSystem(organization, alarms, RECENT_DAYS[system], scores.get(system));
        }
      }
      const packed = await runOriginal(engine, batch.range, true);
      scoreSystem(
        batch.labelled,
        packed,
        RECENT_DAYS['original-intended-packed'],
        scores.get('original-intended-packed'),
      );
      // The grid scorer must reproduce runDetection exactly at the defaults.
      await stageForGrid(engine, config, batch.range);
      for (const detector of ['runaway-inference', 'cache-miss'] as const) {
        const grid = await gridAlarms(engine, { detector, config }, batch.range);
        const expected = ours.alarms.filter((a) => a.detector === detector);
        stats.gridChecks += expected.length;
        stats.gridMismatches.push(...alarmDifference(expected, grid).slice(0, 5));
        if (detector === 'cache-miss')
          scoreSystem(batch.labelled, grid, RECENT_DAYS.ours, cacheComparison.shipped);
      }
      const weekOnly = await gridAlarms(engine, WEEK_ONLY_POINT, batch.range);
      scoreSystem(batch.labelled, weekOnly, RECENT_DAYS.ours, cacheComparison.weekOnly);
    } finally {
      await engine.close();
    }
    log(
      `evaluation batch ${index + 1}/${evaluation.length}: ${seeds.length} seeds, ${batch.rows.length} rows`,
    );
  }

  const points = gridPoints();
  const grid: GridResult[] = points.map((point) => ({ point, scores: new Map() }));
  if (options.tuneSeeds > 0) {
    const tuning = batches(Array.from({ length: options.tuneSeeds }, (_, i) => TUNING_SEED_BASE + i));
    for (const [index, seeds] of tuning.entries()) {
      const batch = generateBatch(seeds);
      const engine = await DuckDbQueryEngine.open({ threads: 2 });
      try {
        await loadFocus(engine, batch.rows);
        await stageForGrid(engine, config, batch.range);
        for (const result of grid) {
          const alarms = await gridAlarms(engine, result.point, batch.range);
          scoreSystem(batch.labelled, alarms, RECENT_DAYS.ours, result.scores);
        }
      } finally {
        await engine.close();
      }
      log(`tuning batch ${index + 1}/${tuning.length}: ${seeds.length} seeds, ${grid.length} grid points`);
    }
  }

  stats.seconds = Math.round((Date.now() - started) / 1000);
  const report = renderReport({
    options,
    stats,
    scores,
    grid: options.tuneSeeds > 0 ? grid : [],
    config,
    cacheComparison,
  });
  const budget = await runBudgetBench(options.budget, config, log);
  const hourly = await runHourlyBench(options.hourly, config, log);
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(
    options.out,
    `${report}\n${renderBudgetSection(budget, config)}\n\n${renderHourlySection(hourly)}\n`,
  );
  formatLikeTheRepository(options.out, log);
  log(`wrote ${options.out} (${stats.seconds} s)`);
}

/** The hourly part alone: its section of the report at `--out` replaced (appended when it has none). */
async function hourlyOnly(
  options: Options,
  config: SentinelConfig,
  log: (message: string) => void,
): Promise<void> {
  const hourly = await runHourlyBench(options.hourly, config, log);
  const held = existsSync(options.out) ? readFileSync(options.out, 'utf8') : '';
  const at = held.indexOf(HOURLY_SECTION_TITLE);
  const before = (at >= 0 ? held.slice(0, at) : held).trimEnd();
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${before ? `${before}\n\n` : ''}${renderHourlySection(hourly)}\n`);
  formatLikeTheRepository(options.out, log);
  log(`wrote the hourly section of ${options.out} (${hourly.seconds} s)`);
}

/** The budget part alone: its section (between the main report and the hourly one) replaced. */
async function budgetOnly(
  options: Options,
  config: SentinelConfig,
  log: (message: string) => void,
): Promise<void> {
  const budget = await runBudgetBench(options.budget, config, log);
  const held = existsSync(options.out) ? readFileSync(options.out, 'utf8') : '';
  const at = held.indexOf(BUDGET_SECTION_TITLE);
  const hourlyAt = held.indexOf(HOURLY_SECTION_TITLE);
  const before = (at >= 0 ? held.slice(0, at) : hourlyAt >= 0 ? held.slice(0, hourlyAt) : held).trimEnd();
  const after = hourlyAt >= 0 ? `\n\n${held.slice(hourlyAt).trimEnd()}` : '';
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(
    options.out,
    `${before ? `${before}\n\n` : ''}${renderBudgetSection(budget, config)}${after}\n`,
  );
  formatLikeTheRepository(options.out, log);
  log(`wrote the budget section of ${options.out} (${budget.seconds} s)`);
}

/** The repository's formatter aligns markdown tables under bench/; a report written there gets the same. */
function formatLikeTheRepository(file: string, log: (message: string) => void): void {
  const inside = relative(packagePath(), file);
  if (inside.startsWith('..')) return;
  try {
    const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
    execFileSync(process.execPath, [biome, 'format', '--write', '--no-errors-on-unmatched', file], {
      cwd: packagePath(),
      stdio: 'ignore',
    });
  } catch (error) {
    log(`could not format ${inside}: ${(error as Error).message}`);
  }
}

export type { GridPoint, Options, SentinelConfig };

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
