/** The EventBus beside the local case store: `<out>/events.jsonl` (EventBridge comes with the AWS deployment). */
import { join } from 'node:path';
import type { SentinelConfig } from '../core/config.js';
import type { EventBus } from '../core/ports.js';
import { JsonlEventBus } from './event-bus/jsonl.js';

export const openEventBus = (config: SentinelConfig): EventBus =>
  new JsonlEventBus(join(config.out, 'events.jsonl'));
