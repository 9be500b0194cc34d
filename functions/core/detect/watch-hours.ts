/**
 * What the watch reads each hour (docs/watch.md "Regions and cost"), in two stages, and the store of the
 * hours it fetched, so the 14-day baseline is not read again every hour:
 * - every whole day of the look-back is kept in the store, every metric of it
 *   (`watch/hours/<YYYY-MM-DD>.jsonl`), fetched once — the first watch fetches the whole look-back in
 *   one read, and each later day is fetched once the hour after it ended (the daily full read);
 * - the hours of the day still running are read every hour: input and output tokens for every account
 *   (stage 1), then the other three metrics only for the accounts the screen flags (stage 2).
 * A day read with hours that could not be read is not kept: the next watch reads it again.
 * Pure over its ports (the store, the metrics source).
 */
import { addDays, dayRange } from '../dates.js';
import { dayOfHour, HOUR_MS, hourIso, hourMs, type IsoHour } from '../hours.js';
import {
  type BlobStore,
  HOURLY_METRICS,
  type HourlyMetric,
  type HourlyUsage,
  type MetricsSource,
} from '../ports.js';
import type { IsoDate } from '../types.js';
import type { Pricing } from './prices.js';
import { prepareWatch, screenWatch, type WatchRuleParams } from './watch-rule.js';

export const WATCH_HOURS_PREFIX = 'watch/hours/';
export const watchHoursKey = (day: IsoDate): string => `${WATCH_HOURS_PREFIX}${day}.jsonl`;

/** The first stage's metrics: what every text model publishes and every invocation of a loop bills. */
export const FIRST_STAGE_METRICS: readonly HourlyMetric[] = ['input_tokens', 'output_tokens'];
const SECOND_STAGE_METRICS: readonly HourlyMetric[] = HOURLY_METRICS.filter(
  (m) => !FIRST_STAGE_METRICS.includes(m),
);

/** A stored row: `[account_id, model_id, hour of day, input, output, cache read, cache write, invocations]`. */
type StoredRow = [string, string, number, ...(number | null)[]];

function encodeDay(day: IsoDate, rows: readonly HourlyUsage[]): string {
  const header = JSON.stringify({ day, columns: ['account_id', 'model_id', 'hour', ...HOURLY_METRICS] });
  const lines = rows.map((r) =>
    JSON.stringify([
      r.account_id,
      r.model_id,
      new Date(hourMs(r.hour)).getUTCHours(),
      ...HOURLY_METRICS.map((m) => r[m]),
    ]),
  );
  return `${[header, ...lines].join('\n')}\n`;
}

function decodeDay(day: IsoDate, body: string): HourlyUsage[] {
  const rows: HourlyUsage[] = [];
  const midnight = Date.parse(`${day}T00:00:00Z`);
  for (const line of body.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [account_id, model_id, hour, ...values] = JSON.parse(line) as StoredRow;
    const row: HourlyUsage = {
      account_id,
      model_id,
      hour: hourIso(midnight + hour * HOUR_MS),
      input_tokens: null,
      output_tokens: null,
      cache_read_tokens: null,
      cache_write_tokens: null,
      invocations: null,
    };
    HOURLY_METRICS.forEach((m, i) => {
      row[m] = values[i] ?? null;
    });
    rows.push(row);
  }
  return rows;
}

const isUnknown = (r: HourlyUsage) => HOURLY_METRICS.every((m) => r[m] === null);

/** What a watch read, and what the read cost. */
export interface WatchRead {
  rows: HourlyUsage[];
  /** Days read whole from the store, and days read whole from the source (and stored, unless unknown hours). */
  storedDaysRead: number;
  daysFetched: IsoDate[];
  /** Accounts whose other metrics the second stage read, for the hours of the running day. */
  flaggedAccounts: string[];
  warnings: string[];
}

/**
 * The rows the rule needs from `from` to `to` (whole hours): whole days from the store, missing whole
 * days from the source (every metric, stored), the running day's hours in two stages.
 */
export async function readWatchHours(
  ports: { store: BlobStore; metrics: MetricsSource; signal?: AbortSignal },
  input: {
    from: IsoHour;
    to: IsoHour;
    /** Judge from here: the screen looks at these hours of the running day. */
    judgeFrom: IsoHour;
    pricing: Pricing;
    params: WatchRuleParams;
  },
): Promise<WatchRead> {
  const { store, metrics, signal } = ports;
  const toMs = hourMs(input.to);
  const days = dayRange(dayOfHour(input.from), dayOfHour(hourIso(toMs - HOUR_MS)));
  // A day is kept whole once an hour has passed after its end (late datapoints of its last hour).
  const complete = days.filter((d) => Date.parse(`${addDays(d, 1)}T00:00:00Z`) < toMs);
  const read: WatchRead = { rows: [], storedDaysRead: 0, daysFetched: [], flaggedAccounts: [], warnings: [] };
  const missing: IsoDate[] = [];
  for (const day of complete) {
    const blob = await store.get(watchHoursKey(day));
    if (blob) {
      read.rows.push(...decodeDay(day, blob.body));
      read.storedDaysRead += 1;
    } else {
      missing.push(day);
    }
  }
  // The daily full read: every metric of the days not kept yet, in one read (one request per metric
  // covers any span).
  if (missing.length > 0) {
    const fetched = await metrics.hourly({
      from: `${missing[0]}T00:00:00Z`,
      to: `${addDays(missing[missing.length - 1]!, 1)}T00:00:00Z`,
      ...(signal ? { signal } : {}),
    });
    const wanted = new Set(missing);
    const byDay = new Map<IsoDate, HourlyUsage[]>(missing.map((d) => [d, []]));
    for (const row of fetched) if (wanted.has(dayOfHour(row.hour))) byDay.get(dayOfHour(row.hour))!.push(row);
    for (const [day, rows] of byDay) {
      read.rows.push(...rows);
      read.daysFetched.push(day);
      if (rows.some(isUnknown)) {
        read.warnings.push(
          `the metrics of ${day} hold hours that could not be read: the next watch reads the day again`,
        );
        continue;
      }
      await store.put(watchHoursKey(day), encodeDay(day, rows));
    }
  }
  // The running day (and any hour after the last whole day): two stages.
  const lastComplete = complete[complete.length - 1];
  const runningFrom = lastComplete ? `${addDays(lastComplete, 1)}T00:00:00Z` : `${days[0]}T00:00:00Z`;
  if (hourMs(runningFrom) < toMs) {
    const light = await metrics.hourly({
      from: runningFrom,
      to: input.to,
      metrics: FIRST_STAGE_METRICS,
      ...(signal ? { signal } : {}),
    });
    const flagged = screenedAccounts([...read.rows, ...light], input, runningFrom);
    read.flaggedAccounts = flagged;
    let heavy: HourlyUsage[] = [];
    if (flagged.length > 0) {
      heavy = await metrics.hourly({
        from: runningFrom,
        to: input.to,
        accounts: flagged,
        metrics: SECOND_STAGE_METRICS,
        ...(signal ? { signal } : {}),
      });
    }
    read.rows.push(...merged(light, heavy));
  }
  return read;
}

/** The accounts the first stage's screen flags in the running day's hours being judged. */
function screenedAccounts(
  rows: HourlyUsage[],
  input: { judgeFrom: IsoHour; to: IsoHour; pricing: Pricing; params: WatchRuleParams },
  runningFrom: IsoHour,
): string[] {
  const from = hourMs(input.judgeFrom) > hourMs(runningFrom) ? input.judgeFrom : runningFrom;
  if (rows.length === 0 || hourMs(from) >= hourMs(input.to)) return [];
  // The screen judges what the first stage gives for every hour, history included (as the benchmark did).
  const light = rows.map((r) => ({
    ...r,
    cache_read_tokens: null,
    cache_write_tokens: null,
    invocations: null,
  }));
  const prepared = prepareWatch(
    { rows: light, pricing: input.pricing, evaluate: { from, to: input.to } },
    Math.max(15, input.params.baseline_days + 1),
  );
  return [...screenWatch(prepared, input.params).keys()].sort();
}

/** The first stage's rows with the second stage's metrics of the same account, model id and hour. */
function merged(light: HourlyUsage[], heavy: HourlyUsage[]): HourlyUsage[] {
  const out = new Map<string, HourlyUsage>();
  const key = (r: HourlyUsage) => `${r.account_id}|${r.model_id}|${r.hour}`;
  for (const r of light) out.set(key(r), { ...r });
  for (const r of heavy) {
    const held = out.get(key(r));
    if (!held) {
      out.set(key(r), { ...r });
      continue;
    }
    if (isUnknown(r)) {
      for (const m of HOURLY_METRICS) held[m] = null;
      continue;
    }
    for (const m of SECOND_STAGE_METRICS) held[m] = r[m];
  }
  return [...out.values()];
}
