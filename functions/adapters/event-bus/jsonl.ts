/**
 * EventBus on a JSON-lines file (local runs): one EventBridge-shaped entry per line, so a local
 * consumer can read `<out>/events.jsonl` exactly as a rule target would see the event.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BadInputError, UpstreamError } from '../../core/errors.js';
import { EVENT_SOURCE, isEventDetailType } from '../../core/events.js';
import type { BusEvent, EventBus } from '../../core/ports.js';

export interface JsonlEventLine {
  id: string;
  source: typeof EVENT_SOURCE;
  'detail-type': string;
  time: string;
  detail: unknown;
}

export class JsonlEventBus implements EventBus {
  readonly kind = 'events' as const;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async publish(events: BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    const lines = events.map((event) => {
      if (!isEventDetailType(event.detailType)) {
        throw new BadInputError(`event ${event.id}: unknown detail-type '${event.detailType}'`, {
          hint: 'use one of EVENT_DETAIL_TYPES (functions/core/events.ts)',
        });
      }
      const line: JsonlEventLine = {
        id: event.id,
        source: EVENT_SOURCE,
        'detail-type': event.detailType,
        time: event.time,
        detail: event.detail,
      };
      return JSON.stringify(line);
    });
    try {
      await mkdir(dirname(this.path), { recursive: true });
      // One append per batch: O_APPEND keeps concurrent writers' lines whole.
      await appendFile(this.path, `${lines.join('\n')}\n`, 'utf8');
    } catch (error) {
      throw new UpstreamError(`cannot append events to ${this.path}`, { cause: error });
    }
  }
}
