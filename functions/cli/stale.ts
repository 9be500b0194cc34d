/** Stale data (SPEC §4, §11): name the days the export does not reach, and publish `Data Stale`. */
import { openEventBus } from '../adapters/open-event-bus.js';
import type { SentinelConfig } from '../core/config.js';
import type { RunRecord } from '../core/runs.js';
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

export async function publishStale(config: SentinelConfig, record: RunRecord): Promise<void> {
  const bus = openEventBus(config);
  await bus.publish([
    {
      id: `${record.run_id}-stale`,
      detailType: 'Data Stale',
      time: record.finished_at,
      detail: { run_id: record.run_id, stale_days: record.stale_days, data_through: record.data_through },
    },
  ]);
}
