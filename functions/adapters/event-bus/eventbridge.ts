/**
 * EventBus on Amazon EventBridge (docs/events.md): `PutEvents` with source `ai-spend-sentinel`, the
 * detail-type, `Time`, and as `Detail` the JSON of the detail with our deterministic id added as
 * `detail.event_id` (EventBridge assigns its own `id`; consumers dedupe on ours). `events.bus_name`
 * `default` is the account's default bus.
 *
 * Batches hold at most 10 entries and 256 KB (PutEvents' limits). Entries EventBridge reports as
 * failed (`FailedEntryCount`, per-entry `ErrorCode`) are sent again with capped exponential backoff
 * and jitter a bounded number of times, except codes that cannot succeed on a retry: the SDK has no
 * notion of a request that succeeded with failed entries. A throttled or failed request is the SDK
 * client's to retry (standard mode, built by the composition root). What is still unpublished at the
 * end — failed entries and, after a request that failed, its batch and every batch after it — is one
 * EventPublishError listing each event, so the caller keeps them due and publishes them again later.
 * The client is injected.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { BadInputError, UpstreamError } from '../../core/errors.js';
import { EVENT_SOURCE, isEventDetailType } from '../../core/events.js';
import type { BusEvent, EventBus } from '../../core/ports.js';
import { type BackoffOptions, backoff, describeAwsError } from '../aws/retry.js';

export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents' request limit, counted the way EventBridge documents it (Time, Source, DetailType, Detail). */
export const MAX_PUT_BYTES = 256 * 1024;

/** Per-entry error codes that the same entry would get again. */
const PERMANENT_ENTRY_ERRORS = new Set(['InvalidArgument', 'MalformedDetail', 'ValidationException']);

export interface FailedEvent {
  id: string;
  detailType: string;
  errorCode: string;
  errorMessage: string;
}

/** Some events were not published; `failed` lists each with EventBridge's reason. */
export class EventPublishError extends UpstreamError {
  readonly failed: FailedEvent[];
  constructor(failed: FailedEvent[], busName: string, options: { cause?: unknown } = {}) {
    const shown = failed
      .slice(0, 5)
      .map((f) => `${f.id} (${f.detailType}): ${f.errorCode} ${f.errorMessage}`.trim())
      .join('; ');
    const more = failed.length > 5 ? `; and ${failed.length - 5} more` : '';
    super(`EventBridge bus ${busName}: ${failed.length} event(s) not published: ${shown}${more}`, {
      ...options,
      hint: 'they stay due and are published again by the next run or follow-up',
    });
    this.failed = failed;
  }
}

export interface EventBridgeBusOptions {
  /** `events.bus_name`: `default` (the account's default bus), a bus name or ARN. */
  busName?: string;
  /** Re-sends of failed entries (default 5 attempts, 100 ms base, 5 s cap). */
  retry?: BackoffOptions;
}

interface Pending {
  event: BusEvent;
  entry: PutEventsRequestEntry;
}

export class EventBridgeBus implements EventBus {
  readonly kind = 'events' as const;
  readonly busName: string;
  private readonly retry: BackoffOptions;

  constructor(
    private readonly client: EventBridgeClient,
    options: EventBridgeBusOptions = {},
  ) {
    this.busName = options.busName ?? 'default';
    this.retry = { attempts: 5, baseMs: 100, capMs: 5000, ...options.retry };
  }

  async publish(events: BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Every event is checked before anything is sent: a bad one publishes nothing of the call.
    const pending = events.map((event) => ({ event, entry: this.entryFor(event) }));
    const failed: FailedEvent[] = [];
    const batches = batchesOf(pending);
    for (let b = 0; b < batches.length; b++) {
      try {
        failed.push(...(await this.putBatch(batches[b]!)));
      } catch (error) {
        // The request itself failed after the SDK's retries (bus missing, access denied, throttled throughout).
        const reason = describeAwsError(error);
        const unsent = batches.slice(b).flat();
        failed.push(...unsent.map((p) => failure(p, 'RequestFailed', reason)));
        throw new EventPublishError(failed, this.busName, { cause: error });
      }
    }
    if (failed.length > 0) throw new EventPublishError(failed, this.busName);
  }

  private entryFor(event: BusEvent): PutEventsRequestEntry {
    if (!isEventDetailType(event.detailType)) {
      throw new BadInputError(`event ${event.id}: unknown detail-type '${event.detailType}'`, {
        hint: 'use one of EVENT_DETAIL_TYPES (functions/core/events.ts)',
      });
    }
    const detail = event.detail;
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      throw new BadInputError(
        `event ${event.id}: the detail must be a JSON object (EventBridge rules match its fields)`,
      );
    }
    const time = new Date(event.time);
    if (Number.isNaN(time.getTime())) {
      throw new BadInputError(`event ${event.id}: time '${event.time}' is not an ISO date-time`);
    }
    const entry: PutEventsRequestEntry = {
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify({ ...detail, event_id: event.id }),
      Time: time,
      ...(this.busName === 'default' ? {} : { EventBusName: this.busName }),
    };
    if (entrySize(entry) > MAX_PUT_BYTES) {
      throw new BadInputError(
        `event ${event.id} (${event.detailType}) is ${entrySize(entry)} bytes, over EventBridge's 256 KB`,
        { hint: 'publish a smaller detail (the full record stays in the store)' },
      );
    }
    return entry;
  }

  /** Sends one batch, re-sending failed entries; returns those still failed after the attempts. */
  private async putBatch(batch: Pending[]): Promise<FailedEvent[]> {
    const policy = backoff(this.retry);
    const permanent: FailedEvent[] = [];
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      const response = await this.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      if (!response.FailedEntryCount) return permanent;
      const results: (PutEventsResultEntry | undefined)[] = response.Entries ?? [];
      const retry: Pending[] = [];
      const transient: FailedEvent[] = [];
      pending.forEach((p, i) => {
        const result = results[i];
        // An entry without an EventId did not get in, whatever the reason.
        if (result?.EventId && !result.ErrorCode) return;
        const code = result?.ErrorCode ?? 'Unknown';
        const reason = failure(p, code, result?.ErrorMessage ?? 'no EventId returned');
        if (PERMANENT_ENTRY_ERRORS.has(code)) permanent.push(reason);
        else {
          retry.push(p);
          transient.push(reason);
        }
      });
      if (retry.length === 0) return permanent;
      if (attempt >= policy.attempts) return [...permanent, ...transient];
      await policy.sleep(policy.delay(attempt));
      pending = retry;
    }
  }
}

const failure = (p: Pending, errorCode: string, errorMessage: string): FailedEvent => ({
  id: p.event.id,
  detailType: p.event.detailType,
  errorCode,
  errorMessage,
});

/** EventBridge's size of an entry: 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType and Detail. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (entry.Time ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
}

/** Consecutive batches of at most 10 entries and 256 KB, in order. */
function batchesOf(pending: Pending[]): Pending[][] {
  const batches: Pending[][] = [];
  let current: Pending[] = [];
  let size = 0;
  for (const p of pending) {
    const s = entrySize(p.entry);
    if (current.length === MAX_ENTRIES_PER_PUT || (current.length > 0 && size + s > MAX_PUT_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += s;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
