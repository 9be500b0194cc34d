/**
 * The context of what fired (docs/detection.md "Runaway inference" and "Cache miss"): one statement for every flagged finding of the run —
 * breakdowns by token class, usage type, resource, region and tag, the daily series, and compute
 * spend — read back into one context per finding, each list in the SQL's ranking order; and the
 * daily series of the run's live cases that did not fire on the newest evaluated day (docs/emails.md).
 */
import type { SentinelConfig } from '../config.js';
import type { QueryEngine, Row } from '../ports.js';
import type { Breakdown, BreakdownEntry, DetectorId, IsoDate } from '../types.js';
import { emptyBreakdown } from './findings.js';
import { num } from './row-values.js';
import { contextRequest, contextStatement, seriesRequest } from './statement-plan.js';
import type { ContextRequest, FocusTable } from './statement-sql.js';
import type { DataWindow } from './windows.js';

/** A detector row that fired, before it becomes a finding. */
export interface Candidate {
  detector: DetectorId;
  row: Row;
}

export interface FindingContext {
  breakdown: Breakdown;
  series: Map<IsoDate, { cost: number; promptTokens: number; cacheReadTokens: number }>;
  computeRecent: number;
  computeBaseline: number;
}

export const emptyContext = (): FindingContext => ({
  breakdown: emptyBreakdown(),
  series: new Map(),
  computeRecent: 0,
  computeBaseline: 0,
});

function contextRequestOf(c: Candidate, ref: string, config: SentinelConfig): ContextRequest {
  return contextRequest(
    c.detector,
    config,
    {
      as_of: String(c.row.as_of),
      account_id: String(c.row.account_id),
      model: c.detector === 'cache-miss' ? String(c.row.model) : null,
      baseline_days_covered: num(c.row.baseline_days_covered),
      ...recentDaysOf(c.row),
    },
    ref,
  );
}

/** A live case whose daily series the run reads as of its detector's newest evaluated day (docs/emails.md). */
export interface SeriesSubject {
  /** Its ref in the context statement's result (after the candidates' refs `0 … n−1`). */
  ref: string;
  detector: DetectorId;
  account_id: string;
  model: string | null;
  as_of: IsoDate;
}

/** The run's one context statement: each candidate's context under ref `i` (its index), each series subject's under its ref. */
export async function readContext(
  ports: { engine: QueryEngine; focus: FocusTable },
  config: SentinelConfig,
  window: DataWindow,
  candidates: Candidate[],
  series: SeriesSubject[] = [],
): Promise<Map<string, FindingContext>> {
  const requests = [
    ...candidates.map((c, i) => contextRequestOf(c, String(i), config)),
    ...series.map((s) => seriesRequest(s, s.as_of, s.ref)),
  ];
  const statement = contextStatement(ports.focus, config, window, requests);
  const rows = await ports.engine.query(statement.sql, { label: statement.label });
  const contexts = new Map<string, FindingContext>();
  for (const row of rows) {
    const ref = String(row.finding_ref);
    let context = contexts.get(ref);
    if (!context) {
      context = emptyContext();
      contexts.set(ref, context);
    }
    const dimension = String(row.dimension);
    if (dimension === 'series') {
      context.series.set(String(row.dimension_key), {
        cost: num(row.recent_cost),
        promptTokens: num(row.recent_tokens),
        cacheReadTokens: num(row.recent_cache_read_tokens),
      });
    } else if (dimension === 'compute') {
      context.computeRecent = num(row.recent_cost);
      context.computeBaseline = num(row.baseline_cost);
    } else {
      const entry: BreakdownEntry = {
        key: String(row.dimension_key),
        recent_cost_usd: num(row.recent_cost),
        baseline_cost_usd: num(row.baseline_cost),
        recent_tokens: num(row.recent_tokens),
      };
      context.breakdown[dimension as keyof Breakdown].push(entry);
    }
  }
  // Keep each list in the SQL's ranking order.
  for (const [ref, context] of contexts) {
    const request = requests[Number(ref)]!;
    for (const list of Object.values(context.breakdown) as BreakdownEntry[][]) {
      list.sort((a, b) => rankValue(b, request) - rankValue(a, request) || a.key.localeCompare(b.key));
    }
  }
  return contexts;
}

function rankValue(entry: BreakdownEntry, request: ContextRequest): number {
  if (request.rank_by === 'uncached_input') return entry.recent_tokens;
  return entry.recent_cost_usd / request.recent_days - entry.baseline_cost_usd / request.baseline_days;
}

/** The recent window that fired, where the row names one (cache-miss: 7 days or the short window). */
export const recentDaysOf = (row: Row): { recent_days?: number } =>
  row.recent_days === undefined || row.recent_days === null ? {} : { recent_days: num(row.recent_days) };
