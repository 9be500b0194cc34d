/**
 * The demo's hourly part (docs/watch.md): prices from the demo's bill (sql/prices.sql over a staging read
 * of the export, written to `<out>/prices/latest.json` as a detection run will), then the watch's rule
 * over `metrics/hourly.jsonl` for every hour of the demo's as-of days, and the tally beside the bill's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileMetricsSource } from '../adapters/metrics/file.js';
import type { SentinelConfig } from '../core/config.js';
import { addDays } from '../core/dates.js';
import { buildPriceTable, PRICES_KEY, Pricing, pricesSql } from '../core/detect/prices.js';
import { dataWindow } from '../core/detect/registry.js';
import { STAGING_TABLE, stagingSql } from '../core/detect/statement-sql.js';
import { evaluateWatch, watchRuleParams } from '../core/detect/watch-rule.js';
import { HOUR_MS, hourIso, hourMs } from '../core/hours.js';
import type { Logger } from '../core/log.js';
import type { IsoDate } from '../core/types.js';
import type { Tally } from '../synthetic/tally.js';
import { tallyWatch, watchTallyLines } from '../synthetic/watch-tally.js';
import type { SyntheticOutput } from '../synthetic/write-organization.js';

export async function watchDemo(input: {
  config: SentinelConfig;
  out: string;
  org: SyntheticOutput;
  asOfDays: IsoDate[];
  tally: Tally;
  log: Logger;
}): Promise<{
  lines: string[];
  clean: boolean;
  /** An account's Bedrock cost in one hour (ms), priced by the bill: null without metrics. */
  hourlyCost: ((accountId: string, hourMs: number) => number) | null;
  /** The end of the hours read (ms, exclusive). */
  until: number;
}> {
  const { config, org, asOfDays } = input;
  const until = Date.parse(`${addDays(asOfDays[asOfDays.length - 1]!, 1)}T00:00:00Z`);
  if (!org.metricsFile) return { lines: [], clean: true, hourlyCost: null, until };
  const first = asOfDays[0]!;
  const last = asOfDays[asOfDays.length - 1]!;

  const { openDuckDbFocus } = await import('../adapters/query-engine/duckdb-focus.js');
  const { engine, focus } = await openDuckDbFocus(config, input.log);
  const window = dataWindow(['runaway-inference'], config, asOfDays);
  let table: ReturnType<typeof buildPriceTable>;
  try {
    await engine.execute(
      `CREATE OR REPLACE TABLE ${STAGING_TABLE} AS ${stagingSql(focus, config, window, true)}`,
    );
    const rows = await engine.query(
      pricesSql(focus.dialect, { staging: STAGING_TABLE, start: window.start, end: window.end }),
    );
    table = buildPriceTable(rows, {
      computedAt: `${addDays(last, 2)}T06:00:00Z`,
      runId: null,
      window: { start: window.start, end: window.end },
      costColumn: config.cost_column,
    });
  } finally {
    await engine.close();
  }
  const pricesFile = join(input.out, ...PRICES_KEY.split('/'));
  mkdirSync(dirname(pricesFile), { recursive: true });
  writeFileSync(pricesFile, `${JSON.stringify(table)}\n`);

  const { loadListPrices } = await import('../adapters/list-prices.js');
  const pricing = new Pricing(table, await loadListPrices());
  const evaluate = { from: `${first}T00:00:00Z`, to: `${addDays(last, 1)}T00:00:00Z` };
  const source = new FileMetricsSource(org.metricsFile);
  const coveredFrom = `${org.start}T00:00:00Z`;
  const rows = await source.hourly({
    from: hourIso(Math.max(hourMs(coveredFrom), hourMs(evaluate.from) - 16 * 24 * HOUR_MS)),
    to: evaluate.to,
  });
  const result = evaluateWatch({
    rows,
    pricing,
    evaluate,
    coveredFrom,
    params: watchRuleParams(config.watch),
    severity: config.severity,
  });
  const cost = new Map<string, number>();
  for (const row of rows) {
    const p = pricing.resolve(row.account_id, row.model_id).usd_per_million;
    const usd =
      ((row.input_tokens ?? 0) * (p.input ?? 0) +
        (row.output_tokens ?? 0) * (p.output ?? 0) +
        (row.cache_read_tokens ?? 0) * (p.cache_read ?? 0) +
        (row.cache_write_tokens ?? 0) * (p.cache_write ?? 0)) /
      1e6;
    const key = `${row.account_id}|${hourMs(row.hour)}`;
    cost.set(key, (cost.get(key) ?? 0) + usd);
  }
  const hourlyCost = (account: string, at: number) => cost.get(`${account}|${at}`) ?? 0;
  const watch = tallyWatch({
    labels: org.labels,
    findings: result.findings,
    bill: input.tally.incidents,
    hourlyCost,
    exportLagDays: config.export_lag_days,
  });
  const lines = [
    `The hourly watch over ${source.describe()} (every hour of the same days, ${result.accounts} accounts), priced by the bill (${pricesFile}):`,
    ...watchTallyLines(watch),
  ];
  const clean = watch.incidents.every((i) => i.firedAt !== null) && watch.falseFindings.length === 0;
  return { lines, clean, hourlyCost, until };
}
