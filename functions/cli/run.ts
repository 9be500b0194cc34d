/**
 * `sentinel run`: detection, then cases, owner emails and the FinOps digest (docs/cli.md). Same
 * options as `detect`, plus `--owners FILE` and `--dry-run` (render and report; send nothing,
 * change no state).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxMailer } from '../adapters/mailer/outbox.js';
import { openRunPorts } from '../adapters/open-ports.js';
import { episodeFigures } from '../core/cases/episode.js';
import type { CaseRecord } from '../core/cases/model.js';
import { readAllCases } from '../core/cases/store.js';
import { runPipeline } from '../core/commands/run.js';
import { recurringLine } from '../core/detect/contract.js';
import { findingLine } from '../core/detect/findings.js';
import { StaleDataError } from '../core/errors.js';
import type { OutgoingMessage } from '../core/ports.js';
import { caseSummaryLines, deliveryLines, describeEpisode } from './case-summary.js';
import { clockFrom, loadConfig, parseFlags, progressOnTerminal, runCommand } from './common.js';
import { configOverrides, DETECT_OPTIONS, explicitAsOfDays, selectedDetectors } from './detect-options.js';
import { staleMessage } from './stale.js';
import { RUN_USAGE } from './usage.js';

const RUN_OPTIONS = {
  ...DETECT_OPTIONS,
  owners: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('run', argv, RUN_OPTIONS, RUN_USAGE);
    if (flags.help) {
      process.stdout.write(`${RUN_USAGE}\n`);
      return 0;
    }
    const config = loadConfig(flags, configOverrides(flags));
    const clock = clockFrom(flags);
    const detectors = selectedDetectors(flags);
    const asOfDays = explicitAsOfDays(flags);
    const dryRun = flags['dry-run'] === true;
    const ports = await openRunPorts(config, { clock, log, ...progressOnTerminal() });
    const result = await runPipeline(ports, config, { detectors, dryRun, ...(asOfDays ? { asOfDays } : {}) });

    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (flags.json) {
      for (const finding of result.findings) out(findingLine(finding));
    } else {
      const days = result.run.evaluated_days;
      out(
        `${dryRun ? '[dry run] ' : ''}${result.findings.length} finding(s) over ${days.length} as-of day(s)` +
          `${days.length > 0 ? ` (${days[0]} … ${days.at(-1)})` : ''}; ${result.cases.length} case(s) touched`,
      );
      const records = new Map(
        (result.delivery.cases ?? (await readAllCases(ports.store))).map((c) => [c.case_key, c]),
      );
      for (const line of caseSummaryLines(result.cases, records)) out(`  ${line}`);
      if (dryRun) {
        const preview = await writePreview(config.out, result.run.run_id, result.wouldSend);
        if (preview)
          out(
            `  the ${result.wouldSend.length} message(s) it would send, rendered: ${join(preview, 'index.html')}`,
          );
        for (const k of result.wouldKillSwitch) {
          out(
            `  the kill switch would ${k.action} account ${k.account_id}${k.case_key ? ` (case ${k.case_key})` : ''}: nothing attached or detached (dry run)`,
          );
        }
        for (const m of result.wouldSend) {
          const cc = m.cc.length > 0 ? ` cc ${m.cc.join(', ')}` : '';
          out(`  would send ${m.kind} to ${m.to.join(', ')}${cc}: ${m.subject}`);
          for (const key of m.caseKeys) {
            const c = records.get(key);
            if (c) out(`    ${c.account_id} ${c.account_name}: ${caseNumbers(c)}`);
          }
        }
      } else {
        for (const line of deliveryLines(result.delivery, join(config.out, 'outbox'))) out(`  ${line}`);
      }
      for (const r of result.run.recurring_candidates) out(`  held back as recurring: ${recurringLine(r)}`);
      if (result.run.unroutable_cases.length > 0) {
        out(`  ${result.run.unroutable_cases.length} case(s) not in the owners mapping went to FinOps`);
      }
    }
    if (result.run.stale_days.length > 0) {
      throw new StaleDataError(staleMessage(result.run.stale_days, result.run.data_through));
    }
    return 0;
  });
}

/**
 * A dry run's messages, rendered as the outbox would hold them (`.eml`, `.html`, `.txt`, `index.html`),
 * in `<out>/dry-run/<run_id>/` (an s3:// out: the system's temp folder) — a preview, not an outbox:
 * nothing in it is sent, and the case store is untouched (docs/cli.md).
 */
export async function writePreview(
  out: string,
  runId: string,
  messages: OutgoingMessage[],
): Promise<string | null> {
  if (messages.length === 0) return null;
  const dir = /^s3:\/\//i.test(out) ? join(tmpdir(), 'sentinel-dry-run', runId) : join(out, 'dry-run', runId);
  const preview = new OutboxMailer(dir);
  for (const m of messages) await preview.send(m);
  await preview.flush();
  return dir;
}

/** A case's numbers as the dry run prints them: the severity its emails show and the episode in its detector's words. */
function caseNumbers(c: CaseRecord): string {
  return `${episodeFigures(c).severity}, ${describeEpisode(c)} (first ${c.first_as_of}, latest ${c.last_as_of})`;
}
