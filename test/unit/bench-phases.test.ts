/** The phases of a whole `detect` process (bench/phases.ts): what each statement counts toward. */
import { describe, expect, it } from 'vitest';
import { medianPhases, phasesOf, type Stamps } from '../../bench/phases.js';

const statement = (text: string, start: number, end: number) => ({ text, start, end });

const run: Stamps = {
  loaded: 140,
  statements: [
    statement("SET TimeZone = 'UTC'", 180, 181),
    statement('DESCRIBE SELECT * FROM read_parquet([…])', 182, 186),
    statement('CREATE OR REPLACE VIEW focus AS SELECT …', 187, 189),
    statement('-- Coverage of the export over the periods …', 195, 215),
    statement('CREATE OR REPLACE TABLE run_staging AS -- Staging, …', 194, 250),
    statement('SELECT unknown_unit, sum(row_count) AS row_count …', 255, 257),
    statement('-- Detector runaway-inference (docs/detection.md …', 256, 290),
    statement('-- Unit prices from the bill for the hourly watch …', 257, 280),
    statement('-- Detector cache-miss (docs/detection.md …', 257, 320),
    statement('-- Detector budget (docs/detection.md …', 257, 300),
    statement('-- Context of the findings a run raised …', 326, 340),
  ],
  exit: 372,
};

describe('phasesOf', () => {
  it('splits a run at the statements that read the export, the ones sent together, and the context', () => {
    expect(phasesOf(run)).toEqual({
      loaded: 140,
      open: 54, // binding loaded → the first statement reading the export (staging, at 194)
      staging: 56,
      coverage: 20,
      together: 65, // unit check in at 255 → cache-miss out at 320
      longest: { name: 'cache-miss', ms: 63 },
      context: 20, // the last of those out (320) → the context out (340)
      tail: 32, // the last statement out → exit
      total: 372,
    });
  });

  it('reads the start-up probe, which sends one statement, as loading and opening only', () => {
    const probe = phasesOf({ loaded: 150, statements: [statement('SELECT 1', 190, 191)], exit: 192 });
    expect(probe).toMatchObject({
      loaded: 150,
      open: 41,
      staging: null,
      together: null,
      tail: null,
      total: 192,
    });
  });

  it('takes the median of each phase and the statement most often the longest', () => {
    const slower = { ...run, exit: 400, statements: run.statements.map((s) => ({ ...s })) };
    const runaway = {
      ...run,
      statements: run.statements.map((s) => (s.text.includes('runaway') ? { ...s, end: 330 } : s)),
    };
    const m = medianPhases([phasesOf(run), phasesOf(slower), phasesOf(runaway)]);
    expect(m.total).toBe(372);
    expect(m.longest).toEqual({ name: 'cache-miss', ms: 63 });
  });
});
