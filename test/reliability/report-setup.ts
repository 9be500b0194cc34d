/**
 * vitest globalSetup of `npm run test:reliability`: gives the test files a folder for their trials
 * (report.ts) and, when the run ends, writes RELIABILITY.md at the repository's root from them: per
 * area, what was tried, how many times, what held and the figures, and the suite's own duration.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { Trial } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const AREAS: Record<string, string> = {
  faults: 'Faults at every external call',
  crashes: 'Killed between every pair of steps',
  timeouts: 'Killed at the Lambda timeout',
  load: 'Load',
  doors: 'Bad input at the doors',
};

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-reliability-'));
  project.provide('reliabilityReportDir', dir);
  const started = Date.now();
  // The wall time depends on what else the machine runs: the load at the start is part of the figure.
  const machine = `${cpus().length} CPUs (load average ${loadavg()[0]!.toFixed(1)} at the start)`;
  return () => {
    const trials: (Trial & { at: number })[] = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Trial & { at: number }),
      )
      .sort((a, b) => a.at - b.at);
    rmSync(dir, { recursive: true, force: true });
    if (trials.length === 0) return;
    writeFileSync(join(ROOT, 'RELIABILITY.md'), render(trials, Date.now() - started, machine));
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function render(trials: Trial[], ms: number, machine: string): string {
  const held = trials.filter((t) => t.ok).length;
  const lines = [
    '# Reliability',
    '',
    'Written by `npm run test:reliability` (test/reliability/, docs/decisions/018-the-artifact-as-deployed.md):',
    'faults at every external call, crashes between steps, load and bad input, over moto (S3, SES,',
    'EventBridge, Secrets Manager) behind a fault proxy, and the Athena API shim over the test Trino with',
    'the packaged detect function in the Lambda runtime. Each row is a test that passed its checks',
    '("held") or did not; the figures are from this run. The function killed at its Lambda timeout is',
    "`npm test`'s artifact test (test/integration/lambda-artifact.test.ts); CloudWatch is read by the",
    'hourly watch only, which the package does not deploy: its throttling is its adapter test',
    '(test/integration/metrics-cloudwatch.test.ts).',
    '',
    `**${held} of ${trials.length} trials held; ${trials.reduce((n, t) => n + t.times, 0)} attempts in all; the suite took ${(ms / 1000).toFixed(0)} s on ${machine}.**`,
    '',
  ];
  const areas = [...new Set(trials.map((t) => t.area))].sort(
    (a, b) => Object.keys(AREAS).indexOf(a) - Object.keys(AREAS).indexOf(b),
  );
  for (const area of areas) {
    lines.push(`## ${AREAS[area] ?? area}`, '', '| tried | times | held | figures |', '|---|---:|---|---|');
    for (const t of trials.filter((x) => x.area === area)) {
      const figures = Object.entries(t.figures ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join('; ');
      lines.push(
        `| ${cell(t.tried)} | ${t.times} | ${t.ok ? '' : '**NOT HELD** '}${cell(t.held)} | ${cell(figures)} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
