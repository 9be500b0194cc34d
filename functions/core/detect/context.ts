/**
 * The context of what fired (docs/detection.md "Runaway inference" and "Cache miss"): one statement for
 * every flagged finding of the run — breakdowns by token class, usage type, resource, region and tag,
 * the daily series, and compute spend — read back into one context per finding, each list in the
 * SQL's ranking order; and the daily series of the run's live cases that did not fire on the newest
 * evaluated day (docs/emails.md "The episode"). Pure: the run plan sends the statement.
 */
import type { Row } from '../ports.js';
import type { BreakdownEntry, DetectorId, IsoDate } from '../types.js';
import type { DetectorRow, FindingContext } from './detector.js';
import { emptyBreakdown } from './findings.js';
import { num } from './row-values.js';
import type { ContextRequest } from './statement-sql.js';

export type { FindingContext };

/** A detector row that fired, before it becomes a finding. */
export interface Candidate {
  detector: DetectorId;
  row: DetectorRow;
}

export const emptyContext = (): FindingContext => ({
  breakdown: emptyBreakdown(),
  series: new Map(),
  computeRecent: 0,
  computeBaseline: 0,
  month: null,
});

/** A live case whose daily series the run reads as of its detector's newest evaluated day (docs/emails.md). */
export interface SeriesSubject {
  /** Its ref in the context statement's result (after the candidates' refs `0 … n−1`). */
  ref: string;
  detector: DetectorId;
  account_id: string;
  model: string | null;
  as_of: IsoDate;
  /** Fired on that day: its series is in the finding's context (`ref` is the candidate's index). */
  fired: boolean;
}

/** The context statement's rows, one context per request ref, each list in the SQL's ranking order. */
export function contextsOf(rows: Row[], requests: ContextRequest[]): Map<string, FindingContext> {
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
    } else if (dimension === 'month') {
      context.month = {
        mtd: num(row.recent_cost),
        lastMonth: num(row.baseline_cost),
        runRateSum: num(row.recent_tokens),
        daysAfter: num(row.recent_cache_read_tokens),
      };
    } else {
      const entry: BreakdownEntry = {
        key: String(row.dimension_key),
        recent_cost_usd: num(row.recent_cost),
        baseline_cost_usd: num(row.baseline_cost),
        recent_tokens: num(row.recent_tokens),
      };
      context.breakdown[dimension as keyof FindingContext['breakdown']].push(entry);
    }
  }
  const byRef = new Map(requests.map((r) => [r.ref, r]));
  for (const [ref, context] of contexts) {
    const request = byRef.get(ref);
    if (!request) continue;
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
