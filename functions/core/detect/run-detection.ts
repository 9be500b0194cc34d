/**
 * One detection run over a set of as-of days (docs/detection.md "Input", docs/findings.md, docs/storage.md): coverage and staleness, staging once,
 * both detectors over every as-of day in one pass, context for what fired, finding records, and
 * the findings files (one per detector and evaluated as-of day, empty when nothing fired).
 */
import type { SentinelConfig } from '../config.js';
import { utcDay } from '../dates.js';
import { RunAbortedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BlobStore, Clock, EventBus, QueryEngine } from '../ports.js';
import type { CaseSubject, DetectorId, Finding, IsoDate } from '../types.js';
import {
  type Candidate,
  emptyContext,
  type FindingContext,
  readContext,
  recentDaysOf,
  type SeriesSubject,
} from './context.js';
import {
  type DetectRequest,
  type DetectResult,
  emptyDetectResult,
  recurringLine,
  type SkippedDay,
} from './contract.js';
import {
  type Coverage,
  checkAsOfDaysInExport,
  readCoverage,
  warnExtraDeliveries,
  warnMissingDays,
  warnUnknownUnits,
} from './coverage.js';
import {
  cacheDiagnosis,
  caseKey,
  dailyFigures,
  denseSeries,
  findingId,
  findingLine,
  roundBreakdown,
  roundRatio,
  roundRunawayNumbers,
  roundSeries,
  roundTokens,
  roundUsd,
  runawayDiagnosis,
  runawayNumbers,
  severityOf,
  startedOn,
  tokenSums,
} from './findings.js';
import { num, str } from './row-values.js';
import { dropStaleStaging, withRunStaging } from './staging.js';
import {
  detectorStatement,
  dropStatements,
  stagingStatements,
  unitCheckStatement,
} from './statement-plan.js';
import { type FocusTable, SERIES_DAYS, stagingMode } from './statement-sql.js';
import { asOfWindows, coveredBaselineDays, dataWindow, windowsOf } from './windows.js';

export interface DetectPorts {
  engine: QueryEngine;
  focus: FocusTable;
  store: BlobStore;
  clock: Clock;
  log: Logger;
  /** Where `Finding Detected` goes; without it no event is published (a plain `detect`). */
  events?: EventBus;
  /** Told as each step starts (a terminal shows it; elsewhere it is left out). */
  progress?: (step: string) => void;
  /** Aborts the run between and during statements (the Lambda's remaining time). */
  signal?: AbortSignal;
}

/** Every statement of the run carries the run's signal; an aborted run sends nothing more. */
function withSignal(engine: QueryEngine, signal: AbortSignal | undefined): QueryEngine {
  if (!signal) return engine;
  const check = (label: string | undefined) => {
    if (signal.aborted)
      throw new RunAbortedError(
        `detection stopped before ${label ?? 'a statement'}: ${String(signal.reason ?? 'aborted')}`,
      );
  };
  return {
    name: engine.name,
    dialect: engine.dialect,
    query: (sql, options = {}) => {
      check(options.label);
      return engine.query(sql, { ...options, signal });
    },
    execute: (sql, options = {}) => {
      check(options.label);
      return engine.execute(sql, { ...options, signal });
    },
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}

function findingIdsIn(jsonl: string): string[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { finding_id?: unknown }).finding_id));
}

export const findingsKey = (detector: DetectorId, asOf: IsoDate): string =>
  `findings/detector=${detector}/as_of=${asOf}/findings.jsonl`;

export async function runDetection(
  ports: DetectPorts,
  config: SentinelConfig,
  request: DetectRequest,
): Promise<DetectResult> {
  const { log } = ports;
  const focus = withRunStaging(ports.focus, ports.clock);
  const engine = withSignal(ports.engine, ports.signal);
  const asOfDays = [...request.asOfDays].sort();
  const result: DetectResult = emptyDetectResult();
  if (asOfDays.length === 0 || request.detectors.length === 0) return result;
  const warn = (message: string) => {
    result.warnings.push(message);
    log.warn(message);
  };

  const window = dataWindow(request.detectors, config, asOfDays);
  const progress = ports.progress ?? (() => {});
  const candidates: Candidate[] = [];
  let contexts = new Map<string, FindingContext>();
  let coverage: Coverage | undefined;
  const detectorDays = new Map<DetectorId, IsoDate[]>();
  let plan: CaseDayRead[] = [];
  await dropStaleStaging(engine, focus, ports.clock, warn);
  try {
    // The run's one read of the export (docs/architecture.md): every statement after it reads staging.
    progress(`staging billing periods ${window.periods.join(', ')} (${window.start} … ${window.end})`);
    for (const statement of stagingStatements(focus, config, window)) {
      await engine.execute(statement.sql, { label: statement.label });
    }
    coverage = await readCoverage(engine, focus, config, window);
    result.dataThrough = coverage.lastChargeDay;
    result.firstCoveredDay =
      coverage.firstChargeDay && coverage.firstChargeDay > window.start ? coverage.firstChargeDay : null;
    if (coverage.nullAccountRows > 0) {
      warn(`${coverage.nullAccountRows} rows with a NULL subaccountid were skipped`);
    }
    if (coverage.nullCostRows > 0) {
      warn(`${coverage.nullCostRows} rows with a NULL or NaN ${config.cost_column} were skipped`);
    }

    await checkAsOfDaysInExport({ engine, focus }, config, {
      asOfDays,
      today: utcDay(ports.clock.now()),
      coverage,
    });
    await warnMissingDays({ engine, focus }, config, window, coverage, warn);
    await warnExtraDeliveries({ engine, focus }, config, window, coverage, warn);

    const lastChargeDay = coverage.lastChargeDay;
    const evaluated = asOfDays.filter((d) => lastChargeDay !== null && d <= lastChargeDay);
    result.staleDays = asOfDays.filter((d) => !evaluated.includes(d));
    result.evaluatedDays = evaluated;
    if (evaluated.length === 0) return result;
    if (stagingMode(focus) === 'tables')
      await warnUnknownUnits(engine, unitCheckStatement(focus), coverage, warn);

    // Days whose runaway baseline the export does not cover well enough are skipped, not guessed.
    for (const detector of request.detectors) {
      let days = evaluated;
      if (detector === 'runaway-inference' && result.firstCoveredDay) {
        const minDays = config.detectors['runaway-inference'].min_baseline_days;
        const windows = windowsOf(detector, config);
        const skipped: SkippedDay[] = days
          .filter((d) => coveredBaselineDays(windows, d, result.firstCoveredDay!) < minDays)
          .map((d) => ({
            detector,
            as_of: d,
            reason: `the export starts ${result.firstCoveredDay}: fewer than ${minDays} baseline days covered`,
          }));
        result.skippedDays.push(...skipped);
        days = days.filter((d) => !skipped.some((s) => s.as_of === d));
      }
      detectorDays.set(detector, days);
    }

    const evaluatedWindow = dataWindow(request.detectors, config, evaluated);
    for (const detector of request.detectors) {
      const days = detectorDays.get(detector) ?? [];
      if (days.length === 0) continue;
      progress(`${detector} over ${days.length} as-of day(s)`);
      const statement = detectorStatement(detector, focus, config, {
        asOfStart: days[0]!,
        asOfEnd: days[days.length - 1]!,
        firstCoveredDay: result.firstCoveredDay,
        recurringExemptAccounts: request.recurringExemptionOff,
      });
      const rows = (await engine.query(statement.sql, { label: statement.label })).filter((r) =>
        days.includes(String(r.as_of)),
      );
      for (const row of rows) {
        if (row.recurring === true) {
          result.recurringHeldBack.push({
            account_id: String(row.account_id),
            account_name: str(row.account_name) ?? String(row.account_id),
            as_of: String(row.as_of),
            recent_avg_daily_usd: roundUsd(num(row.recent_avg)),
            month_earlier_avg_daily_usd: roundUsd(num(row.last_month_peak_avg)),
          });
          result.recurringCandidates = result.recurringHeldBack.length;
          continue;
        }
        if (row.unpriced === true) {
          result.unpricedCandidates += 1;
          continue;
        }
        candidates.push({ detector, row });
      }
    }
    if (result.recurringHeldBack.length > 0) {
      log.info(
        `${result.recurringHeldBack.length} runaway candidate(s) held back as recurring monthly patterns: ` +
          result.recurringHeldBack.map(recurringLine).join('; '),
      );
    }
    if (result.unpricedCandidates > 0) {
      warn(
        `${result.unpricedCandidates} cache-miss candidates not raised: no input token price could be derived`,
      );
    }

    plan = request.episodeCases ? caseDayPlan(request.episodeCases, candidates, detectorDays) : [];
    const series = plan.flatMap((p) => (p.fired ? [] : [p.series]));
    if (candidates.length > 0 || series.length > 0) {
      progress(
        `context for ${candidates.length} finding(s)${series.length > 0 ? `, daily series of ${series.length} case(s)` : ''}`,
      );
      contexts = await readContext({ engine, focus }, config, evaluatedWindow, candidates, series);
    }
  } finally {
    // Also after a failure or an abort (without the run's signal: the time kept back is for this).
    for (const statement of dropStatements(focus)) {
      await ports.engine
        .execute(statement.sql, { label: statement.label })
        .catch((error: unknown) =>
          warn(
            `could not drop ${statement.sql.slice('DROP TABLE IF EXISTS '.length)}: ${String((error as Error).message ?? error)}; the next run drops it`,
          ),
        );
    }
  }
  result.findings = candidates.map((c, i) =>
    buildFinding(c, contexts.get(String(i)) ?? emptyContext(), config, {
      dataThrough: coverage?.lastChargeDay ?? '',
      firstCoveredDay: result.firstCoveredDay,
      runId: request.runId,
    }),
  );
  result.caseDays = plan.map((p) => {
    const points = contexts.get(p.ref)?.series ?? new Map();
    return {
      case_key: p.case_key,
      days: dailyFigures(
        p.series.as_of,
        SERIES_DAYS,
        result.firstCoveredDay,
        points,
        p.series.detector === 'cache-miss',
      ),
    };
  });
  result.findings.sort(
    (a, b) =>
      a.detector.localeCompare(b.detector) ||
      a.as_of.localeCompare(b.as_of) ||
      b.projected_30d_excess_usd - a.projected_30d_excess_usd ||
      a.account_id.localeCompare(b.account_id),
  );

  if (!request.dryRun) {
    for (const detector of request.detectors) {
      for (const day of detectorDays.get(detector) ?? []) {
        const dayFindings = result.findings.filter((f) => f.detector === detector && f.as_of === day);
        const key = findingsKey(detector, day);
        // `Finding Detected` when a finding id first appears in findings/. Published before the file
        // is written: a crash in between publishes again (same event id), never loses the event.
        if (ports.events && dayFindings.length > 0) {
          const known = new Set(findingIdsIn((await ports.store.get(key))?.body ?? ''));
          const fresh = dayFindings.filter((f) => !known.has(f.finding_id));
          await ports.events.publish(
            fresh.map((f) => ({
              id: `finding-${f.finding_id}`,
              detailType: 'Finding Detected',
              time: ports.clock.now().toISOString(),
              detail: f,
            })),
          );
        }
        await ports.store.put(key, dayFindings.map((f) => `${findingLine(f)}\n`).join(''));
      }
    }
  }
  return result;
}

/** How a run reads one case's daily figures: from a finding's context, or a series-only request. */
interface CaseDayRead {
  case_key: string;
  series: SeriesSubject;
  /** Fired on the newest evaluated day: the series is in that candidate's context (ref = its index). */
  fired: boolean;
  /** Where the context statement's result holds the series. */
  ref: string;
}

/**
 * The cases whose days this run records (docs/emails.md "The episode"): the live cases given and every key
 * that fired, each through its detector's newest evaluated day — whether or not it fired, so the
 * quiet days after a spike are recorded. A key that fired on that day has the series in its
 * finding's context; the others get a series-only request in the same context statement.
 */
function caseDayPlan(
  cases: CaseSubject[],
  candidates: Candidate[],
  detectorDays: Map<DetectorId, IsoDate[]>,
): CaseDayRead[] {
  const subjectOf = (c: Candidate): CaseSubject => {
    const model = c.detector === 'cache-miss' ? String(c.row.model) : null;
    const account = String(c.row.account_id);
    return {
      case_key: caseKey(c.detector, account, model),
      detector: c.detector,
      account_id: account,
      model,
    };
  };
  const subjects = new Map<string, CaseSubject>();
  for (const s of [...cases, ...candidates.map(subjectOf)])
    if (!subjects.has(s.case_key)) subjects.set(s.case_key, s);
  const reads: CaseDayRead[] = [];
  let seriesRef = candidates.length;
  for (const s of [...subjects.values()].sort((a, b) => a.case_key.localeCompare(b.case_key))) {
    const asOf = detectorDays.get(s.detector)?.at(-1);
    if (asOf === undefined) continue;
    const candidate = candidates.findIndex(
      (c) => String(c.row.as_of) === asOf && subjectOf(c).case_key === s.case_key,
    );
    const ref = String(candidate >= 0 ? candidate : seriesRef++);
    reads.push({
      case_key: s.case_key,
      series: { ref, detector: s.detector, account_id: s.account_id, model: s.model, as_of: asOf },
      fired: candidate >= 0,
      ref,
    });
  }
  return reads;
}

function buildFinding(
  c: Candidate,
  context: FindingContext,
  config: SentinelConfig,
  run: { dataThrough: IsoDate; firstCoveredDay: IsoDate | null; runId: string },
): Finding {
  const row = c.row;
  const windows = windowsOf(c.detector, config);
  const recentDays = recentDaysOf(row).recent_days ?? windows.recentDays;
  const w = asOfWindows(windows, String(row.as_of), recentDays);
  const accountId = String(row.account_id);
  const model = c.detector === 'cache-miss' ? String(row.model) : null;
  const kind = String(row.kind) as Finding['kind'];
  const baselineDays = Math.max(1, num(row.baseline_days_covered));
  // Rounded once, here, right after the SQL (docs/findings.md); everything below derives from these.
  const usd = (v: unknown) => roundUsd(num(v));
  const breakdown = roundBreakdown(context.breakdown);
  const series = roundSeries(
    denseSeries(w.as_of, SERIES_DAYS, run.firstCoveredDay, context.series, c.detector === 'cache-miss'),
  );
  const computeRecentDaily = roundUsd(context.computeRecent / recentDays);
  const computeBaselineDaily = roundUsd(context.computeBaseline / baselineDays);
  const common = {
    finding_id: findingId(c.detector, accountId, model, w.as_of),
    case_key: caseKey(c.detector, accountId, model),
    detector: c.detector,
    kind,
    ...w,
    account_id: accountId,
    account_name: str(row.account_name) ?? accountId,
    model,
    ...tokenSums(breakdown),
    compute_recent_avg_daily_usd: computeRecentDaily,
    compute_baseline_avg_daily_usd: computeBaselineDaily,
    series,
    breakdown,
    data_through: run.dataThrough,
    run_id: run.runId,
  };

  if (c.detector === 'runaway-inference') {
    const recentAvg = usd(row.recent_avg);
    const baselineAvg = usd(row.baseline_avg);
    const stddev = usd(row.baseline_stddev);
    const numbers = roundRunawayNumbers(runawayNumbers(kind, recentAvg, baselineAvg, stddev));
    const k = config.detectors['runaway-inference'].k;
    return {
      ...common,
      severity: severityOf(numbers.projected_30d_excess_usd, config),
      recent_avg_daily_usd: recentAvg,
      baseline_avg_daily_usd: baselineAvg,
      baseline_stddev_usd: stddev,
      ...numbers,
      started_on:
        startedOn(series, w.recent_start, { baselineAvg, baselineStddev: stddev, k }) ?? w.recent_start,
      diagnosis: runawayDiagnosis({
        kind,
        breakdown,
        recentDays,
        baselineDays,
        computeRecentDaily,
        computeBaselineDaily,
      }),
      cache_hit_ratio: null,
      baseline_cache_hit_ratio: null,
      uncached_input_cost_usd: null,
      avoidable_cost_usd: null,
    };
  }

  const avoidable = usd(row.avoidable_cost);
  const projected = roundUsd((avoidable * 30) / recentDays);
  const hitRatio = roundRatio(num(row.cache_hit_ratio));
  const baselineHit =
    row.baseline_cache_hit_ratio === null ? null : roundRatio(num(row.baseline_cache_hit_ratio));
  return {
    ...common,
    severity: severityOf(projected, config),
    recent_avg_daily_usd: roundUsd(num(row.recent_prompt_cost) / recentDays),
    baseline_avg_daily_usd: roundUsd(num(row.baseline_prompt_cost) / baselineDays),
    baseline_stddev_usd: null,
    spike_ratio: null,
    sigma: null,
    excess_daily_usd: roundUsd(avoidable / recentDays),
    projected_30d_excess_usd: projected,
    started_on: null,
    diagnosis: cacheDiagnosis({
      kind,
      hitRatio,
      baselineHitRatio: baselineHit,
      breakdown,
    }),
    cache_hit_ratio: hitRatio,
    baseline_cache_hit_ratio: baselineHit,
    uncached_input_cost_usd: usd(row.recent_input_cost),
    avoidable_cost_usd: avoidable,
    input_tokens: roundTokens(num(row.recent_input_tokens)),
    cache_read_tokens: roundTokens(num(row.recent_cache_read_tokens)),
    cache_write_tokens: roundTokens(num(row.recent_cache_write_tokens)),
    output_tokens: roundTokens(num(row.recent_output_tokens)),
  };
}
