/**
 * `sentinel watch`: the hourly watch over Bedrock's usage metrics (docs/watch.md "The command"): every
 * whole hour since the last watch (at most 48), priced with the bill's prices, then cases and owner
 * emails like a run. `--metrics FILE` reads a metrics file (JSON lines or CSV); without it, `watch.source`
 * and `watch.metrics` of the configuration say where the metrics are.
 */
import { join } from 'node:path';
import { openWatchPorts } from '../adapters/open-ports.js';
import { readAllCases } from '../core/cases/store.js';
import { watch } from '../core/commands/watch.js';
import { findingLine } from '../core/detect/findings.js';
import { caseSummaryLines, deliveryLines } from './case-summary.js';
import { clockFrom, loadConfig, parseFlags, progressOnTerminal, runCommand } from './common.js';
import { writePreview } from './run.js';
import { describeFinding } from './summary.js';
import { WATCH_USAGE } from './usage.js';

const OPTIONS = {
  metrics: { type: 'string' },
  out: { type: 'string' },
  owners: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('watch', argv, OPTIONS, WATCH_USAGE);
    if (flags.help) {
      process.stdout.write(`${WATCH_USAGE}\n`);
      return 0;
    }
    const base = loadConfig(flags, { out: flags.out, owners: flags.owners });
    // --metrics names a file: the file source, whatever the configuration says.
    const config =
      typeof flags.metrics === 'string'
        ? { ...base, watch: { ...base.watch, source: 'file' as const, metrics: flags.metrics } }
        : base;
    const dryRun = flags['dry-run'] === true;
    const ports = await openWatchPorts(config, { clock: clockFrom(flags), log, ...progressOnTerminal() });
    const result = await watch(ports, config, { dryRun });

    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (flags.json) {
      for (const finding of result.findings) out(findingLine(finding));
      return 0;
    }
    const w = result.run.watch;
    const hours = w?.evaluated_hours ?? [];
    out(
      `${dryRun ? '[dry run] ' : ''}watch over ${w?.source ?? ports.metrics.describe()}: ${hours.length} new hour(s)` +
        `${hours.length > 0 ? ` (${hours[0]} … ${hours.at(-1)})` : ''}, ${result.findings.length} finding(s) (estimates); ${result.cases.length} case(s) touched`,
    );
    for (const f of result.findings)
      out(`  ${f.kind.padEnd(15)} ${f.account_id} ${f.account_name}: ${describeFinding(f)}`);
    const records = new Map(
      (result.delivery?.cases ?? (await readAllCases(ports.store))).map((c) => [c.case_key, c]),
    );
    for (const line of caseSummaryLines(result.cases, records)) out(`  ${line}`);
    if (dryRun) {
      const preview = await writePreview(config.out, result.run.run_id, result.wouldSend);
      if (preview)
        out(
          `  the ${result.wouldSend.length} message(s) it would send, rendered: ${join(preview, 'index.html')}`,
        );
      for (const m of result.wouldSend) out(`  would send ${m.kind} to ${m.to.join(', ')}: ${m.subject}`);
    } else if (result.delivery) {
      for (const line of deliveryLines(result.delivery, join(config.out, 'outbox'))) out(`  ${line}`);
    }
    return 0;
  });
}
