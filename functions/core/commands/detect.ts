/**
 * `detect` (CLI): the detectors over the export for explicit or default as-of days, findings
 * written, a run record, and `Data Stale` when the export does not reach a day. It never opens
 * cases, sends email or moves the scheduled catch-up.
 */
import type { SentinelConfig } from '../config.js';
import { utcDay } from '../dates.js';
import type { DetectFn, DetectOutcome, EngineOpener } from '../detect/contract.js';
import { refuseDaysAfterToday } from '../detect/coverage.js';
import { detectorInputs } from '../detect/registry.js';
import { runDetection } from '../detect/run-detection.js';
import { AsOfDayOutOfRangeError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BlobStore, Clock, EventBus, OwnerDirectory } from '../ports.js';
import {
  baseRecord,
  finishRecord,
  newRunId,
  publishRunEvents,
  queryFields,
  type RunRecord,
  recordFailure,
  writeRunRecord,
} from '../runs.js';
import type { DetectorId, IsoDate } from '../types.js';
import { runLog } from '../warnings.js';

/** runDetection over an engine the opener provides, closed when done: the `detect` port of `run`. */
export function engineDetection(openEngine: EngineOpener, config: SentinelConfig, clock: Clock): DetectFn {
  return async (request, ports) => {
    const { engine, focus } = await openEngine(ports.log);
    try {
      const result = await runDetection({ engine, focus, clock, ...ports }, config, request);
      return { ...result, stats: engine.stats(), engine: engine.name };
    } finally {
      await engine.close();
    }
  };
}

export interface DetectCommandPorts {
  detect: DetectFn;
  store: BlobStore;
  events: EventBus;
  clock: Clock;
  log: Logger;
  /** The owners file, for the budget's daily caps (absent: no account has one). */
  owners?: OwnerDirectory;
  progress?: (step: string) => void;
}

export interface DetectCommandRequest {
  asOfDays: IsoDate[];
  detectors: DetectorId[];
}

export interface DetectCommandResult {
  run: RunRecord;
  detection: DetectOutcome;
}

export async function detect(
  ports: DetectCommandPorts,
  config: SentinelConfig,
  request: DetectCommandRequest,
): Promise<DetectCommandResult> {
  const { store, clock } = ports;
  const log = runLog(ports.log);
  const started = clock.now();
  const runId = newRunId(clock, 'detect');
  let record: RunRecord = {
    ...baseRecord({ command: 'detect', runId, started, engine: config.engine, dryRun: false }),
    detectors: request.detectors,
    as_of_days: request.asOfDays,
  };
  // Bad days are refused before anything runs or is written (docs/cli.md "Exit status").
  refuseDaysAfterToday(request.asOfDays, utcDay(clock.now()));
  try {
    const detection = await ports.detect(
      {
        asOfDays: request.asOfDays,
        detectors: request.detectors,
        runId,
        command: 'detect',
        dryRun: false,
        recurringExemptionOff: [],
        ...(ports.owners ? detectorInputs(config, ports.owners) : {}),
      },
      { store, log, ...(ports.progress ? { progress: ports.progress } : {}) },
    );
    record = finishRecord(
      {
        ...record,
        engine: detection.engine ?? record.engine,
        evaluated_days: detection.evaluatedDays,
        stale_days: detection.staleDays,
        skipped_days: detection.skippedDays,
        data_through: detection.dataThrough,
        first_covered_day: detection.firstCoveredDay,
        ...queryFields(detection.stats),
        recurring_candidates: detection.recurringHeldBack,
        counts: {
          findings: detection.findings.length,
          recurring_candidates: detection.recurringHeldBack.length,
          unpriced_candidates: detection.unpricedCandidates,
        },
        outcome: detection.staleDays.length > 0 ? 'stale' : 'succeeded',
      },
      clock,
      log.warnings,
    );
    await writeRunRecord(store, record);
    await publishRunEvents(ports.events, record, { completed: false });
    return { run: record, detection };
  } catch (error) {
    // A day before the export began is bad input, found once the export's bounds are read: nothing was written, nor is.
    if (error instanceof AsOfDayOutOfRangeError) throw error;
    record = finishRecord({ ...record, outcome: 'failed', error: describeError(error) }, clock, log.warnings);
    // A failed manual detect says so on the bus as every door does (one shape: the run record).
    await recordFailure({ store, events: ports.events, log }, record, { completed: false });
    throw error;
  }
}
