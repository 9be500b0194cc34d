/** sql/missing-days.sql and the coverage count behind it: a missing delivery is named, never silent. */
import { describe, expect, it } from 'vitest';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { dataWindow } from '../../functions/core/detect/registry.js';
import { missingDaysSql } from '../../functions/core/detect/statement-sql.js';
import { BadInputError } from '../../functions/core/errors.js';
import { focusRow } from '../fixtures/focus-rows.js';
import { trinoSyntaxErrors } from './athena-trino.js';
import { detectOver, testConfig } from './harness.js';

const D = '2026-03-20';
const GAP = ['2026-03-05', '2026-03-06'];
const rows = (skip: string[]) =>
  dayRange(addDays(D, -59), D)
    .filter((day) => !skip.includes(day))
    .flatMap((day) => [
      focusRow({ chargeperiodstart: day, billedcost: 8 }),
      focusRow({
        chargeperiodstart: day,
        x_servicecode: 'AmazonS3',
        servicename: 'Amazon S3',
        billedcost: 3,
      }),
    ]);

describe('missing deliveries', () => {
  it('names the days on which the export has no charge at all', async () => {
    const result = await detectOver(rows(GAP), [D]);
    expect(result.warnings).toContainEqual(
      expect.stringContaining('no charge at all on 2026-03-05, 2026-03-06'),
    );
  });

  it('says nothing when every day has charges, even a day with no Bedrock spend', async () => {
    const quietBedrock = rows([]).filter(
      (r) => !(r.x_servicecode === 'AmazonBedrock' && r.chargeperiodstart === '2026-03-05'),
    );
    const result = await detectOver(quietBedrock, [D]);
    expect(result.warnings.filter((w) => w.includes('no charge at all'))).toEqual([]);
  });

  it('counts Usage rows only for the first covered day: a monthly Tax row dated the 1st is no delivery', async () => {
    const usageFrom = '2026-02-15';
    const usage = rows([]).filter((r) => r.chargeperiodstart >= usageFrom);
    const tax = focusRow({
      chargeperiodstart: '2026-02-01',
      x_servicecode: 'AWSTax',
      servicename: 'Tax',
      chargecategory: 'Tax',
      billedcost: 40,
    });
    const result = await detectOver([tax, ...usage], [D]);
    expect(result.firstCoveredDay).toBe(usageFrom);
    expect(result.warnings.filter((w) => w.includes('no charge at all'))).toEqual([]);
  });

  it('refuses an as-of day after today, naming the first covered day and newest charge (not stale)', async () => {
    // The harness clock says 2026-06-01.
    await expect(detectOver(rows([]), ['2026-06-05'])).rejects.toThrow(
      /as-of 2026-06-05 is after today \(2026-06-01\): the export covers 2026-01-20 \(first covered day\) … 2026-03-20 \(newest charge\)/,
    );
  });

  it('refuses an as-of day before the export began, naming the first covered day and newest charge', async () => {
    await expect(detectOver(rows([]), ['2025-10-01'])).rejects.toThrow(
      /as-of 2025-10-01 is before the export began: the export covers 2026-01-20 \(first covered day\) … 2026-03-20/,
    );
    const err = await detectOver(rows([]), ['2025-10-01']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
  });

  it('renders for Athena with the Trino grammar and prunes to the window’s periods', async () => {
    const config = testConfig();
    const window = dataWindow(['runaway-inference', 'cache-miss'], config, [D]);
    const sql = missingDaysSql(
      { dialect: 'athena', name: '"cur"."focus"', usageType: 'skumeter' },
      config,
      window,
      {
        start: window.start,
        end: D,
      },
    );
    expect(await trinoSyntaxErrors(sql)).toEqual([]);
    expect(sql).toContain("billing_period IN ('2026-02', '2026-03')");
    expect(sql).toContain("sequence(DATE '2026-02-12', DATE '2026-03-20', INTERVAL '1' DAY)");
  });
});
