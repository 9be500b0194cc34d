/** UTC calendar-day arithmetic on `YYYY-MM-DD` strings (no time zones involved). */
import type { IsoDate } from './types.js';

const DAY_MS = 86_400_000;

export const toEpochDay = (d: IsoDate): number => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
export const fromEpochDay = (n: number): IsoDate => new Date(n * DAY_MS).toISOString().slice(0, 10);
export const addDays = (d: IsoDate, n: number): IsoDate => fromEpochDay(toEpochDay(d) + n);
export const daysBetween = (from: IsoDate, to: IsoDate): number => toEpochDay(to) - toEpochDay(from);

/** Every day from `from` to `to`, both included. */
export function dayRange(from: IsoDate, to: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let n = toEpochDay(from); n <= toEpochDay(to); n++) days.push(fromEpochDay(n));
  return days;
}

/** `YYYY-MM` billing periods a day range touches. */
export function periodsTouched(from: IsoDate, to: IsoDate): string[] {
  const periods: string[] = [];
  let [y, m] = from.slice(0, 7).split('-').map(Number) as [number, number];
  const last = to.slice(0, 7);
  for (;;) {
    const p = `${y}-${String(m).padStart(2, '0')}`;
    periods.push(p);
    if (p >= last) break;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return periods;
}

export const utcDay = (d: Date): IsoDate => d.toISOString().slice(0, 10);

/** The later / earlier of two `YYYY-MM-DD` days (they order as strings). */
export const laterDay = (a: IsoDate, b: IsoDate): IsoDate => (a > b ? a : b);
export const earlierDay = (a: IsoDate, b: IsoDate): IsoDate => (a < b ? a : b);

/** The first day of a day's month. */
export const monthStart = (d: IsoDate): IsoDate => `${d.slice(0, 7)}-01`;

/** The last day of a day's month. */
export function monthEnd(d: IsoDate): IsoDate {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The previous month of a day: its first and last day. */
export function previousMonth(d: IsoDate): { start: IsoDate; end: IsoDate } {
  const end = addDays(monthStart(d), -1);
  return { start: monthStart(end), end };
}
