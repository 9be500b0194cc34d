/** The Athena-bytes model of `npm run bench` (bench/athena-bytes.ts): what it counts per statement. */
import { describe, expect, it } from 'vitest';
import {
  ATHENA_MINIMUM_BYTES,
  builtRunStatements,
  type ExportLayout,
  originalStatement,
  prunedPeriods,
} from '../../bench/athena-bytes.js';
import { parseConfig } from '../../functions/core/config.js';
import { athenaFocusTable } from '../../functions/core/detect/statement-plan.js';

const PERIODS = ['2026-01', '2026-02', '2026-03'];
const COLUMNS = [
  'billedcost',
  'chargeperiodstart',
  'subaccountid',
  'resourceid',
  'tags',
  'chargedescription',
];
const MB = 1024 * 1024;

/** Every column 1 MB per period, `tags` 5 MB: enough to tell which columns and periods are counted. */
function layout(): ExportLayout {
  const bytes = new Map(
    PERIODS.map((p) => [p, new Map(COLUMNS.map((c) => [c, c === 'tags' ? 5 * MB : MB]))] as const),
  );
  return {
    bytes,
    rows: 3000,
    rowsByPeriod: new Map(PERIODS.map((p) => [p, 1000])),
    columns: new Set(COLUMNS),
    periods: PERIODS,
  };
}

describe('the Athena bytes of a weekly run as built (one scan per run)', () => {
  const config = parseConfig({ engine: 'athena', focus: 'cur.focus_export' });
  const focus = athenaFocusTable(config);

  it('reads the billing periods a statement prunes to, and every period without a predicate', () => {
    expect(prunedPeriods("SELECT 1 FROM t WHERE billing_period IN ('2026-02', '2026-03')")).toEqual([
      '2026-02',
      '2026-03',
    ]);
    expect(prunedPeriods('SELECT 1 FROM t')).toBeNull();
  });

  it('counts one read of the export (the staging CTAS); every other statement bills the 10 MB minimum', () => {
    const statements = builtRunStatements(focus, config, '2026-03-20', layout());
    const reads = statements.filter((s) => s.bytes > 0);
    expect(reads.map((s) => s.name)).toEqual(['staging']);
    // D−6 … D with the 36-day look-back: 2026-02-06 … 2026-03-20, two periods, and the detail columns.
    expect(reads[0]!.periods).toEqual(['2026-02', '2026-03']);
    expect(reads[0]!.columns).toEqual([
      'billedcost',
      'chargeperiodstart',
      'resourceid',
      'subaccountid',
      'tags',
    ]);
    expect(reads[0]!.bytes).toBe(2 * (4 * MB + 5 * MB));
    expect(statements.map((s) => s.name)).toEqual([
      'staging tables over information_schema',
      'staging',
      'coverage over the staging table',
      'runaway-inference over the staging table',
      'cache-miss over the staging table',
      'budget over the staging table',
      'context over the staging table',
      'prices over the staging table',
    ]);
    for (const s of statements.filter((x) => x.bytes === 0)) expect(s.billedBytes).toBe(ATHENA_MINIMUM_BYTES);
  });

  it('counts the original query over every period, its own columns only', () => {
    const original = originalStatement(focus, '2026-03-20', layout());
    expect(original.periods).toEqual(PERIODS);
    expect(original.columns).not.toContain('resourceid');
  });
});
