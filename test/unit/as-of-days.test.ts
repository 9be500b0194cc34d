/** Choosing as-of days and data windows (docs/detection.md "Input" and "Runaway inference"): default as-of, catch-up, coverage, periods. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { detect } from '../../functions/core/commands/detect.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { parseConfig } from '../../functions/core/config.js';
import { addDays, dayRange, periodsTouched } from '../../functions/core/dates.js';
import type { DetectFn } from '../../functions/core/detect/contract.js';
import { checkAsOfDaysInExport } from '../../functions/core/detect/coverage.js';
import { dataWindow, windowsOf } from '../../functions/core/detect/registry.js';
import { asOfWindows, coveredBaselineDays } from '../../functions/core/detect/windows.js';
import { AsOfDayOutOfRangeError, exitCodeFor } from '../../functions/core/errors.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock } from '../../functions/core/ports.js';
import {
  catchUpDays,
  defaultAsOfDay,
  lastEvaluatedByDetector,
  type RunRecord,
  runDays,
  writeRunRecord,
} from '../../functions/core/runs.js';
import { MemoryBlobStore, RecordingBus, testPorts } from '../fixtures/case-ports.js';

const config = parseConfig({});

function record(overrides: Partial<RunRecord>): RunRecord {
  return {
    run_id: `r-${Math.random().toString(36).slice(2)}`,
    command: 'run',
    dry_run: false,
    started_at: '2026-03-02T06:00:00Z',
    finished_at: '2026-03-02T06:01:00Z',
    duration_ms: 60_000,
    engine: 'duckdb',
    detectors: ['runaway-inference', 'cache-miss'],
    as_of_days: [],
    evaluated_days: [],
    evaluated_by_detector: {},
    stale_days: [],
    skipped_days: [],
    catch_up_skipped_days: [],
    watch: null,
    data_through: null,
    first_covered_day: null,
    bytes_scanned: 0,
    query_ids: [],
    statements: 0,
    rows: 0,
    counts: {},
    recurring_candidates: [],
    unroutable_cases: [],
    warnings: [],
    outcome: 'succeeded',
    error: null,
    ...overrides,
  };
}

describe('the default as-of day', () => {
  it('is today − 1 − export_lag_days, today being the UTC date of the clock', () => {
    expect(defaultAsOfDay(fixedClock('2026-03-10T23:59:00Z'), 1)).toBe('2026-03-08');
    expect(defaultAsOfDay(fixedClock('2026-03-10T00:00:00-05:00'), 1)).toBe('2026-03-08');
    expect(defaultAsOfDay(fixedClock('2026-03-01T06:00:00Z'), 0)).toBe('2026-02-28');
  });
});

describe('catch-up', () => {
  it('evaluates only the default as-of day on the very first run', () => {
    expect(catchUpDays({ defaultAsOf: '2026-03-08', lastEvaluated: null, maxCatchUpDays: 14 })).toEqual({
      days: ['2026-03-08'],
      skipped: [],
    });
  });

  it('evaluates every day after the last evaluated one (a weekly run sees a mid-week spike)', () => {
    expect(
      catchUpDays({ defaultAsOf: '2026-03-08', lastEvaluated: '2026-03-01', maxCatchUpDays: 14 }).days,
    ).toEqual(dayRange('2026-03-02', '2026-03-08'));
  });

  it('caps at max_catch_up_days and names the older days it skips', () => {
    const choice = catchUpDays({
      defaultAsOf: '2026-03-20',
      lastEvaluated: '2026-03-01',
      maxCatchUpDays: 14,
    });
    expect(choice.days).toEqual(dayRange('2026-03-07', '2026-03-20'));
    expect(choice.skipped).toEqual(dayRange('2026-03-02', '2026-03-06'));
  });

  it('has nothing to do when the default as-of day was already evaluated', () => {
    expect(
      catchUpDays({ defaultAsOf: '2026-03-08', lastEvaluated: '2026-03-08', maxCatchUpDays: 14 }).days,
    ).toEqual([]);
  });

  const BOTH = ['runaway-inference', 'cache-miss'] as const;
  const lastOf = async (store: LocalDirBlobStore) =>
    Object.fromEntries(await lastEvaluatedByDetector(store, BOTH));

  it('starts after the last successful run or scheduled detection; dry runs, manual detects and failures do not count', async () => {
    const store = new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-runs-')));
    expect(await lastOf(store)).toEqual({ 'runaway-inference': null, 'cache-miss': null });
    await writeRunRecord(store, record({ evaluated_days: ['2026-03-01'] }));
    await writeRunRecord(store, record({ command: 'detect', evaluated_days: ['2026-03-09'] }));
    await writeRunRecord(store, record({ dry_run: true, evaluated_days: ['2026-03-08'] }));
    await writeRunRecord(store, record({ outcome: 'failed', evaluated_days: ['2026-03-07'] }));
    expect(await lastOf(store)).toEqual({ 'runaway-inference': '2026-03-01', 'cache-miss': '2026-03-01' });
    // A run that ended with stale data counts for the days it evaluated.
    await writeRunRecord(
      store,
      record({ command: 'scheduled-detect', outcome: 'stale', evaluated_days: ['2026-03-05'] }),
    );
    expect(await lastOf(store)).toEqual({ 'runaway-inference': '2026-03-05', 'cache-miss': '2026-03-05' });
  });

  it('is kept per detector: a run of one detector moves only its own catch-up', async () => {
    const store = new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-runs-')));
    await writeRunRecord(store, record({ evaluated_days: ['2026-03-01'] }));
    // `run --detector cache-miss` the next week (a record of this version, and one of an older one).
    await writeRunRecord(
      store,
      record({
        detectors: ['cache-miss'],
        evaluated_days: ['2026-03-08'],
        evaluated_by_detector: { 'cache-miss': ['2026-03-08'] },
      }),
    );
    const last = await lastEvaluatedByDetector(store, BOTH);
    expect(Object.fromEntries(last)).toEqual({
      'runaway-inference': '2026-03-01',
      'cache-miss': '2026-03-08',
    });
    const older = record({ detectors: ['cache-miss'], evaluated_days: ['2026-03-09'] });
    delete (older as Partial<RunRecord>).evaluated_by_detector;
    await writeRunRecord(store, older);
    expect((await lastEvaluatedByDetector(store, BOTH)).get('runaway-inference')).toBe('2026-03-01');
    // A plain run the same day still evaluates runaway-inference over the days it has not seen.
    const days = runDays({
      detectors: BOTH,
      explicit: undefined,
      defaultAsOf: '2026-03-09',
      lastEvaluated: await lastEvaluatedByDetector(store, BOTH),
      maxCatchUpDays: 14,
    });
    expect(days.byDetector.get('cache-miss')).toEqual([]);
    expect(days.byDetector.get('runaway-inference')).toEqual(dayRange('2026-03-02', '2026-03-09'));
    expect(days.days).toEqual(dayRange('2026-03-02', '2026-03-09'));
  });

  it("moves a detector's catch-up over the days it skipped for want of baseline (they will not gain any)", async () => {
    const store = new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-runs-')));
    const old = record({
      evaluated_days: ['2026-03-01', '2026-03-02'],
      skipped_days: [{ detector: 'runaway-inference', as_of: '2026-03-02', reason: 'short baseline' }],
    });
    delete (old as Partial<RunRecord>).evaluated_by_detector;
    await writeRunRecord(store, old);
    expect(await lastOf(store)).toEqual({ 'runaway-inference': '2026-03-02', 'cache-miss': '2026-03-02' });
  });
});

describe('data windows and billing periods', () => {
  it('reads D−36 … D for runaway and D−34 … D for cache-miss', () => {
    expect(dataWindow(['runaway-inference'], config, ['2026-03-20']).start).toBe(addDays('2026-03-20', -36));
    expect(dataWindow(['cache-miss'], config, ['2026-03-20']).start).toBe(addDays('2026-03-20', -34));
  });

  it('touches three periods on the 1st–5th after a 31-day month, two later on', () => {
    for (const day of dayRange('2026-04-01', '2026-04-05')) {
      expect(dataWindow(['runaway-inference'], config, [day]).periods).toEqual([
        '2026-02',
        '2026-03',
        '2026-04',
      ]);
    }
    expect(dataWindow(['runaway-inference'], config, ['2026-04-07']).periods).toEqual(['2026-03', '2026-04']);
  });

  it('spans a year boundary', () => {
    expect(periodsTouched('2025-11-28', '2026-01-03')).toEqual(['2025-11', '2025-12', '2026-01']);
    expect(periodsTouched('2026-01-03', '2026-01-03')).toEqual(['2026-01']);
  });

  it('places the guard band between the recent and baseline windows', () => {
    expect(asOfWindows(windowsOf('runaway-inference', config), '2026-03-30')).toEqual({
      as_of: '2026-03-30',
      recent_start: '2026-03-28',
      recent_end: '2026-03-30',
      baseline_start: '2026-03-01',
      baseline_end: '2026-03-23',
    });
    expect(asOfWindows(windowsOf('cache-miss', config), '2026-03-30')).toMatchObject({
      recent_start: '2026-03-24',
      baseline_start: '2026-02-24',
      baseline_end: '2026-03-23',
    });
  });

  it('counts the baseline days the export covers', () => {
    const runaway = windowsOf('runaway-inference', config);
    expect(coveredBaselineDays(runaway, '2026-03-30', '2026-01-01')).toBe(23);
    expect(coveredBaselineDays(runaway, '2026-03-30', '2026-03-10')).toBe(14);
    expect(coveredBaselineDays(runaway, '2026-03-30', '2026-03-25')).toBe(0);
  });
});

describe('bad as-of days are refused before anything is written', () => {
  const detectPorts = (now: string, detectFn: DetectFn) => {
    const store = new MemoryBlobStore();
    return {
      store,
      ports: {
        store,
        events: new RecordingBus(),
        clock: fixedClock(now),
        log: silentLogger(),
        detect: detectFn,
      },
    };
  };
  const never: DetectFn = async () => {
    throw new Error('detection must not start for a day after the clock');
  };

  it('refuses a day after the clock naming --now, with a range that ends today, and writes no run record', async () => {
    const { store, ports } = detectPorts('2026-06-01T08:00:00Z', never);
    const error = await detect(ports, parseConfig({}), {
      asOfDays: ['2026-06-05'],
      detectors: ['runaway-inference'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AsOfDayOutOfRangeError);
    expect(exitCodeFor(error)).toBe(2);
    expect((error as AsOfDayOutOfRangeError).message).toBe(
      'as-of 2026-06-05 is after today (2026-06-01): no export can cover it yet',
    );
    expect((error as AsOfDayOutOfRangeError).hint).toBe(
      'today is 2026-06-01 by the clock; if the export is from another time (a synthetic or copied one), set the clock with --now 2026-06-06T08:00:00Z or later; or pick as-of days up to 2026-06-01',
    );
    expect(store.blobs.size).toBe(0);
  });

  it('writes nothing for a day before the export began, found once its bounds are read', async () => {
    const early: DetectFn = async () => {
      throw new AsOfDayOutOfRangeError('as-of 2025-10-01 is before the export began');
    };
    const { store, ports } = detectPorts('2026-06-01T08:00:00Z', early);
    await expect(
      detect(ports, parseConfig({}), { asOfDays: ['2025-10-01'], detectors: ['runaway-inference'] }),
    ).rejects.toBeInstanceOf(AsOfDayOutOfRangeError);
    expect(store.blobs.size).toBe(0);
    const t = testPorts({ now: '2026-06-01T08:00:00Z' });
    await expect(
      runPipeline({ ...t.ports, detect: early }, t.config, { asOfDays: ['2025-10-01'] }),
    ).rejects.toBeInstanceOf(AsOfDayOutOfRangeError);
    await expect(
      runPipeline({ ...t.ports, detect: never }, t.config, { asOfDays: ['2026-06-02'] }),
    ).rejects.toMatchObject({ hint: expect.stringContaining('--now 2026-06-03T08:00:00Z') });
    expect(t.store.blobs.size).toBe(0);
  });

  it("offers, for a day after today, a range that ends today even when the export's newest charge is later", () => {
    const error = (() => {
      try {
        checkAsOfDaysInExport(['2026-06-05'], '2026-06-01', {
          first_charge_day: '2026-01-20',
          last_charge_day: '2026-06-07',
        });
      } catch (e) {
        return e as AsOfDayOutOfRangeError;
      }
      return null;
    })();
    expect(error?.hint).toMatch(
      /--now 2026-06-06T08:00:00Z or later; or pick as-of days from 2026-01-20 to 2026-06-01$/,
    );
  });
});
