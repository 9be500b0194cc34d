/**
 * The detectors, by id (docs/architecture.md "Detectors"): the only place that knows which detectors
 * exist. Everything else asks a detector's module for its windows, statement, findings, episode and
 * email partial; an unknown id is an error, never a silent default.
 */
import type { EpisodeBand } from '../cases/episode.js';
import type { SentinelConfig } from '../config.js';
import { BadInputError } from '../errors.js';
import type { DetectorId, Finding, FindingSource, IsoDate } from '../types.js';
import type { CaseDetector, DetectorModule } from './detector.js';
import { BILL_DETECTORS } from './detector-ids.js';
import { accountCaps, budget } from './detectors/budget.js';
import { cacheMiss } from './detectors/cache-miss.js';
import { runawayInference } from './detectors/runaway-inference.js';
import { runawayWatch } from './detectors/runaway-watch.js';
import { type DataWindow, type DetectorWindows, dataWindowOf } from './windows.js';

// biome-ignore lint/suspicious/noExplicitAny: each module is typed by its own finding; callers pass that finding.
type AnyDetector = DetectorModule<any, any>;

/** The detectors over the bill: a statement each, over the run's staging table. */
const MODULES: Record<Exclude<DetectorId, 'runaway-watch'>, AnyDetector> = {
  'runaway-inference': runawayInference,
  'cache-miss': cacheMiss,
  budget,
};

/** The detectors over Bedrock's usage metrics: the hourly watch (docs/watch.md). */
// biome-ignore lint/suspicious/noExplicitAny: each module is typed by its own finding; callers pass that finding.
const METRICS_MODULES: Record<Extract<DetectorId, 'runaway-watch'>, CaseDetector<any>> = {
  'runaway-watch': runawayWatch,
};

export { BILL_DETECTORS };

/** The watch's detector: the `sentinel watch` command and the hourly function run it. */
export const WATCH_DETECTOR: DetectorId = 'runaway-watch';

/** Every registered detector (the findings table's `detector` partitions). */
export const ALL_DETECTORS: readonly DetectorId[] = [
  ...(Object.keys(MODULES) as DetectorId[]),
  ...(Object.keys(METRICS_MODULES) as DetectorId[]),
];

export const isDetectorId = (value: string): value is DetectorId =>
  Object.hasOwn(MODULES, value) || Object.hasOwn(METRICS_MODULES, value);

export class UnknownDetectorError extends BadInputError {}

/** The module of a detector over the bill; an unknown id is an error naming the known ones. */
export function detectorOf(id: string): DetectorModule<Finding> {
  if (Object.hasOwn(METRICS_MODULES, id)) {
    throw new UnknownDetectorError(
      `detector '${id}' reads Bedrock's usage metrics, not the bill: it runs with sentinel watch`,
      { hint: `name one of ${BILL_DETECTORS.join(', ')}, or run sentinel watch` },
    );
  }
  if (!Object.hasOwn(MODULES, id)) {
    throw new UnknownDetectorError(`detector '${id}' is not one of ${BILL_DETECTORS.join(', ')}`, {
      hint: `name one of ${BILL_DETECTORS.join(', ')}`,
    });
  }
  return MODULES[id as keyof typeof MODULES];
}

/** Every detector as cases and emails see it: a bill module is one with `source: 'bill'`. */
const CASE_MODULES = new Map<string, CaseDetector<Finding>>([
  ...Object.entries(MODULES).map(
    ([id, module]) =>
      [id, Object.create(module, { source: { value: 'bill', enumerable: true } })] as [string, CaseDetector],
  ),
  ...Object.entries(METRICS_MODULES),
]);

/** What cases and emails ask of any detector, over the bill or the metrics. */
export function caseDetectorOf(id: string): CaseDetector<Finding> {
  const found = CASE_MODULES.get(id);
  if (found) return found;
  return { ...detectorOf(id), source: 'bill' };
}

/** The module that made a finding. */
export const detectorFor = (finding: Pick<Finding, 'detector'>): CaseDetector<Finding> =>
  caseDetectorOf(finding.detector);

/** Where a detector's findings come from: the bill or Bedrock's usage metrics. */
export const sourceOfDetector = (id: DetectorId): FindingSource => caseDetectorOf(id).source;

/** A finding's source; findings stored before the field existed are the bill's. */
export const sourceOfFinding = (f: Pick<Finding, 'detector'> & { source?: FindingSource }): FindingSource =>
  f.source ?? sourceOfDetector(f.detector);

/**
 * The detector of the case a finding joins (docs/cases.md "One case, two sources"): the watch's runaway
 * joins the bill's runaway-inference case of the account; every other finding, its own detector's.
 */
export const caseDetectorOfFinding = (f: Pick<Finding, 'detector' | 'kind'>): DetectorId =>
  detectorFor(f).caseDetector?.(f.kind) ?? f.detector;

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
