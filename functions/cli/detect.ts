/**
 * `sentinel detect`: run the detectors over the export and write findings (docs/cli.md). A manual
 * detect never opens cases, sends email or moves the scheduled catch-up.
 */
import { openDetectPorts } from '../adapters/open-ports.js';
import { detect } from '../core/commands/detect.js';
import { recurringLine } from '../core/detect/contract.js';
import { findingLine } from '../core/detect/findings.js';
import { StaleDataError } from '../core/errors.js';
import { clockFrom, loadConfig, parseFlags, progressOnTerminal, runCommand } from './common.js';
import {
  configOverrides,
  DETECT_OPTIONS,
  DETECT_USAGE,
  defaultDays,
  explicitAsOfDays,
  selectedDetectors,
} from './detect-options.js';
import { staleMessage } from './stale.js';
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
    if (process.stderr.isTTY) log.info(`reading ${config.focus} for ${asOfDays.length} as-of day(s)…`);
    const ports = await openDetectPorts(config, { clock, log, ...progressOnTerminal() });
    const { run: record, detection: result } = await detect(ports, config, { asOfDays, detectors });
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
      for (const r of result.recurringHeldBack) {
        process.stdout.write(`  held back as recurring: ${recurringLine(r)}\n`);
      }
      process.stdout.write(`findings under ${ports.store.describe('findings')}\n`);
    }
    if (record.stale_days.length > 0) {
      throw new StaleDataError(staleMessage(record.stale_days, record.data_through));
    }
    return 0;
  });
}
