/** Shared wiring of CLI commands: flag parsing, config loading, error → exit code. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { consoleLogger } from '../adapters/logger/console.js';
import { parseConfig, type SentinelConfig } from '../core/config.js';
import { BadInputError, ConfigError, describeError, exitCodeFor } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type Clock, fixedClock, systemClock } from '../core/ports.js';

type Options = NonNullable<ParseArgsConfig['options']>;

// The YAML parser loads only when a config file is given: start-up time is part of every run.
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export const COMMON_OPTIONS = {
  config: { type: 'string' },
  now: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export { COMMON_FLAG_HELP, helpText } from './usage.js';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export function parseFlags(command: string, argv: string[], options: Options, usage: string): FlagValues {
  return parseCommandLine(command, argv, options, usage).flags;
}

/** Flags and the arguments that are not flags (`sentinel show CASE`). */
export function parseCommandLine(
  command: string,
  argv: string[],
  options: Options,
  usage: string,
  allowPositionals = false,
): { flags: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals,
    });
    return { flags: values as FlagValues, positionals };
  } catch (error) {
    throw new BadInputError(`sentinel ${command}: ${(error as Error).message}`, {
      cause: error,
      hint: usage,
    });
  }
}

/** Reads --config (YAML or JSON), then lets flags override the file. */
export function loadConfig(flags: FlagValues, overrides: Record<string, unknown> = {}): SentinelConfig {
  let fromFile: Record<string, unknown> = {};
  const path = flags.config;
  if (typeof path === 'string') {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`--config ${path}: cannot read the file (${(error as Error).message})`, {
        cause: error,
        hint: 'pass the path of an existing YAML or JSON file',
      });
    }
    try {
      fromFile = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ConfigError(`--config ${path}: not valid YAML/JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      throw new ConfigError(`--config ${path}: the top level must be a mapping of keys`);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  return parseConfig(merged, typeof path === 'string' ? path : 'configuration');
}

export function clockFrom(flags: FlagValues): Clock {
  const now = flags.now;
  if (typeof now !== 'string') return systemClock;
  const parsed = new Date(now);
  if (Number.isNaN(parsed.getTime())) {
    throw new BadInputError(`--now '${now}' is not a date-time`, {
      hint: 'use ISO 8601, for example --now 2026-03-02T08:00:00Z',
    });
  }
  return fixedClock(parsed);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDateFlag(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !DATE_RE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new BadInputError(`--${flag} '${String(value)}' is not a date`, { hint: `use YYYY-MM-DD` });
  }
  if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new BadInputError(`--${flag} '${value}' is not a calendar date`, { hint: 'use YYYY-MM-DD' });
  }
  return value;
}

/** Runs a command body and maps errors to exit codes, printing one clear message. */
export async function runCommand(body: (log: Logger) => Promise<number>): Promise<number> {
  const log = consoleLogger(process.env);
  try {
    return await body(log);
  } catch (error) {
    log.error(describeError(error));
    if (process.env.SENTINEL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
}

/** Progress lines on stderr, only when a person is watching. */
export function progressOnTerminal(): { progress?: (step: string) => void } {
  if (!process.stderr.isTTY) return {};
  return { progress: (step) => process.stderr.write(`  … ${step}\n`) };
}
