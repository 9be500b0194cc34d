/**
 * The original QB15 query (docs/detection.md "The original query"), rendered for the benchmarks and the
 * tests that compare it with the detector; no run sends it, so it lives here, not in the core.
 * Its SQL is `sql/qb15-original.sql`, read by the same loader as the detectors' queries.
 */
import { addDays } from '../functions/core/dates.js';
import type { FocusTable } from '../functions/core/detect/statement-sql.js';
import { renderSql } from '../functions/core/sql/render.js';
import type { IsoDate } from '../functions/core/types.js';

export function originalQuerySql(
  focus: FocusTable,
  input: { asOfStart: IsoDate; asOfEnd: IsoDate; asIntended: boolean },
): string {
  return renderSql('qb15-original', focus.dialect, {
    focus_table: focus.name,
    usage_type: focus.usageType,
    as_of_start: input.asOfStart,
    as_of_end: input.asOfEnd,
    since: addDays(input.asOfStart, -30),
    as_intended: input.asIntended,
  });
}
