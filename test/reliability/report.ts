/**
 * What each reliability test tried and what held, for RELIABILITY.md (report-setup.ts writes it when
 * the run ends). A test records a trial only after its checks passed or with `held: false` and the
 * failure, so the report never claims more than the assertions showed.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityReportDir: string;
  }
}

export interface Trial {
  /** The report's section: `faults`, `crashes`, `load`, `doors`, `artifact`. */
  area: string;
  /** What was done to the system. */
  tried: string;
  /** How many times (runs, invocations, requests). */
  times: number;
  /** What held, in words, with the figures. */
  held: string;
  ok: boolean;
  /** Extra figures (durations, call counts) shown in the table. */
  figures?: Record<string, number | string>;
}

export function recordTrial(trial: Trial): void {
  const dir = inject('reliabilityReportDir');
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify({ ...trial, at: Date.now() })}\n`);
}
