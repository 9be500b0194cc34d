/**
 * Athena's two parsers (docs/athena-sql.md): DDL (`CREATE EXTERNAL TABLE`, `DROP TABLE`, `ALTER`) goes
 * through Hive's grammar, which quotes with backticks; queries and CTAS through Trino's, which quotes
 * with double quotes. Trino itself takes `DROP TABLE "db"."t"`; Athena refuses it. Every statement the
 * Athena engine sends is parsed here by the grammar Athena would use (the end-to-end test does the
 * same for every statement of a real run: test/integration/handlers-aws.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { printedPlan } from '../../functions/core/detect/run-plan.js';
import { dropTableSql, type FocusTable } from '../../functions/core/detect/statement-sql.js';
import { ATHENA_TABLES, tableDdl } from '../../functions/core/sql/ddl.js';
import { athenaGrammar, athenaSyntaxErrors, hiveSyntaxErrors, trinoSyntaxErrors } from './athena-trino.js';
import { testConfig } from './harness.js';

const ATHENA_RUN: FocusTable = {
  dialect: 'athena',
  name: '"cur"."focus_export"',
  usageType: 'skumeter',
  staging: 'tables',
  stagingTables: {
    schema: 'sentinel_prod',
    table: 'sentinel_staging_20260302060000_0a1b2c3d',
    staging: '"sentinel_prod"."sentinel_staging_20260302060000_0a1b2c3d"',
  },
  stagingSchema: 'sentinel_prod',
  ddl: 'hive',
};

describe("Athena's two parsers", () => {
  it('Hive refuses DROP TABLE with double-quoted names and takes backticks; Trino takes the double quotes', async () => {
    expect(await hiveSyntaxErrors('DROP TABLE IF EXISTS "db"."t"')).not.toEqual([]);
    expect(await hiveSyntaxErrors('DROP TABLE IF EXISTS `db`.`t`')).toEqual([]);
    expect(await trinoSyntaxErrors('DROP TABLE IF EXISTS "db"."t"')).toEqual([]);
  });

  it('routes DDL to Hive and queries and CTAS to Trino, as Athena does', () => {
    expect(athenaGrammar('DROP TABLE IF EXISTS `db`.`t`')).toBe('hive');
    expect(
      athenaGrammar('-- the findings table\nCREATE EXTERNAL TABLE IF NOT EXISTS `db`.`t` (`a` string)'),
    ).toBe('hive');
    expect(athenaGrammar("ALTER TABLE `db`.`t` ADD PARTITION (p = '1')")).toBe('hive');
    expect(athenaGrammar(`CREATE TABLE "db"."t" WITH (format = 'PARQUET') AS\nSELECT 1 AS x`)).toBe('trino');
    expect(athenaGrammar('WITH a AS (SELECT 1 AS x) SELECT x FROM a')).toBe('trino');
    expect(athenaGrammar('SELECT table_name FROM information_schema.tables')).toBe('trino');
  });

  it("parses every statement of an Athena run with the grammar Athena would use, the DROP in Hive's", async () => {
    const config = testConfig({ engine: 'athena', focus: 'cur.focus_export' });
    for (const detector of ['runaway-inference', 'cache-miss'] as const) {
      const plan = printedPlan(ATHENA_RUN, config, { detector, asOfDays: ['2026-03-01'] });
      const drop = plan.find((s) => s.step === 'drop');
      expect(drop?.sql).toBe(
        'DROP TABLE IF EXISTS `sentinel_prod`.`sentinel_staging_20260302060000_0a1b2c3d`',
      );
      for (const statement of plan) {
        expect(await athenaSyntaxErrors(statement.sql), `${detector} ${statement.label}`).toEqual([]);
      }
    }
    // A crashed run's table, dropped by the next run, is named the same way.
    expect(await athenaSyntaxErrors(dropTableSql(ATHENA_RUN, 'sentinel_prod', 'sentinel_staging_x'))).toEqual(
      [],
    );
  });

  it('keeps double quotes for Trino, whose DDL is its own grammar', async () => {
    const trino: FocusTable = { ...ATHENA_RUN, ddl: 'trino' };
    expect(dropTableSql(trino, 'sentinel', 't')).toBe('DROP TABLE IF EXISTS "sentinel"."t"');
    expect(dropTableSql({ ...ATHENA_RUN, ddl: undefined }, 'sentinel', 't')).toBe(
      'DROP TABLE IF EXISTS "sentinel"."t"',
    );
    expect(await trinoSyntaxErrors(dropTableSql(trino, 'sentinel', 't'))).toEqual([]);
  });

  it('parses the Glue tables of sql/ddl/ as Athena would run them, with Hive', async () => {
    for (const table of ATHENA_TABLES) {
      const ddl = tableDdl(table, { database: 'sentinel_prod', location: 's3://sentinel-state/state' });
      expect(athenaGrammar(ddl), table).toBe('hive');
      expect(await athenaSyntaxErrors(ddl), table).toEqual([]);
    }
  });
});
