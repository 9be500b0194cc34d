/**
 * `sentinel generate --out DIR [--accounts N] [--days N] [--end YYYY-MM-DD] [--seed N] [--scale ROWS]`:
 * writes a synthetic organization's FOCUS export with labelled incidents and an owners mapping, and
 * Bedrock's hourly usage metrics with the same tokens (metrics/hourly.jsonl, for the watch).
 */

import { BadInputError } from '../core/errors.js';
import { utcDate } from '../core/ports.js';
import { addDays, msOf } from '../synthetic/calendar.js';
import { MIN_ACCOUNTS, MIN_DAYS } from '../synthetic/organization.js';
import { clockFrom, parseDateFlag, parseFlags, runCommand } from './common.js';
import { GENERATE_USAGE as USAGE } from './usage.js';

const OPTIONS = {
  out: { type: 'string' },
  accounts: { type: 'string' },
  days: { type: 'string' },
  end: { type: 'string' },
  seed: { type: 'string' },
  scale: { type: 'string' },
} as const;

const DEFAULT_ACCOUNTS = 40;
const DEFAULT_DAYS = 120;
const DEFAULT_SEED = 1;
const SCALE_ACCOUNTS = 500;
const SCALE_MONTHS = 13;

function integerFlag(flag: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).replaceAll('_', '');
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new BadInputError(`--${flag} '${String(value)}' is not a whole number from ${min} to ${max}`, {
      hint: USAGE,
    });
  }
  return Number(text);
}

/** Days from the first day of the month 12 months before `end`'s, through `end`. */
function thirteenMonthsOfDays(end: string): number {
  const endMs = msOf(end);
  const date = new Date(endMs);
  const first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - (SCALE_MONTHS - 1), 1);
  return Math.round((endMs - first) / 86_400_000) + 1;
}

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('generate', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const out = flags.out;
    if (typeof out !== 'string' || out === '') {
      throw new BadInputError('sentinel generate: --out is required', { hint: USAGE });
    }
    const clock = clockFrom(flags);
    const end = parseDateFlag('end', flags.end) ?? addDays(utcDate(clock.now()), -2);
    const scaleRows = integerFlag('scale', flags.scale, 10_000, 200_000_000);
    const accounts =
      integerFlag('accounts', flags.accounts, MIN_ACCOUNTS, 100_000) ??
      (scaleRows === undefined ? DEFAULT_ACCOUNTS : SCALE_ACCOUNTS);
    const days =
      integerFlag('days', flags.days, MIN_DAYS, 3_660) ??
      (scaleRows === undefined ? DEFAULT_DAYS : thirteenMonthsOfDays(end));
    const seed = integerFlag('seed', flags.seed, 0, 4_294_967_295) ?? DEFAULT_SEED;

    const started = Date.now();
    // Loaded here so `sentinel --help` and other commands never pay for DuckDB.
    const { writeSyntheticOrganization } = await import('../synthetic/write-organization.js');
    let result: Awaited<ReturnType<typeof writeSyntheticOrganization>>;
    try {
      result = await writeSyntheticOrganization(out, {
        seed,
        accounts,
        days,
        end,
        ...(scaleRows === undefined ? {} : { scaleRows }),
        onPeriod: (p) => {
          if (process.stderr.isTTY) log.info(`  wrote BILLING_PERIOD=${p.billingPeriod}: ${p.rows} rows`);
        },
      });
    } catch (error) {
      if (error instanceof RangeError) {
        throw new BadInputError(`sentinel generate: ${error.message}`, { cause: error, hint: USAGE });
      }
      throw error;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const mapped = new Set(result.owners.map((o) => o.account_id));
    log.info(
      `generated ${result.summary.rows} rows for ${accounts} accounts, ${result.start} .. ${result.end} ` +
        `(${result.summary.periods.length} billing periods, seed ${seed}) in ${seconds}s`,
    );
    log.info(`  export:   ${result.exportDir}`);
    log.info(`  labels:   ${result.labelsFile} (${result.labels.length} incidents)`);
    for (const label of result.labels) {
      log.info(`    ${label.family.padEnd(17)} ${label.account_id}  ${label.kind} from ${label.start}`);
    }
    log.info(
      result.metricsFile
        ? `  metrics:  ${result.metricsFile} (${result.metricsRows} account × model id × hour rows, the export's tokens by the hour)`
        : '  metrics:  not written in --scale mode (its filler accounts exist in the export only)',
    );
    log.info(
      `  owners:   ${result.ownersFile} (${result.owners.length} mapped, ` +
        `${result.accounts.filter((a) => !mapped.has(a.account_id)).length} left unmapped on purpose)`,
    );
    return 0;
  });
}
