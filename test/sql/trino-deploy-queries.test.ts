/**
 * DEPLOY.md "Querying findings and cases" on a real Trino (Athena engine v3 is Trino-based), over the
 * case events the pipeline writes: every query runs, and "spend flagged per month" counts an ended
 * three-day spike at what it cost above its baseline, not at the 30-day projection of its first day.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import type { CaseEvent } from '../../functions/core/cases/model.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { addDays } from '../../functions/core/dates.js';
import { trinoTableDdl } from '../../functions/core/sql/ddl.js';
import { testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';
import { createSchema, localDir, localUri, trinoEngine } from './trino-tables.js';

const SCHEMA = 'sentinel_deploy_queries';
const root = join(import.meta.dirname, '..', '..');
/** The spike: three days at $133 on a $7.32 baseline, 3–5 Mar, then back to the baseline. */
const BASELINE = 7.32;
const SPIKE = 133;
const SPIKE_DAYS = ['2026-03-03', '2026-03-04', '2026-03-05'];

/** The SQL blocks of DEPLOY.md's query section, each under the bold title before it. */
function deployQueries(): Map<string, string> {
  const deploy = readFileSync(join(root, 'DEPLOY.md'), 'utf8');
  const section = /^## Querying findings and cases\n([\s\S]*?)^## /m.exec(deploy)?.[1] ?? '';
  const queries = new Map<string, string>();
  for (const m of section.matchAll(/\*\*([^*]+)\*\*[\s\S]*?```sql\n([\s\S]*?)```/g)) {
    queries.set(
      m[1]!,
      m[2]!
        .trim()
        .replace(/;$/, '')
        .replace(/\bsentinel_prod\./g, `hive."${SCHEMA}".`),
    );
  }
  return queries;
}

let trino: TrinoQueryEngine;
let events: CaseEvent[];

beforeAll(async () => {
  // Detection fires as of each spike day; every run also reads the account's daily cost for the case.
  const findings = SPIKE_DAYS.map((asOf) =>
    makeFinding({ asOf, recent: SPIKE, baseline: BASELINE, account: '333333333333' }),
  );
  const t = testPorts({
    now: '2026-03-05T06:00:00Z',
    findings,
    dailyCost: (date) => (SPIKE_DAYS.includes(date) ? SPIKE : BASELINE),
  });
  // One scheduled run a day: as-of 3 Mar (the first spike day) through 8 Mar (the third quiet day).
  for (let day = 0; day < 6; day++) {
    t.clock.set(`${addDays('2026-03-05', day)}T06:00:00Z`);
    await runPipeline(t.ports, t.config, { command: 'scheduled-detect' });
  }
  const dir = mkdtempSync(join(localDir('deploy-queries'), 'store-'));
  events = [];
  for (const [key, body] of t.store.blobs) {
    if (!key.startsWith('case-events/')) continue;
    events.push(JSON.parse(body) as CaseEvent);
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), body);
  }
  trino = trinoEngine(SCHEMA);
  await createSchema(trino, SCHEMA);
  await trino.execute(`DROP TABLE IF EXISTS hive."${SCHEMA}"."case_events"`);
  await trino.execute(
    trinoTableDdl('case_events', { catalog: 'hive', schema: SCHEMA, location: localUri(dir) }),
  );
  await trino.execute(`CALL hive.system.sync_partition_metadata('${SCHEMA}', 'case_events', 'ADD')`);
});

describe('DEPLOY.md "Querying findings and cases" on Trino', () => {
  it('has the three queries, and each runs', async () => {
    const queries = deployQueries();
    expect([...queries.keys()]).toEqual(['Open cases by owner', 'Spend flagged per month', 'Time to answer']);
    for (const [title, sql] of queries) {
      await expect(trino.query(sql, { label: title }), title).resolves.toBeDefined();
    }
  });

  it('counts the ended spike at its excess so far ($377.04), not the 30-day projection of its first day', async () => {
    const opened = events.find((e) => e.detail_type === 'Case Opened')!;
    const resolved = events.find((e) => e.detail_type === 'Case Resolved')!;
    const excess = Math.round(SPIKE_DAYS.length * (SPIKE - BASELINE) * 100) / 100;
    // The opening told the first day's rate and its projection; the resolution what the spike cost.
    expect(opened).toMatchObject({ ongoing: true, latest_daily_usd: SPIKE });
    expect(opened.projected_30d_excess_usd).toBeCloseTo(30 * (SPIKE - BASELINE), 2);
    expect(resolved).toMatchObject({ ongoing: false, end_day: '2026-03-06', spike_from: '2026-03-03' });
    expect(resolved.excess_so_far_usd).toBeCloseTo(excess, 2);

    const rows = await trino.query(deployQueries().get('Spend flagged per month')!);
    expect(rows).toEqual([
      { month: '2026-03', detector: 'runaway-inference', episodes: 1, still_running: 0, flagged_usd: excess },
    ]);
  });
});
