/**
 * Run records (`runs/<run_id>.json`, docs/storage.md) and the choice of as-of days (docs/detection.md "Runaway inference"): the default
 * as-of day, and the catch-up since the last successful detection run.
 */
import { randomBytes } from 'node:crypto';
import { addDays, daysBetween, utcDay } from './dates.js';
import type { RecurringCandidate, SkippedDay } from './detect/contract.js';
import type { Logger } from './log.js';
import type { BlobStore, BusEvent, Clock, EngineName, EventBus, QueryStats } from './ports.js';
import type { DetectorId, IsoDate, RunCommand, RunOutcome } from './types.js';

export interface RunRecord {
  run_id: string;
  command: RunCommand;
  dry_run: boolean;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  /** The engine of a detection (null: none was configured, the configuration itself was refused). */
  engine: EngineName | null;
  detectors: string[];
  as_of_days: IsoDate[];
  evaluated_days: IsoDate[];
  /**
   * Each detector's days this run covered — evaluated, or skipped for want of baseline (they will
   * not gain any): what moves that detector's catch-up (docs/detection.md "As-of days").
   */
  evaluated_by_detector: Partial<Record<DetectorId, IsoDate[]>>;
  stale_days: IsoDate[];
  skipped_days: SkippedDay[];
  catch_up_skipped_days: IsoDate[];
  data_through: IsoDate | null;
  first_covered_day: IsoDate | null;
  bytes_scanned: number;
  query_ids: string[];
  statements: number;
  rows: number;
  counts: Record<string, number>;
  /** Runaway candidates held back as recurring monthly patterns (`counts.recurring_candidates` of them). */
  recurring_candidates: RecurringCandidate[];
  unroutable_cases: string[];
  /** What an hourly watch read and judged (docs/watch.md "The command"); null for every other command. */
  watch: WatchRunFields | null;
  warnings: string[];
  outcome: RunOutcome;
  error: string | null;
}

/**
 * A watch's part of its run record: the hours it evaluated (the watch's catch-up starts after the newest
 * of the last successful watch), what it read, and what reading cost.
 */
export interface WatchRunFields {
  /** Where the metrics came from (`describe()` of the source: a file, CloudWatch and its regions). */
  source: string;
  /** The whole hours evaluated for the first time by this watch (at most 48), oldest first. */
  evaluated_hours: string[];
  /** Hours since the last watch older than the 48 a watch evaluates, left out. */
  skipped_hours: number;
  /** Hours judged in all: the new ones and the earlier hours of their days (each day's findings are rewritten whole). */
  judged_hours: number;
  accounts: number;
  /** Account-hours of the judged hours that could not be read (unknown, never zero). */
  unknown_hours: number;
  /** Model ids with tokens no price covers (left out of the estimates). */
  unpriced_model_ids: string[];
  /** The price table used: when and by which run it was written. */
  prices_computed_at: string | null;
  prices_run_id: string | null;
  /** Days of full metrics read from the store, and days read from the source in full and stored. */
  stored_days_read: number;
  days_fetched: string[];
  /** Accounts the first stage flagged, whose other metrics were read. */
  screen_flagged_accounts: number;
  /** The source's calls and metrics requested (CloudWatch bills $0.01 per 1,000 metrics requested). */
  requests: number;
  metrics_requested: number;
}

/** `<UTC stamp>-<command>-<random>`: sortable by time, and the command is readable from the key. */
export function newRunId(clock: Clock, command: RunCommand): string {
  const stamp = clock
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${command}-${randomBytes(3).toString('hex')}`;
}

/** A fresh record for a command starting now; each command fills in what it did. */
export function baseRecord(input: {
  command: RunCommand;
  runId: string;
  started: Date;
  engine: EngineName | null;
  dryRun: boolean;
}): RunRecord {
  return {
    run_id: input.runId,
    command: input.command,
    dry_run: input.dryRun,
    started_at: input.started.toISOString(),
    finished_at: input.started.toISOString(),
    duration_ms: 0,
    engine: input.engine,
    detectors: [],
    as_of_days: [],
    evaluated_days: [],
    evaluated_by_detector: {},
    stale_days: [],
    skipped_days: [],
    catch_up_skipped_days: [],
    data_through: null,
    first_covered_day: null,
    bytes_scanned: 0,
    query_ids: [],
    statements: 0,
    rows: 0,
    counts: {},
    recurring_candidates: [],
    unroutable_cases: [],
    watch: null,
    warnings: [],
    outcome: 'succeeded',
    error: null,
  };
}

/**
 * A function whose configuration was refused before anything ran: its `Run Failed` carries a run
 * record like every other (one shape per detail-type), naming the command and the error.
 */
export function refusedConfigRecord(command: RunCommand, error: string, clock: Clock): RunRecord {
  const started = clock.now();
  return finishRecord(
    {
      ...baseRecord({ command, runId: newRunId(clock, command), started, engine: null, dryRun: false }),
      outcome: 'failed',
      error,
    },
    clock,
    [],
  );
}

/** The engine's counters as the run record lists them. */
export const queryFields = (stats: QueryStats | undefined) => ({
  bytes_scanned: stats?.bytesScanned ?? 0,
  query_ids: stats?.queryIds ?? [],
  statements: stats?.statements ?? 0,
  rows: stats?.rows ?? 0,
});

/** Stamps the end time and the run's warnings. */
export function finishRecord(record: RunRecord, clock: Clock, warnings: readonly string[]): RunRecord {
  const finished = clock.now();
  return {
    ...record,
    finished_at: finished.toISOString(),
    duration_ms: Math.max(0, finished.getTime() - Date.parse(record.started_at)),
    warnings: [...warnings],
  };
}

/**
 * The run events of docs/events.md, one shape each (detail = the run record): `Run Failed`, or
 * `Detection Run Completed` (detection runs; `Watch Run Completed` for a watch) and `Data Stale` when
 * days were stale.
 */
export function runEvents(record: RunRecord, options: { completed: boolean }): BusEvent[] {
  const time = record.finished_at;
  if (record.outcome === 'failed') {
    return [{ id: `${record.run_id}-failed`, detailType: 'Run Failed', time, detail: record }];
  }
  const list: BusEvent[] = [];
  if (options.completed) {
    list.push({
      id: `${record.run_id}-completed`,
      detailType: record.command === 'watch' ? 'Watch Run Completed' : 'Detection Run Completed',
      time,
      detail: record,
    });
  }
  if (record.stale_days.length > 0) {
    list.push({ id: `${record.run_id}-stale`, detailType: 'Data Stale', time, detail: record });
  }
  return list;
}

export async function publishRunEvents(
  events: EventBus,
  record: RunRecord,
  options: { completed: boolean },
): Promise<void> {
  const list = runEvents(record, options);
  if (list.length > 0) await events.publish(list);
}

/**
 * A failed run's record and its `Run Failed` event. Neither may hide the failure being reported: a
 * record or event that cannot be written is logged with its cause, and the original error is thrown
 * by the caller.
 */
export async function recordFailure(
  ports: { store: BlobStore; events: EventBus; log: Logger },
  record: RunRecord,
  options: { completed: boolean },
): Promise<void> {
  await writeRunRecord(ports.store, record).catch((error: unknown) =>
    ports.log.error(
      `could not write the failed run's record ${runKey(record.run_id)}`,
      { run_id: record.run_id },
      error,
    ),
  );
  await publishRunEvents(ports.events, record, options).catch((error: unknown) =>
    ports.log.error('could not publish Run Failed', { run_id: record.run_id }, error),
  );
}

export const runKey = (runId: string): string => `runs/${runId}.json`;

export async function writeRunRecord(store: BlobStore, record: RunRecord): Promise<void> {
  await store.put(runKey(record.run_id), `${JSON.stringify(record)}\n`);
}

/**
 * Runs that can never move catch-up, known from their key alone: an hourly follow-up writes a
 * record every hour, and reading each one on every run would grow without bound.
 */
const NEVER_CATCH_UP_KEY = /^runs\/\d{8}T\d{6}Z-(follow-up|detect|watch)-[0-9a-f]+\.json$/;

/**
 * Each detector's newest as-of day evaluated by a successful `run` or scheduled detection that was
 * not a dry run (docs/detection.md "As-of days"). Catch-up is per detector: a run limited to one
 * detector (`--detector`) moves only that one's. A run that ended with stale data counts for the days
 * it evaluated; a manual `detect` never moves catch-up. Records written before the per-detector field
 * count their evaluated days for the detectors they list.
 */
export async function lastEvaluatedByDetector(
  store: BlobStore,
  detectors: readonly DetectorId[],
): Promise<Map<DetectorId, IsoDate | null>> {
  const newest = new Map<DetectorId, IsoDate | null>(detectors.map((d) => [d, null]));
  const keys = (await store.list('runs/')).filter((key) => !NEVER_CATCH_UP_KEY.test(key));
  for (const key of keys) {
    const blob = await store.get(key);
    if (!blob) continue;
    const record = JSON.parse(blob.body) as RunRecord;
    if (record.dry_run) continue;
    if (record.command !== 'run' && record.command !== 'scheduled-detect') continue;
    if (record.outcome !== 'succeeded' && record.outcome !== 'stale') continue;
    for (const detector of detectors) {
      for (const day of evaluatedFor(record, detector)) {
        const current = newest.get(detector) ?? null;
        if (current === null || day > current) newest.set(detector, day);
      }
    }
  }
  return newest;
}

function evaluatedFor(record: RunRecord, detector: DetectorId): IsoDate[] {
  const own = record.evaluated_by_detector?.[detector];
  if (own) return own;
  if (record.evaluated_by_detector && Object.keys(record.evaluated_by_detector).length > 0) return [];
  const listed = record.detectors ?? [];
  if (listed.length > 0 && !listed.includes(detector)) return [];
  return record.evaluated_days;
}

/** today − 1 − export_lag_days, "today" being the UTC date of the clock. */
export function defaultAsOfDay(clock: Clock, exportLagDays: number): IsoDate {
  return addDays(utcDay(clock.now()), -1 - exportLagDays);
}

/**
 * Every as-of day after the last evaluated one through the default as-of, at most
 * `maxCatchUpDays` (older days are skipped and named); the first run evaluates the default only.
 */
export function catchUpDays(input: {
  defaultAsOf: IsoDate;
  lastEvaluated: IsoDate | null;
  maxCatchUpDays: number;
}): { days: IsoDate[]; skipped: IsoDate[] } {
  const { defaultAsOf, lastEvaluated, maxCatchUpDays } = input;
  if (!lastEvaluated) return { days: [defaultAsOf], skipped: [] };
  const gap = daysBetween(lastEvaluated, defaultAsOf);
  if (gap <= 0) return { days: [], skipped: [] };
  const all: IsoDate[] = [];
  for (let i = 1; i <= gap; i++) all.push(addDays(lastEvaluated, i));
  const keep = all.slice(-maxCatchUpDays);
  return { days: keep, skipped: all.slice(0, all.length - keep.length) };
}

/** The as-of days of a run, per detector (catch-up is per detector) and their union. */
export interface RunDays {
  days: IsoDate[];
  byDetector: Map<DetectorId, IsoDate[]>;
  /** Days older than `max_catch_up_days` left out (named in a warning and the run record). */
  skipped: IsoDate[];
}

/** Explicit days for every detector, or each detector's catch-up since its own last evaluated day. */
export function runDays(input: {
  detectors: readonly DetectorId[];
  explicit: IsoDate[] | undefined;
  defaultAsOf: IsoDate;
  lastEvaluated: Map<DetectorId, IsoDate | null>;
  maxCatchUpDays: number;
}): RunDays {
  const byDetector = new Map<DetectorId, IsoDate[]>();
  const skipped = new Set<IsoDate>();
  for (const detector of input.detectors) {
    if (input.explicit) {
      byDetector.set(detector, [...input.explicit].sort());
      continue;
    }
    const choice = catchUpDays({
      defaultAsOf: input.defaultAsOf,
      lastEvaluated: input.lastEvaluated.get(detector) ?? null,
      maxCatchUpDays: input.maxCatchUpDays,
    });
    byDetector.set(detector, choice.days);
    for (const d of choice.skipped) skipped.add(d);
  }
  const days = [...new Set([...byDetector.values()].flat())].sort();
  return { days, byDetector, skipped: [...skipped].sort() };
}
