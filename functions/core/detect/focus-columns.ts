/**
 * The FOCUS columns the detectors read (docs/detection.md "Input"), checked against a table's schema before a run,
 * on every engine: a missing column stops the run with a message naming it (exit 2). The usage
 * type lives in `skumeter` (FOCUS 1.2) or `x_usagetype` (1.0); whichever exist are coalesced.
 */
import { BadInputError } from '../errors.js';
import type { UsageTypeSource } from './statement-plan.js';

export type ColumnKind = 'string' | 'number' | 'timestamp' | 'map';

export const REQUIRED_COLUMNS: Readonly<Record<string, ColumnKind>> = {
  chargeperiodstart: 'timestamp',
  subaccountid: 'string',
  subaccountname: 'string',
  servicename: 'string',
  x_servicecode: 'string',
  x_operation: 'string',
  chargecategory: 'string',
  chargeclass: 'string',
  consumedquantity: 'number',
  consumedunit: 'string',
  pricingunit: 'string',
  regionid: 'string',
  resourceid: 'string',
  tags: 'map',
};

export const USAGE_TYPE_COLUMNS = ['skumeter', 'x_usagetype'] as const;

/** The columns a run needs with this cost column (`billedcost` or `effectivecost`). */
export const requiredColumns = (costColumn: string): Record<string, ColumnKind> => ({
  ...REQUIRED_COLUMNS,
  [costColumn]: 'number',
});

/**
 * Checks the column names a table has (any case) and returns where its usage type comes from.
 * `source` names the table or path in the message (`--focus ./export`, `focus.cur`).
 */
export function checkFocusColumns(
  present: readonly string[],
  costColumn: string,
  source: string,
): UsageTypeSource {
  const names = new Set(present.map((c) => c.toLowerCase()));
  const missing = Object.keys(requiredColumns(costColumn)).filter((c) => !names.has(c));
  const usage = USAGE_TYPE_COLUMNS.filter((c) => names.has(c));
  if (usage.length === 0) missing.push('skumeter (FOCUS 1.2) or x_usagetype (FOCUS 1.0)');
  if (missing.length > 0) {
    throw new BadInputError(
      `${source}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      {
        hint: 'export FOCUS 1.2 (or 1.0) with AWS columns; column names are matched case-insensitively',
      },
    );
  }
  return usage.length === 2 ? 'coalesce' : (usage[0] as UsageTypeSource);
}
