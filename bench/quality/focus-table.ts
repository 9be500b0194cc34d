/**
 * Loads scenario rows into a DuckDB table `focus` shaped like the Glue FOCUS table (the columns the
 * detectors and the original query read), with DuckDB's appender: hundreds of thousands of rows a
 * second, where VALUES inserts manage a few thousand.
 */
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { FocusTable } from '../../functions/core/detect/statement-sql.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';

export const BENCH_FOCUS: FocusTable = {
  dialect: 'duckdb',
  name: 'focus',
  usageType: 'coalesce(skumeter, x_usagetype)',
};

const LOADED_COLUMNS = `billing_period VARCHAR, chargeperiodstart TIMESTAMP, subaccountid VARCHAR,
  subaccountname VARCHAR, servicename VARCHAR, x_servicecode VARCHAR, x_operation VARCHAR, skumeter VARCHAR,
  x_usagetype VARCHAR, chargecategory VARCHAR, chargeclass VARCHAR, billedcost DOUBLE, effectivecost DOUBLE,
  consumedquantity DOUBLE, consumedunit VARCHAR, pricingunit VARCHAR, regionid VARCHAR, resourceid VARCHAR`;

/** Replaces table `focus` with `rows`. Tag sets repeat, so each distinct set becomes a MAP once. */
export async function loadFocus(engine: DuckDbQueryEngine, rows: readonly FocusRow[]): Promise<void> {
  const connection = engine.connection;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE focus_loaded (${LOADED_COLUMNS}, tag_set INTEGER, chargedescription VARCHAR)`,
  );
  const appender = await connection.createAppender('focus_loaded');
  const text = (value: string | null | undefined) =>
    value == null ? appender.appendNull() : appender.appendVarchar(value);
  const number = (value: number | null | undefined) =>
    value == null || Number.isNaN(value) ? appender.appendNull() : appender.appendDouble(value);
  const tagSets = new Map<string, number>();
  for (const row of rows) {
    text(row.chargeperiodstart.toISOString().slice(0, 7));
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(row.chargeperiodstart.getTime()) * 1000n));
    text(row.subaccountid);
    text(row.subaccountname);
    text(row.servicename);
    text(row.x_servicecode);
    text(row.x_operation);
    text(row.skumeter);
    text(row.x_usagetype ?? null);
    text(row.chargecategory);
    text(row.chargeclass);
    number(row.billedcost);
    number(row.effectivecost);
    number(row.consumedquantity);
    text(row.consumedunit);
    text(row.pricingunit);
    text(row.regionid);
    text(row.resourceid);
    const json = JSON.stringify(row.tags);
    let tagSet = tagSets.get(json);
    if (tagSet === undefined) {
      tagSet = tagSets.size;
      tagSets.set(json, tagSet);
    }
    appender.appendInteger(tagSet);
    text(row.chargedescription);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run('CREATE OR REPLACE TEMP TABLE focus_tag_sets (tag_set INTEGER, tags_json VARCHAR)');
  const tagAppender = await connection.createAppender('focus_tag_sets');
  for (const [json, id] of tagSets) {
    tagAppender.appendInteger(id);
    tagAppender.appendVarchar(json);
    tagAppender.endRow();
  }
  tagAppender.closeSync();
  await connection.run(
    `CREATE OR REPLACE TABLE focus AS
     SELECT l.* EXCLUDE (tag_set, chargedescription), t.tags, l.chargedescription
     FROM focus_loaded l
     JOIN (SELECT tag_set, CAST(CAST(tags_json AS JSON) AS MAP(VARCHAR, VARCHAR)) AS tags FROM focus_tag_sets) t
       USING (tag_set)`,
  );
  await connection.run('DROP TABLE focus_loaded');
  await connection.run('DROP TABLE focus_tag_sets');
}
