/**
 * Case events follow the outbox pattern too (docs/storage.md): a transition records them on the case
 * (`events_due`) in its conditional write; this step writes them to `case-events/`, publishes them
 * and clears them. A crash in between writes and publishes again under the same ids.
 */
import { type CaseRecord, caseEventBlobKey } from '../cases/model.js';
import { updateCase } from '../cases/store.js';
import { UpstreamError } from '../errors.js';
import type { BusEvent } from '../ports.js';
import type { NotifyPorts } from './ports.js';

/**
 * Writes and publishes each case's pending events; returns the cases as written and the count.
 * With `unpublished`, events the bus did not take stay due on their case and are reported there
 * instead of thrown, so an outage of the bus never holds back the emails (the next run or
 * follow-up publishes them); without it the failure is thrown.
 */
export async function flushCaseEvents(
  ports: Pick<NotifyPorts, 'store' | 'events'>,
  cases: CaseRecord[],
  unpublished?: (caseKey: string, error: UpstreamError) => void,
): Promise<{ written: number; cases: CaseRecord[] }> {
  let written = 0;
  const after: CaseRecord[] = [];
  for (const c of cases) {
    if (c.events_due.length === 0) {
      after.push(c);
      continue;
    }
    for (const event of c.events_due) {
      await ports.store.put(caseEventBlobKey(event), `${JSON.stringify(event)}\n`);
    }
    const bus: BusEvent[] = c.events_due.map((e) => ({
      id: e.event_id,
      detailType: e.detail_type,
      time: e.time,
      detail: e,
    }));
    try {
      await ports.events.publish(bus);
    } catch (error) {
      if (!unpublished || !(error instanceof UpstreamError)) throw error;
      unpublished(c.case_key, error);
      after.push(c);
      continue;
    }
    const ids = new Set(c.events_due.map((e) => e.event_id));
    const { record } = await updateCase(ports.store, c.case_key, (cur) => {
      if (!cur) return { next: null, result: null };
      cur.events_due = cur.events_due.filter((e) => !ids.has(e.event_id));
      return { next: cur, result: null };
    });
    if (record) after.push(record);
    written += ids.size;
  }
  return { written, cases: after };
}
