/**
 * `sentinel detect`: run the detectors over the export and write findings (SPEC §11). A manual
 * detect never opens cases, sends email or moves the scheduled catch-up.
 */
import { openEngine } from '../adapters/open-engine.js';
import { openStore } from '../adapters/open-store.js';
import { findingLine } from '../core/detect/findings.js';
import { runDetection } from '../core/detect/run-detection.js';
import { StaleDataError } from '../core/errors.js';
import { newRunId, type RunRecord, writeRunRecord } from '../core/runs.js';
import { clockFrom, loadConfig, parseFlags, progressOnTerminal, runCommand } from './common.js';
import {
  configOverrides,
  DETECT_OPTIONS,
  DETECT_USAGE,
  defaultDays,
  explicitAsOfDays,
  selectedDetectors,
} from './detect-options.js';
import { publishStale, staleMessage } from './stale.js';
import { caseLines } from './summary.js';

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('detect', argv, DETECT_OPTIONS, DETECT_USAGE);
    if (flags.help) {
      process.stdout.write(`${DETECT_USAGE}\n`);
      return 0;
    }
    const config = loadConfig(flags, configOverrides(flags));
    const clock = clockFrom(flags);
    const detectors = selectedDetectors(flags);
    const asOfDays = explicitAsOfDays(flags) ?? defaultDays(config, clock);
    const store = openStore(config);
    const started = clock.now();
    const runId = newRunId(clock, 'detect');
    if (process.stderr.isTTY) log.info(`reading ${config.focus} for ${asOfDays.length} as-of day(s)…`);
    const { engine, focus } = await openEngine(config, log);
    try {
      const result = await runDetection(
        { engine, focus, store, clock, log, ...progressOnTerminal() },
        config,
        {
          asOfDays,
          detectors,
          runId,
          command: 'detect',
          dryRun: false,
          recurringExemptionOff: [],
        },
      );
      const stats = engine.stats();
      const record: RunRecord = {
        run_id: runId,
        command: 'detect',
        dry_run: false,
        started_at: started.toISOString(),
        finished_at: clock.now().toISOString(),
        duration_ms: Math.max(0, clock.now().getTime() - started.getTime()),
        engine: engine.dialect,
        detectors,
        as_of_days: asOfDays,
        evaluated_days: result.evaluatedDays,
        stale_days: result.staleDays,
        skipped_days: result.skippedDays,
        catch_up_skipped_days: [],
        data_through: result.dataThrough,
        first_covered_day: result.firstCoveredDay,
        bytes_scanned: stats.bytesScanned,
        query_ids: stats.queryIds,
        statements: stats.statements,
        rows: stats.rows,
        counts: {
          findings: result.findings.length,
          recurring_candidates: result.recurringCandidates,
          unpriced_candidates: result.unpricedCandidates,
        },
        unroutable_cases: [],
        warnings: result.warnings,
        outcome: result.staleDays.length > 0 ? 'stale' : 'succeeded',
        error: null,
      };
      await writeRunRecord(store, record);

      if (flags.json) {
        for (const finding of result.findings) process.stdout.write(`${findingLine(finding)}\n`);
      } else {
        const lines = caseLines(result.findings);
        process.stdout.write(
          `${result.findings.length} finding(s) in ${lines.length} case(s) over ${result.evaluatedDays.length} as-of day(s)` +
            `${result.evaluatedDays.length > 0 ? ` (${result.evaluatedDays[0]} … ${result.evaluatedDays.at(-1)})` : ''}, data through ${result.dataThrough ?? 'none'}\n`,
        );
        for (const line of lines) process.stdout.write(`  ${line}\n`);
        for (const skipped of result.skippedDays) {
          process.stdout.write(`  skipped ${skipped.detector} ${skipped.as_of}: ${skipped.reason}\n`);
        }
        if (result.recurringCandidates > 0) {
          process.stdout.write(
            `  ${result.recurringCandidates} candidate(s) held back as recurring monthly patterns\n`,
          );
        }
        process.stdout.write(`findings under ${store.describe('findings')}\n`);
      }
      if (result.staleDays.length > 0) {
        await publishStale(config, record);
        throw new StaleDataError(staleMessage(result.staleDays, result.dataThrough));
      }
      return 0;
    } finally {
      await engine.close();
    }
  });
}
