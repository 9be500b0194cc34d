/**
 * `sentinel ack --case KEY --answer stopped|legitimate|investigating [--note TEXT]`: records an
 * owner's answer, as the signed link's POST does (docs/cases.md). A refused answer exits 2 and says why.
 */

import { openAckPorts } from '../adapters/open-ports.js';
import { requireCaseStore } from '../core/cases/store.js';
import { acknowledge } from '../core/commands/acknowledge.js';
import { BadInputError } from '../core/errors.js';
import { dateTime } from '../core/format.js';
import { ANSWERS } from '../core/notify/answer-links.js';
import type { Answer } from '../core/notify/message-model.js';
import { clockFrom, loadConfig, parseFlags, runCommand } from './common.js';
import { ACK_USAGE as USAGE } from './usage.js';

const OPTIONS = {
  case: { type: 'string' },
  answer: { type: 'string' },
  note: { type: 'string' },
  epoch: { type: 'string' },
  by: { type: 'string' },
  out: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('ack', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const caseKey = flags.case;
    if (typeof caseKey !== 'string' || caseKey === '') {
      throw new BadInputError('sentinel ack: --case is required', { hint: USAGE });
    }
    const answer = flags.answer;
    if (answer === undefined) {
      throw new BadInputError('sentinel ack: the --answer flag is missing', {
        hint: `pass --answer ${ANSWERS.join('|')}`,
      });
    }
    if (typeof answer !== 'string' || !ANSWERS.includes(answer as Answer)) {
      throw new BadInputError(`--answer '${String(answer ?? '')}' is not an answer`, {
        hint: `use one of: ${ANSWERS.join(', ')}`,
      });
    }
    let epoch: number | null = null;
    if (flags.epoch !== undefined) {
      if (typeof flags.epoch !== 'string' || !/^[1-9]\d*$/.test(flags.epoch)) {
        throw new BadInputError(`--epoch '${String(flags.epoch)}' is not a positive whole number`);
      }
      epoch = Number(flags.epoch);
    }
    const config = loadConfig(flags, { out: flags.out });
    const ports = await openAckPorts(config, { clock: clockFrom(flags), log });
    await requireCaseStore(ports.store, config.out);
    const result = await acknowledge(ports, config, {
      caseKey,
      answer: answer as Answer,
      note: typeof flags.note === 'string' ? flags.note : null,
      by: typeof flags.by === 'string' ? flags.by : null,
      epoch,
    });
    if (result.status === 'refused') {
      throw new BadInputError(`case ${caseKey}: ${result.message}`, {
        hint: result.case
          ? `the case is ${result.case.state} (epoch ${result.case.epoch})`
          : `check --case and --out`,
      });
    }
    const c = result.case;
    const parts = [`case ${caseKey} (${c.account_id} ${c.account_name}): ${answer} recorded; now ${c.state}`];
    if (c.deadline) parts.push(`next deadline ${dateTime(c.deadline)}`);
    if (c.state === 'resolved' && c.resolved_on) parts.push(`resolved on ${c.resolved_on}`);
    if (c.state === 'suppressed') {
      parts.push(
        c.suppressed_kind === 'cache-absent'
          ? 'suppressed with no end (a model not cached on purpose stays so)'
          : `suppressed until ${dateTime(new Date(Date.parse(c.suppressed_at ?? '') + config.cases.suppress_days * 86_400_000).toISOString())}`,
        `a finding of another kind, or one at ${config.cases.resuppress_growth}× the peak, re-opens it`,
      );
    }
    process.stdout.write(`${parts.join('; ')}\n`);
    return 0;
  });
}
