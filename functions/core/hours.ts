/** Whole UTC hours, the watch's time grain (docs/watch.md): `YYYY-MM-DDTHH:00:00Z`. */
import type { IsoDate } from './types.js';

export const HOUR_MS = 3_600_000;

/** An hour's start as the watch writes it: `2026-12-04T18:00:00Z`. */
export type IsoHour = string;

const ISO_HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/;

// A watch converts the same few hundred hours millions of times (docs/watch.md "Speed"): both directions
// are remembered, up to a bound (a long-lived process starts afresh past it).
const CACHE_LIMIT = 20_000;
const isoOfMs = new Map<number, IsoHour>();
const msOfIso = new Map<string, number>();

export function hourIso(ms: number): IsoHour {
  let iso = isoOfMs.get(ms);
  if (iso === undefined) {
    iso = `${new Date(ms).toISOString().slice(0, 13)}:00:00Z`;
    if (isoOfMs.size >= CACHE_LIMIT) isoOfMs.clear();
    isoOfMs.set(ms, iso);
  }
  return iso;
}

/** Milliseconds of an hour in the canonical form; NaN for anything else. */
export function hourMs(hour: IsoHour): number {
  let ms = msOfIso.get(hour);
  if (ms === undefined) {
    ms = ISO_HOUR.test(hour) ? Date.parse(hour) : Number.NaN;
    if (msOfIso.size >= CACHE_LIMIT) msOfIso.clear();
    msOfIso.set(hour, ms);
  }
  return ms;
}

/**
 * Reads an hour written by another tool: an ISO time in UTC (`Z` or `+00:00`) that falls on a whole hour,
 * with or without seconds and milliseconds. Returns the canonical form, or null.
 */
export function parseHour(text: string): IsoHour | null {
  const match =
    /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|\+00:00|\+0000)$/.exec(
      text.trim(),
    );
  if (!match) return null;
  const [, day, hh, mm, ss = '00', fraction = '0'] = match;
  if (mm !== '00' || ss !== '00' || Number(fraction) !== 0) return null;
  const ms = Date.parse(`${day}T${hh}:00:00Z`);
  if (!Number.isFinite(ms)) return null;
  const canonical = hourIso(ms);
  // Date.parse accepts 2026-02-30 and rolls it over: a date that is not one is refused.
  return canonical.slice(0, 13) === `${day}T${hh}` ? canonical : null;
}

export const addHours = (hour: IsoHour, n: number): IsoHour => hourIso(hourMs(hour) + n * HOUR_MS);

/** The UTC date of an hour. */
export const dayOfHour = (hour: IsoHour): IsoDate => hour.slice(0, 10);

/** Hours from `from` (inclusive) to `to` (exclusive). */
export function hourRange(from: IsoHour, to: IsoHour): IsoHour[] {
  const out: IsoHour[] = [];
  for (let ms = hourMs(from); ms < hourMs(to); ms += HOUR_MS) out.push(hourIso(ms));
  return out;
}

/** The hour that contains a moment (its start). */
export const hourOf = (at: Date): IsoHour => hourIso(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
