/** UTC day arithmetic for the synthetic model: every date is a UTC calendar day. */
import type { IsoDate } from '../core/types.js';

export const DAY_MS = 86_400_000;

export interface Day {
  /** 0 = first day of the generated range. */
  index: number;
  iso: IsoDate;
  startMs: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Days until the last generated day (0 on `end`). */
  fromEnd: number;
  dayOfMonth: number;
  daysInMonth: number;
  /** `YYYY-MM`. */
  billingPeriod: string;
}

export function msOf(iso: IsoDate): number {
  return Date.parse(`${iso}T00:00:00Z`);
}

export function isoOf(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export { addDays } from '../core/dates.js';

export function daysInMonthOf(ms: number): number {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

export function nextMonthStartMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The generated range: `days` days ending on `end` (inclusive). */
export function dayRange(end: IsoDate, days: number): Day[] {
  const endMs = msOf(end);
  const out: Day[] = [];
  for (let index = 0; index < days; index++) {
    const startMs = endMs - (days - 1 - index) * DAY_MS;
    const date = new Date(startMs);
    out.push({
      index,
      iso: isoOf(startMs),
      startMs,
      weekday: date.getUTCDay(),
      fromEnd: days - 1 - index,
      dayOfMonth: date.getUTCDate(),
      daysInMonth: daysInMonthOf(startMs),
      billingPeriod: isoOf(startMs).slice(0, 7),
    });
  }
  return out;
}

export function isWeekend(day: Day): boolean {
  return day.weekday === 0 || day.weekday === 6;
}
