/**
 * In-process profile of one detection run: time per statement, and the floor of the staging scan
 * (a bare read of the columns it needs over the same periods), each against an in-process bare
 * scan of the cost column over the whole export.
 */
import { LocalDirBlobStore } from '../functions/adapters/blob-store/local-dir.js';
import { openDuckDbFocus } from '../functions/adapters/query-engine/duckdb-focus.js';
import { parseConfig } from '../functions/core/config.js';
import { addDays } from '../functions/core/dates.js';
import { BILL_DETECTORS, dataWindow } from '../functions/core/detect/registry.js';
import { runDetection } from '../functions/core/detect/run-detection.js';
import { silentLogger } from '../functions/core/log.js';
import { fixedClock } from '../functions/core/ports.js';
import { MACROS } from '../functions/core/sql/dialect.js';
import { sqlSource } from '../functions/core/sql/render.js';
import type { IsoDate } from '../functions/core/types.js';
import { median } from './processes.js';

const ms = (since: number) => performance.now() - since;

/** The in-process floor of the local-speed target: what DuckDB's plan must decode. */
export const PLAN_FLOOR = 'floor: decode what the plan reads (Bedrock rows, compute rows, coverage columns)';
/** The same floor over the as-of day's billing period alone (what an incremental store would still read). */
export const CURRENT_PERIOD_FLOOR = "floor: the same, the as-of day's billing period only";

export async function profileRun(
  exportDir: string,
  asOf: IsoDate,
  outDir: string,
  rounds: number,
): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>();
  const add = (label: string, value: number) => samples.set(label, [...(samples.get(label) ?? []), value]);
  const config = parseConfig({ focus: exportDir });
  // Every detector over the bill (budget included) and the watch's price table, as a run has them.
  const window = dataWindow([...BILL_DETECTORS], config, [asOf]);
  const listed = (periods: string[]) => periods.map((p) => `'${p}'`).join(', ');
  const staging = [
    'subaccountid',
    'subaccountname',
    'chargeperiodstart',
    'billedcost',
    'consumedquantity',
    'consumedunit',
    'pricingunit',
    'skumeter',
    'servicename',
    'x_operation',
    'x_servicecode',
    'chargecategory',
    'chargeclass',
    'regionid',
    'resourceid',
    'tags',
  ];
  const read = (columns: string[], periods = window.periods) =>
    `SELECT ${columns.map((c) => (c === 'tags' ? 'count(tags)' : `max(${c})`)).join(', ')} FROM focus WHERE billing_period IN (${listed(periods)})`;
  for (let round = 0; round < rounds; round++) {
    const opened = await openDuckDbFocus(config, silentLogger());
    const engine = opened.engine;
    try {
      const floor = async (label: string, sql: string) => {
        const started = performance.now();
        await engine.query(sql);
        add(label, ms(started));
      };
      await floor('bare scan: sum(billedcost), every period', 'SELECT sum(billedcost) FROM focus');
      const query = engine.query.bind(engine);
      const execute = engine.execute.bind(engine);
      engine.query = async (sql, options) => {
        const started = performance.now();
        const rows = await query(sql, options);
        add(`statement: ${options?.label ?? 'query'}`, ms(started));
        return rows;
      };
      engine.execute = async (sql, options) => {
        const started = performance.now();
        await execute(sql, options);
        add(`statement: ${options?.label ?? 'statement'}`, ms(started));
      };
      const started = performance.now();
      await runDetection(
        {
          engine,
          focus: opened.focus,
          store: new LocalDirBlobStore(outDir),
          clock: fixedClock(`${asOf}T12:00:00Z`),
          log: silentLogger(),
        },
        config,
        {
          asOfDays: [asOf],
          detectors: [...BILL_DETECTORS],
          runId: 'bench-profile',
          command: 'detect',
          dryRun: true,
          recurringExemptionOff: [],
        },
      );
      // The run sends the prices statement itself (sql/prices.sql, prices/latest.json), beside the detectors.
      add('whole runDetection (prices included)', ms(started));
      engine.query = query;
      engine.execute = execute;
      await floor('floor: read the staging columns, same periods', read(staging));
      await floor('floor: the same without resourceid', read(staging.filter((c) => c !== 'resourceid')));
      // What DuckDB's plan must decode and nothing more (docs/architecture.md "One scan per run"): the
      // service codes found by the name and ARN tests (one column each), the staging columns of the
      // window's rows of those codes in one scan, the compute columns of its compute rows, and coverage's
      // columns of every row; no classification, no grouping.
      // The rule's own pieces (sql/partials/, the in_list macro), so the floor tests what staging tests.
      const partial = (name: string) => sqlSource(`partials/${name}`).trim();
      const bedrockCodes = `${partial('bedrock_codes')}, 'AmazonBedrockAgentCore'`;
      const codes = MACROS.duckdb.in_list('x_servicecode', bedrockCodes);
      const byName = partial('bedrock_by_name');
      const planFloor = async (periods: string[], start: IsoDate, end: IsoDate): Promise<number> => {
        const inWindow = `billing_period IN (${listed(periods)}) AND chargeperiodstart >= DATE '${start}' AND chargeperiodstart < DATE '${addDays(end, 1)}'`;
        const started = performance.now();
        const found = [
          ...(await engine.query(
            `SELECT DISTINCT x_servicecode AS code FROM focus WHERE ${inWindow} AND NOT coalesce(${codes}, FALSE) AND ${byName}`,
          )),
          ...(await engine.query(
            `SELECT DISTINCT x_servicecode AS code FROM focus WHERE ${inWindow} AND NOT coalesce(${codes}, FALSE) AND NOT coalesce(${byName}, FALSE) AND ${partial('bedrock_by_arn')}`,
          )),
        ]
          .map((row) => row.code)
          .filter((code): code is string => typeof code === 'string')
          .map((code) => `'${code.replaceAll("'", "''")}'`);
        await engine.query(
          `${read(staging, periods)} AND ${inWindow} AND ${MACROS.duckdb.in_list('x_servicecode', [bedrockCodes, ...found].join(', '))}`,
        );
        await engine.query(
          `${read(staging, periods)} AND ${inWindow} AND x_servicecode IS NULL AND (${byName} OR ${partial('bedrock_by_arn')})`,
        );
        await engine.query(
          `${read(['subaccountid', 'subaccountname', 'chargeperiodstart', 'billedcost', 'x_servicecode', 'chargecategory', 'chargeclass'], periods)} AND ${inWindow} AND ${MACROS.duckdb.in_list('x_servicecode', partial('compute_codes'))}`,
        );
        await engine.query(
          read(
            ['billing_period', 'chargeperiodstart', 'chargecategory', 'subaccountid', 'billedcost'],
            periods,
          ),
        );
        return ms(started);
      };
      add(PLAN_FLOOR, await planFloor(window.periods, window.start, window.end));
      // The same over the as-of day's billing period alone, from its first day: what a run must still
      // decode if earlier periods were kept as daily aggregates between runs: AWS rewrites the current
      // month's files on every refresh (and may restate recent days), so such a store re-reads it whole.
      const period = asOf.slice(0, 7);
      add(CURRENT_PERIOD_FLOOR, await planFloor([period], `${period}-01` as IsoDate, window.end));
    } finally {
      await engine.close();
    }
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]));
}
