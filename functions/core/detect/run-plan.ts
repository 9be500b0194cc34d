/**
 * The run plan (docs/athena-sql.md): every statement a detection run may send, in order, each with
 * the condition under which it is sent and what the run reads from its rows. `runDetection` executes
 * this plan; `sentinel sql` prints it (the conditional statements marked), so the printed text and
 * order are the ones an engine receives.
 */
import type { SentinelConfig } from '../config.js';
import type { Row } from '../ports.js';
import type { DetectorId, IsoDate } from '../types.js';
import type { Candidate, FindingContext, SeriesSubject } from './context.js';
import { contextsOf } from './context.js';
import type { DetectResult } from './contract.js';
import {
  type Coverage,
  checkAsOfDaysInExport,
  coverageOf,
  extraDeliveryWarnings,
  missingDaysSpan,
  missingDaysWarning,
  needsExportBounds,
  unknownUnitWarnings,
} from './coverage.js';
import { buildPriceTable, type PriceTable } from './prices.js';
import { dataWindow, detectorOf } from './registry.js';
import {
  contextRequest,
  contextStatement,
  coverageStatement,
  deliveriesStatement,
  detectorStatement,
  dropStaleStatement,
  dropStatements,
  EXAMPLE_FINDING,
  exampleContextRequest,
  exportBoundsStatement,
  missingDaysStatement,
  type PlannedStatement,
  pricesStatement,
  STALE_STAGING_MS,
  type StatementStep,
  seriesRequest,
  stagingStatements,
  stagingTablesStatement,
  stagingTableTime,
  unitCheckStatement,
} from './statement-plan.js';
import { type ContextRequest, type FocusTable, stagingMode, stagingShape } from './statement-sql.js';
import { coveredBaselineDays, type DataWindow } from './windows.js';

/** What a run knows as it goes through its plan: each step reads its rows into it. */
export interface RunState {
  focus: FocusTable;
  config: SentinelConfig;
  /** Every as-of day of the run, ascending, and each detector's own (catch-up is per detector). */
  asOfDays: IsoDate[];
  daysOf: Map<DetectorId, IsoDate[]>;
  detectors: DetectorId[];
  window: DataWindow;
  today: IsoDate;
  now: Date;
  recurringExemptAccounts: string[];
  accountCaps: { account_id: string; cap_usd: number }[];
  warn: (message: string) => void;
  result: DetectResult;
  staleStaging: string[];
  coverage: Coverage | null;
  /** Each detector's days the run evaluates (covered, and with enough baseline). */
  detectorDays: Map<DetectorId, IsoDate[]>;
  candidates: Candidate[];
  /** Live cases whose daily series the context statement reads without a finding (docs/emails.md). */
  series: SeriesSubject[];
  /** Set once the detectors ran: the series subjects the run records (see run-detection.ts). */
  planSeries: (state: RunState) => SeriesSubject[];
  contextRequests: ContextRequest[];
  contexts: Map<string, FindingContext>;
  /** The bill's unit prices the run read for the watch (null: not read, or the statement failed). */
  prices: PriceTable | null;
  /** The run's id, for the price table it writes. */
  runId: string | null;
}

export interface PlanStep {
  step: StatementStep;
  label: string;
  /** When the run sends it (printed by `sentinel sql`); undefined: every run. */
  condition?: string;
  /** Sent at the end of the run, after a failure too; its own failure is a warning. */
  cleanup?: boolean;
  /** Its failure is a warning naming it, not the run's failure. */
  tolerant?: boolean;
  /** The warning of a tolerated failure. */
  failure?(statement: PlannedStatement, message: string): string;
  applies(state: RunState): boolean;
  statements(state: RunState): PlannedStatement[];
  read(rows: Row[], state: RunState, statement: PlannedStatement): void;
  /** Progress shown as it starts (a terminal). */
  progress?(state: RunState): string;
  /**
   * Sent at the same time as the steps next to it that are alongside too (docs/architecture.md "One scan
   * per run"): it needs only what the steps before them read, and its rows are read into the run in
   * plan order once all of them answered.
   */
  alongside?(state: RunState): boolean;
}

const evaluatedAny = (s: RunState) => s.result.evaluatedDays.length > 0;
/** DuckDB's coverage reads the export itself, so it goes alongside staging (docs/architecture.md "One scan per run"). */
const readsExport = (s: RunState) => stagingShape(s.focus) === 'detector-rows';
const quiet = (s: RunState) => s.series.filter((x) => !x.fired).length;
const ignore = () => {};

/** The steps of a run of these detectors, in order. */
export function runPlan(detectors: DetectorId[]): PlanStep[] {
  const steps: PlanStep[] = [
    {
      step: 'staging-tables',
      label: 'staging tables',
      condition: 'Athena and Trino: before staging, to find a crashed run’s tables',
      applies: (s) => s.focus.stagingTables !== undefined,
      statements: (s) => [stagingTablesStatement(s.focus.stagingTables!.schema)],
      read(rows, s) {
        const now = s.now.getTime();
        for (const row of rows) {
          const name = String(row.table_name);
          const created = stagingTableTime(name);
          // A younger table may be a concurrent run's: only one older than twice the timeout is a crashed run's.
          if (created && now - created.getTime() >= STALE_STAGING_MS) s.staleStaging.push(name);
        }
      },
    },
    {
      step: 'drop-stale',
      label: 'drop stale staging',
      condition: 'when a crashed run left staging tables (one DROP each)',
      tolerant: true,
      failure: (statement, message) =>
        `could not drop a crashed run's staging table ${statement.sql.slice(statement.sql.lastIndexOf('.') + 1).replace(/["`]/g, '')}: ${message}`,
      applies: (s) => s.staleStaging.length > 0,
      statements: (s) =>
        s.staleStaging.map((t) => dropStaleStatement(s.focus, s.focus.stagingTables!.schema, t)),
      read: ignore,
    },
    {
      step: 'staging',
      label: 'staging',
      applies: (s) => stagingMode(s.focus) === 'tables',
      statements: (s) => stagingStatements(s.focus, s.config, s.window),
      read: ignore,
      alongside: readsExport,
      progress: (s) =>
        `staging billing periods ${s.window.periods.join(', ')} (${s.window.start} … ${s.window.end})`,
    },
    {
      step: 'coverage',
      label: 'coverage',
      applies: () => true,
      // DuckDB's coverage reads the export, not staging: both scans at once.
      alongside: readsExport,
      statements: (s) => [coverageStatement(s.focus, s.config, s.window)],
      read(rows, s) {
        const coverage = coverageOf(rows[0]);
        s.coverage = coverage;
        s.result.dataThrough = coverage.lastChargeDay;
        s.result.firstCoveredDay =
          coverage.firstChargeDay && coverage.firstChargeDay > s.window.start
            ? coverage.firstChargeDay
            : null;
        if (coverage.nullAccountRows > 0) {
          s.warn(`${coverage.nullAccountRows} rows with a NULL subaccountid were skipped`);
        }
        if (coverage.nullCostRows > 0) {
          s.warn(`${coverage.nullCostRows} rows with a NULL or NaN ${s.config.cost_column} were skipped`);
        }
        evaluate(s);
      },
    },
    {
      step: 'export-bounds',
      label: 'export bounds',
      condition: "when an as-of day lies after today or before the coverage's first charge day",
      applies: (s) => s.coverage !== null && needsExportBounds(s.asOfDays, s.today, s.coverage),
      statements: (s) => [exportBoundsStatement(s.focus, s.config)],
      read: (rows, s) => checkAsOfDaysInExport(s.asOfDays, s.today, rows[0]),
    },
    {
      step: 'missing-days',
      label: 'missing days',
      condition: 'when coverage counts fewer days with charges than the window holds',
      applies: (s) => s.coverage !== null && missingDaysSpan(s.window, s.coverage) !== null,
      statements: (s) => [
        missingDaysStatement(s.focus, s.config, s.window, missingDaysSpan(s.window, s.coverage!)!),
      ],
      read(rows, s) {
        const warning = missingDaysWarning(rows);
        if (warning) s.warn(warning);
      },
    },
    {
      step: 'deliveries',
      label: 'deliveries',
      condition: 'when coverage finds a billing period in more than one delivery folder',
      applies: (s) => (s.coverage?.extraDeliveries ?? 0) > 0,
      statements: (s) => [deliveriesStatement(s.focus, s.config, s.window)],
      read: (rows, s) => {
        for (const w of extraDeliveryWarnings(rows)) s.warn(w);
      },
    },
    {
      step: 'unit-check',
      label: 'unit check',
      condition:
        'when coverage counts token rows with an unknown unit (DuckDB: every run, with the detectors)',
      applies: (s) =>
        evaluatedAny(s) &&
        stagingMode(s.focus) === 'tables' &&
        (s.coverage?.unknownUnits === null || (s.coverage?.unknownUnits ?? 0) > 0),
      alongside: () => true,
      statements: (s) => [unitCheckStatement(s.focus)],
      read: (rows, s) => {
        for (const w of unknownUnitWarnings(rows)) s.warn(w);
      },
    },
    ...detectors.map(
      (detector): PlanStep => ({
        step: 'detector',
        label: detector,
        applies: (s) => (s.detectorDays.get(detector) ?? []).length > 0,
        statements: (s) => {
          const days = s.detectorDays.get(detector)!;
          return [
            detectorStatement(detector, s.focus, s.config, {
              asOfStart: days[0]!,
              asOfEnd: days[days.length - 1]!,
              firstCoveredDay: s.result.firstCoveredDay,
              recurringExemptAccounts: s.recurringExemptAccounts,
              accountCaps: s.accountCaps,
            }),
          ];
        },
        read(rows, s) {
          const module = detectorOf(detector);
          const days = new Set(s.detectorDays.get(detector));
          for (const raw of rows) {
            const row = module.readRow(raw);
            if (!days.has(row.as_of)) continue;
            if (row.held?.reason === 'recurring') {
              s.result.recurringHeldBack.push(row.held.candidate);
              s.result.recurringCandidates = s.result.recurringHeldBack.length;
            } else if (row.held?.reason === 'unpriced') {
              s.result.unpricedCandidates += 1;
            } else {
              s.candidates.push({ detector, row });
            }
          }
        },
        progress: (s) => `${detector} over ${s.detectorDays.get(detector)?.length ?? 0} as-of day(s)`,
        // The detectors and the prices read staging only: all at once.
        alongside: () => true,
      }),
    ),
    pricesStep(),
    {
      step: 'context',
      label: 'context',
      condition: 'when a detector fired, or a live case needs its daily series',
      applies(s) {
        if (!evaluatedAny(s)) return false;
        s.series = s.planSeries(s);
        s.contextRequests = [
          ...s.candidates.map((c, i) =>
            contextRequest(
              c.detector,
              s.config,
              { ...c.row, recent_days: c.row.recent_days ?? undefined },
              String(i),
              { windowStart: s.window.start, firstCoveredDay: s.result.firstCoveredDay },
            ),
          ),
          ...s.series.filter((x) => !x.fired).map((x) => seriesRequest(x, x.as_of, x.ref)),
        ];
        return s.contextRequests.length > 0;
      },
      statements: (s) => [
        contextStatement(
          s.focus,
          s.config,
          dataWindow(s.detectors, s.config, s.result.evaluatedDays),
          s.contextRequests,
        ),
      ],
      read(rows, s) {
        s.contexts = contextsOf(rows, s.contextRequests);
      },
      progress: (s) =>
        `context for ${s.candidates.length} finding(s)${quiet(s) > 0 ? `, daily series of ${quiet(s)} case(s)` : ''}`,
    },
    {
      step: 'drop',
      label: 'drop staging',
      condition: 'Athena and Trino: at the end of every run, also after a failure',
      cleanup: true,
      failure: (statement, message) =>
        `could not drop ${statement.sql.slice('DROP TABLE IF EXISTS '.length)}: ${message}; the next run drops it`,
      applies: (s) => s.focus.stagingTables !== undefined && stagingMode(s.focus) === 'tables',
      statements: (s) => dropStatements(s.focus),
      read: ignore,
    },
  ];
  return steps;
}

/** The bill's unit prices for the hourly watch (docs/watch.md "Prices"), from staging. */
function pricesStep(): PlanStep {
  return {
    step: 'prices',
    label: 'prices',
    condition: 'when the run evaluated an as-of day: the watch prices Bedrock usage metrics with them',
    // The watch keeps the last prices it has: a failure here is a warning, not the run's failure.
    tolerant: true,
    failure: (_statement, message) =>
      `could not read the bill's prices for the hourly watch (prices/latest.json keeps the last ones): ${message}`,
    // Only over a staging table: with staging as a sub-query it would read the export a second time.
    applies: (s) => evaluatedAny(s) && stagingMode(s.focus) === 'tables',
    statements: (s) => [pricesStatement(s.focus, s.config, s.window)],
    read(rows, s) {
      s.prices = buildPriceTable(rows, {
        computedAt: s.now.toISOString(),
        runId: s.runId,
        window: { start: s.window.start, end: s.window.end },
        costColumn: s.config.cost_column,
      });
    },
    progress: () => 'prices for the hourly watch',
    alongside: () => true,
  };
}

/**
 * Once coverage is known: the days evaluated (covered by the export; the rest are stale) and, per
 * detector, its own days minus those whose baseline the export covers too little.
 */
function evaluate(s: RunState): void {
  const last = s.coverage?.lastChargeDay ?? null;
  const evaluated = s.asOfDays.filter((d) => last !== null && d <= last);
  s.result.evaluatedDays = evaluated;
  s.result.staleDays = s.asOfDays.filter((d) => !evaluated.includes(d));
  const first = s.result.firstCoveredDay;
  for (const detector of s.detectors) {
    const module = detectorOf(detector);
    const mine = new Set(s.daysOf.get(detector) ?? s.asOfDays);
    let days = evaluated.filter((d) => mine.has(d));
    const minDays = module.minBaselineDays(s.config);
    if (minDays !== null && first) {
      const windows = module.windows(s.config);
      const skipped = days
        .filter((d) => coveredBaselineDays(windows, d, first) < minDays)
        .map((d) => ({
          detector,
          as_of: d,
          reason: `the export starts ${first}: fewer than ${minDays} baseline days covered`,
        }));
      s.result.skippedDays.push(...skipped);
      days = days.filter((d) => !skipped.some((x) => x.as_of === d));
    }
    s.detectorDays.set(detector, days);
    s.result.evaluatedByDetector[detector] = days;
  }
}

export interface PrintedPlanInput {
  detector: DetectorId;
  asOfDays: IsoDate[];
}

/**
 * Every statement a run of one detector may send over these as-of days, in order, for printing: as if
 * the export covered the whole data window (a run reads the first covered day from coverage), with
 * no accounts exempt from the recurring rule, one example finding for the context, and the
 * conditional statements with example values under their condition.
 */
export function printedPlan(
  focus: FocusTable,
  config: SentinelConfig,
  input: PrintedPlanInput,
): (PlannedStatement & { condition?: string })[] {
  const window = dataWindow([input.detector], config, input.asOfDays);
  const last = input.asOfDays[input.asOfDays.length - 1]!;
  const example = exampleContextRequest(input.detector, config, last);
  const state: RunState = {
    focus,
    config,
    asOfDays: input.asOfDays,
    daysOf: new Map(),
    detectors: [input.detector],
    window,
    today: last,
    now: new Date(0),
    recurringExemptAccounts: [],
    accountCaps: [],
    warn: ignore,
    result: {
      findings: [],
      evaluatedDays: input.asOfDays,
      staleDays: [],
      skippedDays: [],
      dataThrough: last,
      firstCoveredDay: null,
      recurringCandidates: 0,
      recurringHeldBack: [],
      unpricedCandidates: 0,
      caseDays: [],
      evaluatedByDetector: {},
      warnings: [],
    },
    staleStaging: ['sentinel_staging_YYYYMMDDHHMMSS_XXXXXXXX'],
    coverage: null,
    detectorDays: new Map([[input.detector, input.asOfDays]]),
    candidates: [],
    series: [],
    planSeries: () => [],
    contextRequests: [example],
    contexts: new Map(),
    prices: null,
    runId: null,
  };
  const printed: (PlannedStatement & { condition?: string })[] = [];
  const inline = stagingMode(focus) === 'ctes';
  for (const step of runPlan([input.detector])) {
    // `--inline` is for a console paste of each detector: the statements a run sends only on a condition are left out.
    if (inline && step.condition && step.step !== 'context') continue;
    if (step.step === 'staging-tables' || step.step === 'drop-stale' || step.step === 'drop') {
      if (!focus.stagingTables || stagingMode(focus) !== 'tables') continue;
    }
    if (step.step === 'staging' || step.step === 'unit-check' || step.step === 'prices') {
      if (stagingMode(focus) !== 'tables') continue;
    }
    let statements: PlannedStatement[];
    if (step.step === 'missing-days') {
      statements = [missingDaysStatement(focus, config, window, { start: window.start, end: window.end })];
    } else if (step.step === 'context') {
      statements = [contextStatement(focus, config, window, [example])];
    } else {
      statements = step.statements(state);
    }
    for (const statement of statements) {
      printed.push(step.condition ? { ...statement, condition: step.condition } : statement);
    }
  }
  return printed;
}

export { EXAMPLE_FINDING };
