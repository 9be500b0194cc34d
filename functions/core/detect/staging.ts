/**
 * The CTAS staging tables of one run on Athena or Trino (docs/architecture.md "one scan per run"): named by the
 * run's start time and 8 random hex, created by the staging statements, dropped at the run's end;
 * a crashed run's tables are dropped by the next run.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, QueryEngine } from '../ports.js';
import {
  STALE_STAGING_MS,
  stagingTablesFor,
  stagingTablesListSql,
  stagingTableTime,
} from './statement-plan.js';
import { dropTableSql, type FocusTable } from './statement-sql.js';

/** On Athena and Trino, this run's own CTAS staging tables (named by time, so a later run can tell). */
export function withRunStaging(focus: FocusTable, clock: Clock): FocusTable {
  if (!focus.stagingSchema) return focus;
  return {
    ...focus,
    staging: 'tables',
    stagingTables: stagingTablesFor(focus.stagingSchema, clock.now(), randomBytes(4).toString('hex')),
  };
}

/** A crashed run's staging tables (older than twice the detect timeout) are dropped; a younger one may be a concurrent run's. */
export async function dropStaleStaging(
  engine: QueryEngine,
  focus: FocusTable,
  clock: Clock,
  warn: (m: string) => void,
) {
  const tables = focus.stagingTables;
  if (!tables) return;
  const rows = await engine.query(stagingTablesListSql(tables.schema), { label: 'staging tables' });
  const now = clock.now().getTime();
  for (const row of rows) {
    const name = String(row.table_name);
    const created = stagingTableTime(name);
    if (!created || now - created.getTime() < STALE_STAGING_MS) continue;
    await engine
      .execute(dropTableSql(focus, tables.schema, name), { label: 'drop stale staging' })
      .catch((error: unknown) =>
        warn(
          `could not drop a crashed run's staging table ${name}: ${String((error as Error).message ?? error)}`,
        ),
      );
  }
}
