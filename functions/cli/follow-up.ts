/**
 * `sentinel follow-up`: the hourly step (docs/cases.md): deadlines (reminder, escalation), suppression
 * expiry, and resending what is due or failed. Never a digest.
 */
import { join } from 'node:path';
import { openNotifyPorts } from '../adapters/open-ports.js';
import { readAllCases, requireCaseStore } from '../core/cases/store.js';
import { followUp } from '../core/commands/follow-up.js';
import { caseSummaryLines, deliveryLines } from './case-summary.js';
import { clockFrom, loadConfig, parseFlags, runCommand } from './common.js';
import { FOLLOW_UP_USAGE as USAGE } from './usage.js';

const OPTIONS = { out: { type: 'string' }, owners: { type: 'string' } } as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('follow-up', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const config = loadConfig(flags, { out: flags.out, owners: flags.owners });
    const ports = await openNotifyPorts(config, { clock: clockFrom(flags), log });
    await requireCaseStore(ports.store, config.out);
    const result = await followUp(ports, config);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`follow-up: ${result.cases.length} case(s) moved, ${result.delivery.messages.length} message(s)`);
    const records = new Map(
      (result.delivery.cases ?? (await readAllCases(ports.store))).map((c) => [c.case_key, c]),
    );
    for (const line of caseSummaryLines(result.cases, records)) out(`  ${line}`);
    for (const line of deliveryLines(result.delivery, join(config.out, 'outbox'))) out(`  ${line}`);
    return 0;
  });
}
