/** Whole-process timing: wall-clock time of a child process, and its peak RSS through a wrapper. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ProcessRun {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
}

export function runProcess(args: string[], options: { cwd: string }): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ seconds, code: code ?? -1, stdout, stderr });
    });
  });
}

/** Fails loudly when a benchmarked process did not do its job (a fast failure is not a result). */
export function expectSuccess(run: ProcessRun, what: string, allowed: number[] = [0]): ProcessRun {
  if (!allowed.includes(run.code)) {
    throw new Error(`${what} exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  }
  return run;
}

/**
 * One successful run of a Node entry point under a probe (bench/probes/): the value the probe reports on
 * stderr at exit as `KEY=value`. `node` is how the probe loads (a script to run first, or `-r` and a preload).
 */
export async function probed(node: string[], args: string[], key: string, cwd: string): Promise<string> {
  const run = expectSuccess(await runProcess([...node, ...args], { cwd }), `${key} ${args.join(' ')}`);
  const match = new RegExp(`${key}=(.+)`).exec(run.stderr);
  if (!match) throw new Error(`no ${key} reported for ${args.join(' ')}`);
  return match[1]!;
}

/** Peak RSS (bytes) of a Node entry point, run in-process by bench/probes/max-rss.mjs. */
export async function peakRss(probesDir: string, args: string[], cwd: string): Promise<number> {
  return Number(await probed([join(probesDir, 'max-rss.mjs')], args, 'BENCH_MAX_RSS_KB', cwd)) * 1024;
}

/** CPU time (user and system, every thread) of one run of a Node entry point, in seconds. */
export async function processCpu(probesDir: string, args: string[], cwd: string): Promise<number> {
  return Number(await probed([join(probesDir, 'max-rss.mjs')], args, 'BENCH_CPU_US', cwd)) / 1e6;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Runs every variant once per round, in the same order each round (interleaved, so drift in the
 * machine's state spreads over all variants), and returns each variant's times.
 */
export async function interleaved(
  rounds: number,
  variants: { name: string; run: () => Promise<number> }[],
  onRound?: (round: number) => void,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) times.get(variant.name)!.push(await variant.run());
    onRound?.(round);
  }
  return times;
}
