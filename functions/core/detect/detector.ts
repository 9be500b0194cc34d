/**
 * What a detector is (docs/architecture.md "Detectors"): one module per detector, registered by id
 * in registry.ts, declaring its windows, its statement, how its rows become findings, what its peak
 * measures, how its episode is told and which email partial speaks for it. Code outside the
 * registry asks the module; it never branches on a detector's name.
 */
import type {
  EpisodeBand,
  EpisodeDay,
  EpisodeFigures,
  EpisodeTelling,
  PeakMetric,
} from '../cases/episode.js';
import type { CaseSources } from '../cases/model.js';
import type { SentinelConfig } from '../config.js';
import type { Row } from '../ports.js';
import type {
  DailyFigures,
  DetectorId,
  Finding,
  FindingKind,
  FindingSource,
  IsoDate,
  SeriesPoint,
} from '../types.js';
import type { RecurringCandidate } from './contract.js';
import type { AsOfWindows, DetectorWindows } from './windows.js';

/** The context of a flagged row (breakdowns, daily series, compute spend), read by the context statement. */
export interface FindingContext {
  breakdown: Finding['breakdown'];
  series: Map<IsoDate, { cost: number; promptTokens: number; cacheReadTokens: number }>;
  computeRecent: number;
  computeBaseline: number;
  /** The account's month (every Bedrock charge): null where the run does not cover last month whole. */
  month: { lastMonth: number; mtd: number; runRateSum: number; daysAfter: number } | null;
}

/** A detector row, parsed: what every detector's row says, and its own figures. */
export interface DetectorRow<Figures = unknown> {
  as_of: IsoDate;
  account_id: string;
  account_name: string;
  /** The model key of a per-model detector; null for an account-level one. */
  model: string | null;
  /** What the case is about within the account, beside the detector (the model key, a budget's rule and subject). */
  key: string | null;
  kind: FindingKind;
  /** Baseline days the detector counted (fewer than its window where the export starts late). */
  baseline_days_covered: number;
  /** The recent window that fired, where the detector has more than one (cache-miss's short window). */
  recent_days: number | null;
  /** A row the detector holds back instead of raising: a recurring pattern, or no price to value it. */
  held: { reason: 'recurring'; candidate: RecurringCandidate } | { reason: 'unpriced' } | null;
  figures: Figures;
}

/** What a run knows when it turns a row into a finding. */
export interface RunFacts {
  dataThrough: IsoDate;
  firstCoveredDay: IsoDate | null;
  runId: string;
}

/** The parameters every detector statement takes (the run's days and how staging is reached). */
export interface DetectorStatementInput {
  asOfStart: IsoDate;
  asOfEnd: IsoDate;
  /** First covered day of the export inside the data window (null: the whole window is covered). */
  firstCoveredDay: IsoDate | null;
  /** Accounts with a case answered `stopped` recently: no recurring exemption for them. */
  recurringExemptAccounts: string[];
  /** Accounts with a daily budget cap (from the owners file), for the budget detector. */
  accountCaps?: { account_id: string; cap_usd: number }[];
}

/** How the chart marks the days of a case (docs/emails.md). */
export interface ChartMarks {
  /** A day counted in the episode's excess (drawn red). */
  elevated(point: SeriesPoint): boolean;
  /** Besides elevated days, days drawn red whole (a cache-absent model's recent window). */
  highlighted(point: SeriesPoint, inRecent: boolean): boolean;
  /** Elevated bars split at the baseline (money above it is the excess); else the whole bar is red. */
  splitAtBaseline: boolean;
  /** The chart draws the daily hit-ratio strip under the bars. */
  hitStrip: boolean;
}

/** The words of a case section that differ by detector; the templates only print them. */
export interface DetectorEmailWords {
  /** "Bedrock inference" or "prompt-token": what the chart's bars are. */
  chartSubject: string;
  /** What the line the chart splits its bars at is called: "baseline", "cap", "budget's daily pace". */
  chartLine: string;
  /** The chart legend of a marked (red) bar; shown only when a bar is marked. */
  markedLegend: string;
  /** The question the owner is asked to answer. */
  askQuestion: string;
  /** Flags for the detector's own partial (e.g. `isNewSpender`). */
  flags: Record<string, boolean>;
  /** Figures its partial prints that are derived from the finding (computed here, never in a template). */
  facts?: Record<string, unknown>;
  /** One day of the spend that contradicts a resolution: "$130.50" (runaway), "hit ratio 21%" (cache-miss). */
  dayFigure(day: SeriesPoint): string;
  /** What those days are above: "above the band of $8.12/day (the baseline plus 2 standard deviations)". */
  bandWords: string;
}

/** The band an episode was told with (EpisodeTelling), as the words need it. */
export interface EpisodeBasis {
  bandDailyUsd: number | null;
  bandHitRatio: number | null;
  expectedHitRatio: number | null;
  /** When the message is written (an estimate's age is told from it); absent where no message is. */
  now?: string | null;
  /** What each source saw of the case's epoch (the watch tells the first hour it fired from it). */
  sources?: CaseSources | null;
}

/** What a detector tells an episode from (computeEpisode in cases/episode.ts). */
export interface EpisodeInput<F extends Finding> {
  peak: F;
  latest: F;
  /** The recorded days through the newest evaluated day. */
  days: EpisodeDay[];
  ongoing: boolean;
  newest: IsoDate;
  spikeFrom: IsoDate;
  spikeTo: IsoDate;
  excessSoFar: number;
}

export interface DetectorModule<F extends Finding = Finding, Figures = unknown> {
  readonly id: DetectorId;
  readonly kinds: readonly F['kind'][];
  /** `account`: one case per account; `account-model`: per account and model key. */
  readonly subject: 'account' | 'account-model';
  /** What a run's case summary, the record and the digest call the peak (`peak_metric`). */
  readonly peakMetric: PeakMetric;
  /** How the context statement ranks the breakdown lists. */
  readonly contextRank: 'increase' | 'uncached_input';
  /** The daily series carries a hit ratio (prompt-cache detectors). */
  readonly seriesHitRatio: boolean;
  /** The series and the figures count every Bedrock charge, not only token inference (budgets). */
  readonly allBedrockCharges: boolean;
  /** Its statement reads staging's rows with their detail (tags, resources), not the inference rows. */
  readonly readsStagingDetail: boolean;
  /** Its rise, once answered `stopped`, is an incident: no recurring exemption on that account. */
  readonly stoppedLiftsRecurringExemption: boolean;
  /**
   * The detectors whose incident on the same account also explains a finding of this kind (a runaway
   * breaks the monthly budget too); none by default. The demo's tally counts such findings as follow-ons.
   */
  explainedBy?(kind: FindingKind): readonly DetectorId[];

  windows(config: SentinelConfig): DetectorWindows;
  /** A finding's windows where they are calendar-bound (a budget's baseline is last month); else from `windows`. */
  asOfWindows?(config: SentinelConfig, asOf: IsoDate, recentDays: number | null): AsOfWindows;
  /** Fewest covered baseline days an as-of day needs (null: the detector judges any coverage). */
  minBaselineDays(config: SentinelConfig): number | null;
  /** Its query file in sql/ and that file's own parameters. */
  readonly sqlFile: string;
  sqlParams(config: SentinelConfig, input: DetectorStatementInput): Record<string, unknown>;
  /** A row of its statement, parsed (zod) into the shape findings are built from. */
  readRow(row: Row): DetectorRow<Figures>;
  /** Rounded once, here, right after the SQL (docs/findings.md). */
  buildFinding(row: DetectorRow<Figures>, context: FindingContext, config: SentinelConfig, run: RunFacts): F;

  /** What the peak measures of one finding (runaway: the highest day of its recent window). */
  peakValue(finding: F): number;
  /** The peak as a digest line states it: `$132.05/day`, `$808.54 avoidable`, `$257.14 over budget`. */
  peakText(value: number): string;
  /**
   * Which finding is the peak finding, whose breakdown and diagnosis stand beside the headline: the
   * one ranked highest (runaway: the highest recent mean, the window densest with the spike).
   */
  peakRank(finding: F): number;
  /** The day `peakValue` was reached (runaway: the highest day; else the recent window's last day). */
  peakDay(finding: F): IsoDate;
  /** The first day of the episode the peak describes (runaway: `started_on`; else its recent window). */
  episodeStart(peak: F): IsoDate;
  /** Whether a day is still above the finding's band (the episode's end day follows the last one). */
  aboveBand(peak: F, band: EpisodeBand): (day: Pick<EpisodeDay, 'cost_usd' | 'hit_ratio'>) => boolean;
  /** The day's avoidable cost for cache detectors (null: the detector has none). */
  dailyAvoidable(peak: F, band: EpisodeBand): (day: DailyFigures) => number | null;
  /** The episode's excess so far over its days (money above the baseline, or avoidable cost). */
  excessSoFar(days: EpisodeDay[], peak: F): number;
  /**
   * What the owner reads of the episode (docs/emails.md "The episode"): the latest day, the mean over
   * the spike, ratios, the projection and the severity shown, from the recorded days.
   */
  tell(input: EpisodeInput<F>, band: EpisodeBand): EpisodeTelling;

  /** The email partial (`templates/partials/<partial>.html.hbs`, `.text.hbs`, `<partial>-headline.text.hbs`). */
  readonly partial: string;
  emailWords(peak: F, basis: EpisodeBasis): DetectorEmailWords;
  chartMarks(latest: F, endDay: IsoDate | null): ChartMarks;
  /** One line of numbers for the terminal (detect summary). */
  describe(finding: F): string;
  /** The terminal line of a case's episode (the email's first sentence, short), from `episodeFigures`. */
  describeEpisode(figures: EpisodeFigures, peak: F, latest: F): string;
}

/** What only a detector over the bill has: its windows, its statement, its rows (run-plan.ts reads them). */
export type BillOnlyMember =
  | 'contextRank'
  | 'seriesHitRatio'
  | 'allBedrockCharges'
  | 'readsStagingDetail'
  | 'windows'
  | 'asOfWindows'
  | 'minBaselineDays'
  | 'sqlFile'
  | 'sqlParams'
  | 'readRow'
  | 'buildFinding';

/**
 * What cases, emails and the terminal ask of any detector, over the bill or over Bedrock's usage metrics
 * (the watch, which has no statement: docs/watch.md): its peak, its episode, its words.
 */
export type CaseDetector<F extends Finding = Finding> = Omit<DetectorModule<F>, BillOnlyMember> & {
  /** Where its findings come from. */
  readonly source: FindingSource;
  /**
   * The detector whose case a finding of this kind joins (null: its own). The watch's `runaway` and
   * `new-spender` join the account's bill-based `runaway-inference` case: one case, two sources.
   */
  caseDetector?(kind: FindingKind): DetectorId | null;
};
