/**
 * Where a whole `detect` process spends its wall time, statement by statement: the process runs as built,
 * with bench/probes/statements.cjs preloaded to stamp each statement at DuckDB's binding.
 */
import { join } from 'node:path';
import { median, probed } from './processes.js';

export interface Stamps {
  /** ms since the process started: DuckDB's binding loaded, each statement in and out, exit. */
  loaded: number | null;
  statements: { text: string; start: number; end: number }[];
  exit: number;
}

/** A run's phases in ms; null where the run has no such phase (the start-up probe sends one statement). */
export interface RunPhases {
  /** node, the code and DuckDB's binding loaded. */
  loaded: number;
  /** From the binding loaded to the first statement that reads the export (the probe: its last statement's end). */
  open: number;
  staging: number | null;
  coverage: number | null;
  /** The unit check, the detectors and the prices, sent at once: the first one in to the last one out. */
  together: number | null;
  /** The longest statement among them and its ms. */
  longest: { name: string; ms: number } | null;
  context: number | null;
  /** From the last statement out to exit: findings, prices and run record written, engine closed. */
  tail: number | null;
  total: number;
}

/** What a statement is, from its first words (each SQL file starts with a comment naming its query). */
function kindOf(text: string): string {
  if (text.startsWith('CREATE OR REPLACE TABLE run_staging')) return 'staging';
  if (text.startsWith('-- Coverage')) return 'coverage';
  if (text.startsWith('-- Context')) return 'context';
  if (text.startsWith('-- Unit prices')) return 'prices';
  if (text.startsWith('SELECT unknown_unit')) return 'unit check';
  const detector = /^-- Detector ([a-z-]+)/.exec(text);
  return detector ? detector[1]! : 'other';
}

export function phasesOf(stamps: Stamps): RunPhases {
  const loaded = stamps.loaded ?? 0;
  const all = stamps.statements.map((s) => ({ ...s, kind: kindOf(s.text) }));
  const one = (kind: string) => all.find((s) => s.kind === kind);
  const staging = one('staging');
  const coverage = one('coverage');
  const context = one('context');
  const together = all.filter((s) => !['staging', 'coverage', 'context', 'other'].includes(s.kind));
  const firstRead = Math.min(...[staging, coverage].filter((s) => s !== undefined).map((s) => s.start));
  const togetherEnd = together.length > 0 ? Math.max(...together.map((s) => s.end)) : null;
  const last = Math.max(...all.map((s) => s.end));
  const longest = together.reduce<(typeof together)[number] | null>(
    (a, s) => (a === null || s.end - s.start > a.end - a.start ? s : a),
    null,
  );
  return {
    loaded,
    open: (Number.isFinite(firstRead) ? firstRead : last) - loaded,
    staging: staging ? staging.end - staging.start : null,
    coverage: coverage ? coverage.end - coverage.start : null,
    together: togetherEnd === null ? null : togetherEnd - Math.min(...together.map((s) => s.start)),
    longest: longest ? { name: longest.kind, ms: longest.end - longest.start } : null,
    context: context && togetherEnd !== null ? context.end - togetherEnd : null,
    tail: staging ? stamps.exit - last : null,
    total: stamps.exit,
  };
}

/** One whole process of a Node entry point with its statements stamped. */
export async function stampedRun(probesDir: string, args: string[], cwd: string): Promise<RunPhases> {
  const stamps = await probed(['-r', join(probesDir, 'statements.cjs')], args, 'BENCH_STATEMENTS', cwd);
  return phasesOf(JSON.parse(stamps) as Stamps);
}

/** The median of each phase over runs (the longest statement: the most frequent one, its median ms). */
export function medianPhases(runs: RunPhases[]): RunPhases {
  const of = (pick: (r: RunPhases) => number | null) => {
    const values = runs.map(pick).filter((v): v is number => v !== null);
    return values.length > 0 ? median(values) : null;
  };
  const counts = new Map<string, number>();
  for (const r of runs) if (r.longest) counts.set(r.longest.name, (counts.get(r.longest.name) ?? 0) + 1);
  const name = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    loaded: of((r) => r.loaded)!,
    open: of((r) => r.open)!,
    staging: of((r) => r.staging),
    coverage: of((r) => r.coverage),
    together: of((r) => r.together),
    longest: name ? { name, ms: of((r) => (r.longest?.name === name ? r.longest.ms : null))! } : null,
    context: of((r) => r.context),
    tail: of((r) => r.tail),
    total: of((r) => r.total)!,
  };
}
