/** Stale data (docs/detection.md "Runaway inference", docs/cli.md): the message naming the days the export does not reach (exit 3). */
import type { IsoDate } from '../core/types.js';

export function staleMessage(staleDays: IsoDate[], dataThrough: IsoDate | null): string {
  const days =
    staleDays.length > 3
      ? `${staleDays[0]} … ${staleDays.at(-1)} (${staleDays.length} days)`
      : staleDays.join(', ');
  return dataThrough
    ? `stale data: the export does not reach as-of ${days}; its newest charge is ${dataThrough}`
    : `stale data: the export has no charge in the billing periods as-of ${days} need; check --focus and the dates`;
}
