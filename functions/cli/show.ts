/**
 * `sentinel show CASE [--json]`: one case as its emails tell it — state, owner, deadline, the episode,
 * answers, messages — and its history from `case-events/` (docs/cli.md); `--json` the case record.
 */
import { openStore } from '../adapters/open-ports.js';
import { requireCaseStore } from '../core/cases/store.js';
import { caseListing, showCase } from '../core/commands/cases.js';
import { BadInputError } from '../core/errors.js';
import { dateTime, money } from '../core/format.js';
import { describeEpisode } from './case-summary.js';
import { loadConfig, parseCommandLine, runCommand } from './common.js';
import { SHOW_USAGE as USAGE } from './usage.js';

const OPTIONS = { json: { type: 'boolean' }, out: { type: 'string' } } as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseCommandLine('show', argv, OPTIONS, USAGE, true);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const key = positionals[0];
    if (!key || positionals.length > 1) {
      throw new BadInputError('sentinel show takes one case key', { hint: USAGE });
    }
    const config = loadConfig(flags, { out: flags.out });
    const store = await openStore(config);
    await requireCaseStore(store, config.out);
    const { record: c, events } = await showCase(store, key);
    const out = (line = '') => process.stdout.write(`${line}\n`);
    if (flags.json) {
      out(JSON.stringify({ case: c, events }));
      return 0;
    }
    const l = caseListing(c, config.notify.finops);
    out(`case ${c.case_key} · ${c.detector} · ${c.kind} · ${l.severity}`);
    out(`account  ${c.account_id} ${l.account_name}${c.model ? ` · model ${c.model}` : ''}`);
    out(
      `owner    ${l.owner_email}${l.routed ? '' : ' (FinOps stands in: the account is not in the owners mapping)'}${c.owner_cc.length > 0 ? `, cc ${c.owner_cc.join(', ')}` : ''}`,
    );
    out(
      `state    ${c.state}${c.epoch > 1 ? ` (re-opened: epoch ${c.epoch})` : ''}${c.deadline ? `, next step at ${dateTime(c.deadline)}` : ''}${c.resolved_on ? `, resolved on ${c.resolved_on}` : ''}`,
    );
    out(`opened   ${dateTime(c.opened_at)}; first firing as-of ${c.first_as_of}, latest ${c.last_as_of}`);
    out(`episode  ${describeEpisode(c)}`);
    out(
      `         excess so far ${money(l.excess_so_far_usd)}${l.projected_30d_excess_usd === null ? '' : `, 30-day projection ${money(l.projected_30d_excess_usd)}`}`,
    );
    if (c.reopened) {
      const a = c.reopened.answer;
      out(
        `reopened from ${c.reopened.from_state} (epoch ${c.reopened.epoch})${a ? ` after "${a.answer}" on ${dateTime(a.at)}${a.note ? `: ${a.note}` : ''}` : ''}${c.reopened.contradicting_days.length > 0 ? `; contradicted by ${c.reopened.contradicting_days.map((d) => `${d.date} ${money(d.cost_usd)}`).join(', ')}` : ''}`,
      );
    }
    if (c.answers.length > 0) {
      out();
      out('answers');
      for (const a of c.answers)
        out(
          `  ${dateTime(a.at)}  ${a.answer}${a.by ? ` by ${a.by}` : ''}${a.note ? ` — ${a.note}` : ''} (epoch ${a.epoch})`,
        );
    }
    if (c.messages.length > 0) {
      out();
      out('messages');
      for (const m of c.messages)
        out(`  ${dateTime(m.at)}  ${m.kind.padEnd(12)} ${m.message_id} (epoch ${m.epoch})`);
    }
    out();
    out('history (case-events/)');
    for (const e of events) {
      out(
        `  ${dateTime(e.time)}  ${(e.from_state ?? '(new)').padEnd(12)} → ${e.to_state.padEnd(12)} ${e.detail_type}${e.answer ? ` (${e.answer}${e.note ? `: ${e.note}` : ''})` : ''}`,
      );
    }
    if (events.length === 0) out('  none written yet');
    return 0;
  });
}
