/**
 * Dry runs (`run --dry-run`): the same protocol against a copy-on-write view of the store, a
 * recording mailer and a silent bus, so a dry run walks the exact steps of a real one and changes
 * nothing.
 */
import { createHash } from 'node:crypto';
import type { NotifyPorts } from './deliver/ports.js';
import { ConflictError } from './errors.js';
import type { BlobStore, EventBus, Mailer, OutgoingMessage, PutCondition, StoredBlob } from './ports.js';

export function dryRunPorts<P extends NotifyPorts>(ports: P): { ports: P; sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const mailer: Mailer = {
    send: async (message) => {
      sent.push(message);
      return { providerMessageId: `dry-run-${message.messageId}` };
    },
  };
  const events: EventBus = { publish: async () => {} };
  return { ports: { ...ports, store: new OverlayBlobStore(ports.store), mailer, events }, sent };
}

/**
 * A copy-on-write view of a BlobStore: reads fall through to the real store, writes and deletes
 * stay in memory, with the same preconditions.
 */
const versionOf = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 32);

export class OverlayBlobStore implements BlobStore {
  private readonly written = new Map<string, string | null>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly base: BlobStore) {}

  describe(key?: string): string {
    return `${this.base.describe(key)} (dry run)`;
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    if (this.written.has(key)) {
      const body = this.written.get(key);
      return body == null ? undefined : { body, version: versionOf(body) };
    }
    const blob = await this.base.get(key);
    return blob ? { body: blob.body, version: versionOf(blob.body) } : undefined;
  }

  async put(key: string, body: string, condition?: PutCondition): Promise<string> {
    // Check and write as one step: conditional writes of one process must not interleave.
    const done = this.queue.then(async () => {
      if (condition) {
        const current = await this.get(key);
        if ('ifNoneMatch' in condition && current) throw new ConflictError(`${key} already exists`);
        if ('ifMatch' in condition && current?.version !== condition.ifMatch) {
          throw new ConflictError(`${key} changed since it was read`);
        }
      }
      this.written.set(key, body);
      return versionOf(body);
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  async list(prefix: string): Promise<string[]> {
    const keys = new Set(await this.base.list(prefix));
    for (const [key, body] of this.written) {
      if (!key.startsWith(prefix)) continue;
      if (body === null) keys.delete(key);
      else keys.add(key);
    }
    return [...keys].sort();
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    const done = this.queue.then(async () => {
      if (condition) {
        const current = await this.get(key);
        if (current && current.version !== condition.ifMatch) {
          throw new ConflictError(`${key} changed since it was read`);
        }
      }
      this.written.set(key, null);
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Keys the dry run would have written (for the report). */
  writtenKeys(): string[] {
    return [...this.written.entries()].filter(([, body]) => body !== null).map(([key]) => key);
  }
}
