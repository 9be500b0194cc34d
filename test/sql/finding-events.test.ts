/** `Finding Detected` is published once per finding id, when it first appears in findings/. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { addDays, dayRange } from '../../functions/core/dates.js';
import { runDetection } from '../../functions/core/detect/run-detection.js';
import { silentLogger } from '../../functions/core/log.js';
import { type BusEvent, fixedClock } from '../../functions/core/ports.js';
import { focusRow } from '../fixtures/focus-rows.js';
import { DUCKDB_FOCUS, testConfig, withFocus } from './harness.js';

const D = '2026-03-20';
const rows = dayRange(addDays(D, -59), D).map((day) =>
  focusRow({
    chargeperiodstart: day,
    billedcost: day >= addDays(D, -3) ? 150 : 8 + (day.endsWith('1') ? 0.4 : 0),
  }),
);

describe('Finding Detected events', () => {
  it('publishes each new finding once; a rerun and a wider catch-up publish only new ids', async () => {
    const store = new LocalDirBlobStore(mkdtempSync(join(tmpdir(), 'sentinel-events-')));
    const published: BusEvent[] = [];
    const events = {
      kind: 'events' as const,
      publish: async (batch: BusEvent[]) => void published.push(...batch),
    };
    const detect = (asOfDays: string[]) =>
      withFocus(rows, (engine) =>
        runDetection(
          {
            engine,
            focus: DUCKDB_FOCUS,
            store,
            clock: fixedClock('2026-03-22T06:00:00Z'),
            log: silentLogger(),
            events,
          },
          testConfig(),
          {
            asOfDays,
            detectors: ['runaway-inference'],
            runId: 'r',
            command: 'run',
            dryRun: false,
            recurringExemptionOff: [],
          },
        ),
      );
    const first = await detect([D]);
    expect(first.findings).toHaveLength(1);
    expect(published.map((e) => [e.detailType, e.id])).toEqual([
      ['Finding Detected', `finding-${first.findings[0]!.finding_id}`],
    ]);
    await detect([D]);
    expect(published).toHaveLength(1);
    const wider = await detect([addDays(D, -1), D]);
    expect(wider.findings).toHaveLength(2);
    expect(published).toHaveLength(2);
    expect((published[1]!.detail as { as_of: string }).as_of).toBe(addDays(D, -1));
  });
});
