/**
 * `sentinel cases [--state STATE] [--json]`: the cases in the store, one line each, as their emails
 * tell them (docs/cli.md); `--json` one object per line.
 */
import { openStore } from '../adapters/open-ports.js';
import { requireCaseStore } from '../core/cases/store.js';
import { listCases, parseStates } from '../core/commands/cases.js';
import { describeEpisode } from './case-summary.js';
import { loadConfig, parseFlags, runCommand } from './common.js';
import { CASES_USAGE as USAGE } from './usage.js';

const OPTIONS = {
  state: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  out: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const flags = parseFlags('cases', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const config = loadConfig(flags, { out: flags.out });
    const states = parseStates((flags.state as string[] | undefined) ?? []);
    const store = await openStore(config);
    await requireCaseStore(store, config.out);
    const cases = await listCases(store, { finops: config.notify.finops, states });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (flags.json) {
      for (const { listing } of cases) out(JSON.stringify(listing));
      return 0;
    }
    out(`${cases.length} case(s)${states.size > 0 ? ` (${[...states].join(', ')})` : ''} in ${config.out}`);
    for (const { listing: c, record } of cases) {
      const who = `${c.account_id} ${c.account_name}${c.model ? ` · ${c.model}` : ''}`;
      const owner = c.routed ? c.owner_email : `${c.owner_email} (not in the owners mapping)`;
      const next = c.deadline ? `, next step ${c.deadline.slice(0, 16).replace('T', ' ')} UTC` : '';
      out(
        `${c.state.toUpperCase().padEnd(12)} ${c.severity.padEnd(8)} ${c.kind.padEnd(16)} ${c.case_key}  ${who} → ${owner}`,
      );
      out(
        `${' '.repeat(13)}first ${c.first_as_of}, latest ${c.last_as_of}${next}: ${describeEpisode(record)}`,
      );
    }
    return 0;
  });
}
