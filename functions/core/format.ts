/** Number and date formatting for messages. Plain functions; render.ts exposes them as helpers. */

const MISSING = 'n/a';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Rounds to `digits` decimals, half away from zero, on the decimal value the number was meant to
 * be: 28447.155 is stored as 28447.154999… and must still show as $28,447.16.
 */
export function roundHalfUp(value: number, digits: number): number {
  const scaled = Number((Math.abs(value) * 10 ** digits).toPrecision(12));
  return (Math.sign(value) * Math.round(scaled)) / 10 ** digits;
}

// Digits grouped by threes, en-US style, by hand: the first Intl.NumberFormat of a process loads ICU's
// number data, about 20 ms of every `detect` (docs/cli.md), for what one regular expression does.
const grouped = (value: number, digits: number): string => {
  const [whole, fraction] = Math.abs(roundHalfUp(value, digits)).toFixed(digits).split('.');
  const thousands = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? thousands : `${thousands}.${fraction}`;
};

/** `$1,234.56`; whole dollars with `digits` 0 (chart labels). */
export function money(value: unknown, digits = 2): string {
  if (!isNumber(value)) return MISSING;
  const sign = roundHalfUp(value, digits) < 0 ? '-' : '';
  return `${sign}$${grouped(value, digits)}`;
}

/** `18.0×` */
export function ratio(value: unknown): string {
  if (!isNumber(value)) return MISSING;
  return `${grouped(value, 1)}×`;
}

/** A fraction as a percent: 0.20265 → `20.3%`. */
export function percent(value: unknown, digits = 1): string {
  if (!isNumber(value)) return MISSING;
  return `${grouped(value * 100, digits)}%`;
}

/** Token counts with three significant digits: `6.47 B`, `101 M`, `25.0 M`, `950 K`. */
export function tokens(value: unknown): string {
  if (!isNumber(value)) return MISSING;
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  const abs = Math.abs(value);
  for (const [size, unit] of units) {
    if (abs >= size * 0.9995) {
      const scaled = value / size;
      const digits = Math.abs(scaled) >= 99.95 ? 0 : Math.abs(scaled) >= 9.995 ? 1 : 2;
      return `${grouped(scaled, digits)} ${unit}`;
    }
  }
  return grouped(value, 0);
}

/** `1,234` */
export function count(value: unknown): string {
  return isNumber(value) ? grouped(value, 0) : MISSING;
}

/** At most `digits` decimals, trailing zeros dropped: 0.2026453 → `0.20265`, 0.9 → `0.9`. */
export function decimal(value: unknown, digits = 5): string {
  return isNumber(value) ? String(roundHalfUp(value, digits)) : MISSING;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function parseDay(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `2026-03-01` → `Sun 1 Mar 2026` (UTC). */
export function date(value: unknown): string {
  const d = parseDay(value);
  if (!d) return MISSING;
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** `2026-02-27` → `27 Feb` (chart axis). */
export function shortDate(value: unknown): string {
  const d = parseDay(value);
  return d ? `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}` : MISSING;
}

/** ISO time → `Thu 5 Mar 2026, 06:00 UTC`. */
export function dateTime(value: unknown): string {
  const d = parseDay(value);
  if (!d) return MISSING;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${date(value)}, ${hh}:${mm} UTC`;
}

/** ISO time → `5 Mar 06:00` (UTC), short enough for a table cell at 400 px. */
export function shortDateTime(value: unknown): string {
  const d = parseDay(value);
  if (!d) return MISSING;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${shortDate(value)} ${hh}:${mm}`;
}

/** `27 Feb – 1 Mar 2026`, or one date when both are the same day. */
export function dateRange(from: unknown, to: unknown): string {
  const a = parseDay(from);
  const b = parseDay(to);
  if (!a || !b) return MISSING;
  if (a.getTime() === b.getTime()) return date(to);
  const sameYear = a.getUTCFullYear() === b.getUTCFullYear();
  const start = `${a.getUTCDate()} ${MONTHS[a.getUTCMonth()]}${sameYear ? '' : ` ${a.getUTCFullYear()}`}`;
  return `${start} – ${b.getUTCDate()} ${MONTHS[b.getUTCMonth()]} ${b.getUTCFullYear()}`;
}

/** Whole days from one ISO date to another, inclusive of both (2026-02-27..2026-03-01 → 3). */
export function daysInclusive(from: string, to: string): number {
  const a = parseDay(from);
  const b = parseDay(to);
  if (!a || !b) return 0;
  return Math.round((b.getTime() - a.getTime()) / 86_400_000) + 1;
}

/** Strips CR/LF (and other control characters) so a value can sit in a mail header. */
export function headerSafe(value: string): string {
  const printable = [...value]
    .map((c) => (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? ' ' : c))
    .join('');
  return printable.replace(/\s{2,}/g, ' ').trim();
}

/** An hour's start → `Fri 18:00` (UTC), for chart axes and short lines. */
export function hourLabel(value: unknown): string {
  const d = parseDay(value);
  if (!d) return MISSING;
  return `${WEEKDAYS[d.getUTCDay()]} ${String(d.getUTCHours()).padStart(2, '0')}:00`;
}

/** An hour's start → `Fri 27 Nov, 18:00 UTC`. */
export function hourDateTime(value: unknown): string {
  const d = parseDay(value);
  if (!d) return MISSING;
  return `${WEEKDAYS[d.getUTCDay()]} ${shortDate(value)}, ${String(d.getUTCHours()).padStart(2, '0')}:00 UTC`;
}
