/** Flags shared by `detect` and `run` (docs/cli.md), and the as-of days and detectors they select. */
import { ENGINES, type SentinelConfig } from '../core/config.js';
import { dayRange } from '../core/dates.js';
import { BILL_DETECTORS, isDetectorId } from '../core/detect/registry.js';
import { BadInputError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { defaultAsOfDay } from '../core/runs.js';
import type { DetectorId, IsoDate } from '../core/types.js';
import { type FlagValues, helpText, parseDateFlag } from './common.js';

export const DETECT_OPTIONS = {
  focus: { type: 'string' },
  'as-of': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  detector: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  engine: { type: 'string' },
} as const;

export const DETECT_USAGE_LINE = `sentinel detect [--focus PATH] [--as-of D | --from D --to D] [--detector NAME]
                [--config FILE] [--out DIR] [--json] [--engine ${ENGINES.join('|')}] [--now ISO]`;

/** The flags `detect` and `run` share, as `--help` describes them. */
export const DETECT_FLAG_HELP: readonly (readonly [string, string])[] = [
  [
    '--focus PATH',
    'the FOCUS export: its folder, data/ folder, one file, a glob or a CSV (else config `focus`)',
  ],
  ['--as-of D', 'evaluate this as-of day (YYYY-MM-DD)'],
  ['--from D --to D', 'evaluate every as-of day of this range (excludes --as-of)'],
  ['--detector NAME', `run one detector (${BILL_DETECTORS.join(' or ')}); default every one`],
  ['--out DIR', 'where findings, runs and cases are written (default ./sentinel-out, or s3://…)'],
  ['--json', 'print one finding per line on stdout and nothing else there'],
  ['--engine NAME', `query engine: ${ENGINES.join(', ')} (default duckdb)`],
];

export const DETECT_USAGE = helpText(DETECT_USAGE_LINE, DETECT_FLAG_HELP, [
  'Without --as-of/--from, evaluates the default as-of day (today − 1 − export_lag_days, UTC).',
  'Exit: 0 ran, 2 bad usage or input, 3 the export does not reach an as-of day, 1 anything else.',
]);

/** Flags that override configuration keys. */
export function configOverrides(flags: FlagValues): Record<string, unknown> {
  return {
    focus: flags.focus,
    out: flags.out,
    engine: flags.engine,
    owners: flags.owners,
  };
}

export function selectedDetectors(flags: FlagValues): DetectorId[] {
  const name = flags.detector;
  if (name === undefined) return [...BILL_DETECTORS];
  if (typeof name !== 'string' || !isDetectorId(name) || !BILL_DETECTORS.includes(name)) {
    throw new BadInputError(`--detector '${String(name)}' is not a detector`, {
      hint: `use one of: ${BILL_DETECTORS.join(', ')}`,
    });
  }
  return [name];
}

export const MAX_EXPLICIT_DAYS = 3660;

/**
 * The as-of days the flags ask for: one `--as-of`, a `--from/--to` range (never capped by
 * max_catch_up_days), or null when neither is given (the caller chooses: default as-of or catch-up).
 */
export function explicitAsOfDays(flags: FlagValues): IsoDate[] | null {
  const asOf = parseDateFlag('as-of', flags['as-of']);
  const from = parseDateFlag('from', flags.from);
  const to = parseDateFlag('to', flags.to);
  if (asOf && (from || to)) {
    throw new BadInputError('--as-of and --from/--to exclude each other', {
      hint: 'pass one day or one range',
    });
  }
  if (asOf) return [asOf];
  if (from || to) {
    if (!from || !to)
      throw new BadInputError('--from and --to go together', {
        hint: 'pass both, e.g. --from 2026-03-01 --to 2026-03-07',
      });
    if (from > to) throw new BadInputError(`--from ${from} is after --to ${to}`, { hint: 'swap them' });
    const days = dayRange(from, to);
    if (days.length > MAX_EXPLICIT_DAYS)
      throw new BadInputError(`--from/--to spans ${days.length} days; at most ${MAX_EXPLICIT_DAYS}`);
    return days;
  }
  return null;
}

export function defaultDays(config: SentinelConfig, clock: Clock): IsoDate[] {
  return [defaultAsOfDay(clock, config.export_lag_days)];
}
