/**
 * `sentinel` dispatcher. Commands are imported only when called, so a `detect` run does not pay
 * for templating or mail code at start-up (start-up time is part of every run); `--version` and
 * `<command> --help` load no command at all (their texts live in ./usage.ts).
 */
import { readFileSync } from 'node:fs';
import { COMMAND_USAGE } from './usage.js';

/** The version in package.json (beside `dist/` when built, or beside `functions/`). */
export function packageVersion(): string {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ai-spend-sentinel' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return 'unknown';
}

type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  // Each command registers here as: name: { summary, load: () => import('./name.js') }
  generate: { summary: 'write a synthetic FOCUS export', load: () => import('./generate.js') },
  demo: { summary: 'synthetic organization end to end, locally', load: () => import('./demo.js') },
  detect: { summary: 'run the detectors and write findings', load: () => import('./detect.js') },
  run: { summary: 'detect, open cases, email owners and FinOps', load: () => import('./run.js') },
  'follow-up': { summary: 'deadlines, reminders, escalations, resend', load: () => import('./follow-up.js') },
  watch: { summary: "the hourly watch over Bedrock's usage metrics", load: () => import('./watch.js') },
  ack: { summary: "record an owner's answer on a case", load: () => import('./ack.js') },
  cases: { summary: 'list the cases, as their emails tell them', load: () => import('./cases.js') },
  show: { summary: 'one case: state, owner, episode, answers, history', load: () => import('./show.js') },
  'kill-switch': {
    summary: 'stopped accounts, release one, the policy document',
    load: () => import('./kill-switch.js'),
  },
  render: { summary: 'render an email from JSON or a built-in example', load: () => import('./render.js') },
  sql: { summary: "print a detector's statements (Athena or DuckDB)", load: () => import('./sql.js') },
};

export const USAGE = `usage: sentinel <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`)
  .join('\n')}

Every command accepts --config FILE and --now ISO. Run 'sentinel <command> --help' for its options;
'sentinel --version' prints the version.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    const { consoleLogger } = await import('../adapters/logger/console.js');
    consoleLogger(process.env).error(`unknown command '${name}'`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const usage = COMMAND_USAGE[name];
  if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const module = await command.load();
  return module.run(rest);
}
