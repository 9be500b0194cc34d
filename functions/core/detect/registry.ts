/**
 * The detectors, by id (docs/architecture.md "Detectors"): the only place that knows which detectors
 * exist. Everything else asks a detector's module for its windows, statement, findings, episode and
 * email partial; an unknown id is an error, never a silent default.
 */
import type { EpisodeBand } from '../cases/episode.js';
import type { SentinelConfig } from '../config.js';
import { BadInputError } from '../errors.js';
import type { DetectorId, Finding, IsoDate } from '../types.js';
import type { DetectorModule } from './detector.js';
import { BILL_DETECTORS } from './detector-ids.js';
import { accountCaps, budget } from './detectors/budget.js';
import { cacheMiss } from './detectors/cache-miss.js';
import { runawayInference } from './detectors/runaway-inference.js';
import { type DataWindow, type DetectorWindows, dataWindowOf } from './windows.js';

// biome-ignore lint/suspicious/noExplicitAny: each module is typed by its own finding; callers pass that finding.
type AnyDetector = DetectorModule<any, any>;

const MODULES: Record<DetectorId, AnyDetector> = {
  'runaway-inference': runawayInference,
  'cache-miss': cacheMiss,
  budget,
};

export { BILL_DETECTORS };

/** Every registered detector (the findings table's `detector` partitions). */
export const ALL_DETECTORS: readonly DetectorId[] = Object.keys(MODULES) as DetectorId[];

export const isDetectorId = (value: string): value is DetectorId => Object.hasOwn(MODULES, value);

export class UnknownDetectorError extends BadInputError {}

/** The module of a detector; an unknown id is an error naming the known ones. */
export function detectorOf(id: string): DetectorModule<Finding> {
  if (!isDetectorId(id)) {
    throw new UnknownDetectorError(`detector '${id}' is not one of ${BILL_DETECTORS.join(', ')}`, {
      hint: `name one of ${BILL_DETECTORS.join(', ')}`,
    });
  }
  return MODULES[id];
}

/** The module that made a finding. */
export const detectorFor = (finding: Pick<Finding, 'detector'>): DetectorModule<Finding> =>
  detectorOf(finding.detector);

export const windowsOf = (detector: DetectorId, config: SentinelConfig): DetectorWindows =>
  detectorOf(detector).windows(config);

/** The data window of some detectors over as-of days: every statement prunes to its billing periods. */
export const dataWindow = (
  detectors: readonly DetectorId[],
  config: SentinelConfig,
  asOfDays: IsoDate[],
): DataWindow =>
  dataWindowOf(
    detectors.map((d) => windowsOf(d, config)),
    asOfDays,
  );

/** The settings an episode is told with (bands, the expected hit ratio, severity thresholds), from config. */
export const episodeBand = (config: SentinelConfig): EpisodeBand => ({
  k: config.detectors['runaway-inference'].k,
  minHitRatioDrop: config.detectors['cache-miss'].min_hit_ratio_drop,
  cacheAbsentExpectedHitRatio: config.detectors['cache-miss'].cache_absent_expected_hit_ratio,
  criticalUsd: config.severity.critical_usd,
  highUsd: config.severity.high_usd,
});

/**
 * What the detectors need from the owners file besides routing (docs/detection.md "Budget"): the
 * accounts with a daily cap.
 */
export const detectorInputs = (
  config: SentinelConfig,
  owners: { budgets(): { accountId: string; environment: string | null; dailyCapUsd: number | null }[] },
) => ({ accountCaps: accountCaps(owners.budgets(), config) });
