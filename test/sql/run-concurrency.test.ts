/**
 * Statements a run sends at once (functions/core/detect/run-plan.ts `alongside`, docs/architecture.md
 * "One scan per run"): DuckDB's staging with its coverage, then the detectors, the unit check and the
 * prices; their rows read in plan order, a failure in a group failing the run once all answered.
 */
import { describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { DetectResult } from '../../functions/core/detect/contract.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../functions/core/log.js';
import type { QueryEngine } from '../../functions/core/ports.js';
import { fixedClock } from '../../functions/core/ports.js';
import { MemoryBlobStore } from '../fixtures/case-ports.js';
import { type FixtureRow, tokenRow } from '../fixtures/focus-rows.js';
import { DUCKDB_FOCUS, testConfig, withFocus } from './harness.js';

const D = '2026-03-20';

/** 40 quiet days at $10 and a loop at $200 on the last three: one runaway finding. */
function loop(): FixtureRow[] {
  const rows: FixtureRow[] = [];
  for (let i = 40; i >= 0; i--) {
    const day = new Date(Date.parse(`${D}T00:00:00Z`) - i * 86_400_000).toISOString().slice(0, 10);
    const cost = i < 3 ? 200 : 10;
    rows.push(tokenRow(day, 'input', cost * 200_000, 5));
  }
  return rows;
}

interface Sent {
  label: string;
  started: number;
  /** Statements in flight when this one was sent (itself included). */
  inFlight: number;
}

async function detect(fail?: string): Promise<{ sent: Sent[]; result?: DetectResult; error?: Error }> {
  const sent: Sent[] = [];
  let inFlight = 0;
  let clock = 0;
  return withFocus(loop(), async (engine) => {
    const track = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      inFlight += 1;
      sent.push({ label, started: clock++, inFlight });
      try {
        if (label === fail) throw new Error(`${label} broke`);
        return await work();
      } finally {
        inFlight -= 1;
      }
    };
    const recording: QueryEngine = {
      kind: 'query-engine',
      name: engine.name,
      dialect: engine.dialect,
      query: (sql, options) => track(options?.label ?? 'query', () => engine.query(sql, options)),
      execute: (sql, options) => track(options?.label ?? 'statement', () => engine.execute(sql, options)),
      stats: () => engine.stats(),
      close: () => engine.close(),
    };
    try {
      const result = await runDetection(
        {
          engine: recording,
          focus: DUCKDB_FOCUS,
          store: new MemoryBlobStore(),
          clock: fixedClock(`${D}T12:00:00Z`),
          log: silentLogger(),
        },
        testConfig(),
        {
          asOfDays: [D],
          detectors: ['runaway-inference', 'cache-miss', 'budget'],
          runId: 'run-1',
          command: 'detect',
          dryRun: false,
          recurringExemptionOff: [],
        },
      );
      return { sent, result };
    } catch (error) {
      return { sent, error: error as Error };
    }
  });
}

describe('statements sent at once', () => {
  it('sends staging with coverage, then the unit check, detectors and prices together, then the context', async () => {
    const { sent, result } = await detect();
    expect(sent.map((s) => s.label)).toEqual([
      'staging',
      'coverage',
      'unit check',
      'runaway-inference',
      'cache-miss',
      'budget',
      'prices',
      'context',
    ]);
    const inFlight = Object.fromEntries(sent.map((s) => [s.label, s.inFlight]));
    expect(inFlight).toMatchObject({ staging: 1, coverage: 2, 'unit check': 1, prices: 5, context: 1 });
    expect(result!.findings.map((f) => [f.detector, f.kind, f.account_id])).toContainEqual([
      'runaway-inference',
      'runaway',
      '111111111111',
    ]);
  });

  it('fails the run on a failure inside a group, once the group answered, and sends nothing after it', async () => {
    const { sent, error } = await detect('cache-miss');
    expect(error?.message).toMatch(/cache-miss broke/);
    expect(sent.map((s) => s.label)).not.toContain('context');
    expect(sent.map((s) => s.label)).toContain('prices');
  });

  it('turns a failure of the prices (a tolerant step) into a warning, and the run goes on', async () => {
    const { sent, result } = await detect('prices');
    expect(result!.warnings.join('\n')).toMatch(/could not read the bill's prices.*prices broke/);
    expect(sent.at(-1)!.label).toBe('context');
    expect(result!.findings.length).toBeGreaterThan(0);
  });
});

describe('DuckDB engine, statements at once', () => {
  it('runs them on connections of their own, each in UTC, over the same tables', async () => {
    const engine = await DuckDbQueryEngine.open();
    try {
      await engine.execute('CREATE TABLE shared AS SELECT 42 AS answer');
      const answers = await Promise.all(
        [1, 2, 3, 4].map(() =>
          engine.query(`SELECT current_setting('TimeZone') AS zone, (SELECT answer FROM shared) AS answer`),
        ),
      );
      expect(answers.flat()).toEqual(Array(4).fill({ zone: 'UTC', answer: 42 }));
    } finally {
      await engine.close();
    }
  });
});
