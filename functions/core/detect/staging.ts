/**
 * The CTAS staging tables of one run on Athena or Trino (docs/architecture.md "one scan per run"): named by the
 * run's start time and 8 random hex, created by the staging statements, dropped at the run's end;
 * a crashed run's tables are dropped by the next run (run-plan.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports.js';
import { stagingTablesFor } from './statement-plan.js';
import type { FocusTable } from './statement-sql.js';

/** On Athena and Trino, this run's own CTAS staging tables (named by time, so a later run can tell). */
export function withRunStaging(focus: FocusTable, clock: Clock): FocusTable {
  if (!focus.stagingSchema) return focus;
  return {
    ...focus,
    staging: 'tables',
    stagingTables: stagingTablesFor(focus.stagingSchema, clock.now(), randomBytes(4).toString('hex')),
  };
}
