/** Flags shared by `detect` and `run` (docs/cli.md), and the as-of days and detectors they select. */
import type { SentinelConfig } from '../core/config.js';
import { dayRange } from '../core/dates.js';
import { BILL_DETECTORS, isDetectorId } from '../core/detect/registry.js';
import { BadInputError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { defaultAsOfDay } from '../core/runs.js';
import type { DetectorId, IsoDate } from '../core/types.js';
import { type FlagValues, parseDateFlag } from './common.js';

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

export { DETECT_FLAG_HELP, DETECT_USAGE, DETECT_USAGE_LINE } from './usage.js';

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
