/**
 * `sentinel kill-switch status [--json] | release --account ID | policy --account ID` (docs/cli.md,
 * docs/kill-switch.md): which accounts the kill switch holds stopped, FinOps lifting one, and the document
 * it attaches, for review before `enforce` is turned on.
 */
import { openKillSwitchPorts } from '../adapters/open-ports.js';
import { killSwitchPolicy, killSwitchStatus, releaseKillSwitch } from '../core/commands/kill-switch.js';
import { BadInputError } from '../core/errors.js';
import { policyContent } from '../core/kill-switch/policy.js';
import { clockFrom, loadConfig, parseCommandLine, runCommand } from './common.js';
import { KILL_SWITCH_USAGE as USAGE } from './usage.js';

const OPTIONS = {
  account: { type: 'string' },
  json: { type: 'boolean' },
  by: { type: 'string' },
  out: { type: 'string' },
} as const;
const SUBCOMMANDS = ['status', 'release', 'policy'] as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const { flags, positionals } = parseCommandLine('kill-switch', argv, OPTIONS, USAGE, true);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [sub, ...extra] = positionals;
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub) || extra.length > 0) {
      throw new BadInputError(
        `sentinel kill-switch: ${sub ? `'${[sub, ...extra].join(' ')}' is not a subcommand` : 'a subcommand is missing'}`,
        { hint: `use one of: ${SUBCOMMANDS.join(', ')}\n${USAGE}` },
      );
    }
    const config = loadConfig(flags, { out: flags.out });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const account = typeof flags.account === 'string' ? flags.account : undefined;
    if (sub !== 'status' && account === undefined) {
      throw new BadInputError(`sentinel kill-switch ${sub}: --account is required`, { hint: USAGE });
    }

    if (sub === 'policy') {
      const { name, document } = killSwitchPolicy(config, account!);
      log.info(
        `${name}: ${policyContent(document).length} characters as sent (kill_switch.break_glass_role: ${config.kill_switch.break_glass_role ?? 'none'})`,
      );
      out(JSON.stringify(document, null, 2));
      return 0;
    }

    const ports = await openKillSwitchPorts(config, { clock: clockFrom(flags), log });
    if (sub === 'status') {
      const rows = await killSwitchStatus(ports);
      if (flags.json) {
        for (const r of rows) {
          out(
            JSON.stringify({
              account_id: r.account_id,
              policy_id: r.policy_id,
              case_key: r.case_key,
              engaged_at: r.engaged_at,
              policy: r.policy,
            }),
          );
        }
        return 0;
      }
      out(
        `kill switch ${config.kill_switch.mode} (${ports.killSwitch.describe()}): ${rows.length} account(s) stopped`,
      );
      for (const r of rows) {
        const c = r.case
          ? `case ${r.case_key} (${r.case.account_name}, ${r.case.kind}, ${r.case.state})`
          : `case ${r.case_key} (not in the case store: the next run releases it)`;
        out(
          `  ${r.account_id}  since ${r.engaged_at.slice(0, 16).replace('T', ' ')} UTC  ${r.policy_id}  ${c}`,
        );
      }
      return 0;
    }

    const result = await releaseKillSwitch(ports, config, {
      accountId: account!,
      cause: 'finops-cli',
      by: typeof flags.by === 'string' ? flags.by : null,
    });
    if (result.status === 'not-engaged') {
      out(`account ${account} is not stopped: nothing to release`);
      return 0;
    }
    if (result.status === 'pending') {
      out(`account ${account}: the release is recorded on case ${result.caseKey}; ${result.reason}`);
      return 1;
    }
    out(
      `account ${account}: stop lifted${result.caseKey ? ` (case ${result.caseKey} records Kill Switch Released)` : ''}; Bedrock inference is allowed again once the change propagates`,
    );
    return 0;
  });
}
