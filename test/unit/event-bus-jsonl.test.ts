import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlEventBus } from '../../functions/adapters/event-bus/jsonl.js';
import { BadInputError } from '../../functions/core/errors.js';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../functions/core/events.js';
import type { BusEvent } from '../../functions/core/ports.js';

// Typed loosely on purpose: the bus must refuse a detail-type outside docs/events.md at run time too.
const event = (id: string, detailType: string): BusEvent =>
  ({
    id,
    detailType,
    time: '2026-03-03T06:00:00.000Z',
    detail: { case_key: 'abc123', state: 'open', account_name: 'R&D <lab>' },
  }) as BusEvent;

describe('JSON-lines event bus', () => {
  it('lists the detail-types of docs/events.md', async () => {
    const doc = await readFile('docs/events.md', 'utf8');
    const table = /## Detail-types\n+((?:\|.*\n)+)/.exec(doc)?.[1] ?? '';
    const documented = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect([...EVENT_DETAIL_TYPES].sort()).toEqual(documented.sort());
    expect(EVENT_DETAIL_TYPES).toContain('Case Opened');
    expect(EVENT_DETAIL_TYPES).toContain('Kill Switch Engaged');
  });

  it('appends one EventBridge-shaped line per event, across publishes', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sentinel-events-')), 'nested', 'events.jsonl');
    const bus = new JsonlEventBus(path);
    await bus.publish([event('e1', 'Case Opened'), event('e2', 'Finding Detected')]);
    await bus.publish([]);
    await bus.publish([event('e3', 'Case Resolved')]);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0]!);
    expect(first).toEqual({
      id: 'e1',
      source: EVENT_SOURCE,
      'detail-type': 'Case Opened',
      time: '2026-03-03T06:00:00.000Z',
      detail: { case_key: 'abc123', state: 'open', account_name: 'R&D <lab>' },
    });
    expect(lines.map((l) => JSON.parse(l)['detail-type'])).toEqual([
      'Case Opened',
      'Finding Detected',
      'Case Resolved',
    ]);
  });

  it('refuses an unknown detail-type and writes nothing of that batch', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sentinel-events-')), 'events.jsonl');
    const bus = new JsonlEventBus(path);
    await expect(
      bus.publish([event('e1', 'Case Opened'), event('e2', 'Case Exploded')]),
    ).rejects.toBeInstanceOf(BadInputError);
    await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
