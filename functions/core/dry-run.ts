/**
 * Dry runs (`run --dry-run`, docs/architecture.md "Dry run"): the same protocol against stand-ins for
 * every port that acts on the world, chosen by the port's kind — a copy-on-write view of the store,
 * a recording mailer, a silent bus, a kill switch that only records what it would do — so a dry run
 * walks the exact steps of a real one and changes nothing. A port of a new kind must name its
 * stand-in in DRY (the code does not compile otherwise); a field of the ports that is neither a port
 * nor one of the known read-only helpers stops the dry run before it starts.
 */
import { createHash } from 'node:crypto';
import { ConflictError } from './errors.js';
import type {
  BlobStore,
  EngagedAccount,
  KillSwitch,
  OutgoingMessage,
  PortKind,
  PortsByKind,
  PutCondition,
  StoredBlob,
} from './ports.js';

/** What a dry run would have done, for its report. */
export interface DryRunRecord {
  sent: OutgoingMessage[];
  /** Kill-switch engagements and releases it would have made. */
  killSwitch: { action: 'engage' | 'release'; account_id: string; case_key?: string }[];
}

type StandIn<K extends PortKind> = (port: PortsByKind[K], record: DryRunRecord) => PortsByKind[K];

const same =
  <K extends PortKind>(): StandIn<K> =>
  (port) =>
    port;

/** Every port kind's stand-in under a dry run: reading ports stay, acting ports are replaced. */
const DRY: { [K in PortKind]: StandIn<K> } = {
  'query-engine': same(),
  owners: same(),
  'signing-key': same(),
  metrics: same(),
  store: (store) => new OverlayBlobStore(store),
  mailer: (_mailer, record) => ({
    kind: 'mailer',
    send: async (message) => {
      record.sent.push(message);
      return { providerMessageId: `dry-run-${message.messageId}` };
    },
  }),
  events: () => ({ kind: 'events', publish: async () => {} }),
  'kill-switch': (killSwitch, record) => new DryKillSwitch(killSwitch, record),
};

/**
 * Fields of a command's ports that are not ports and act on nothing: time, logging, rendering, link
 * signing (answer and release links), progress lines, the crash-test hook, list prices, and detection
 * (which writes only through the store and bus it is handed, and is told the run is dry).
 */
const READ_ONLY_FIELDS = new Set([
  'clock',
  'log',
  'render',
  'answerActions',
  'releaseAction',
  'fault',
  'progress',
  'detect',
  'signal',
  // The watch's list prices: a lookup in a bundled table, no call.
  'listPrices',
]);

export class DryRunPortError extends Error {}

export function dryRunPorts<P extends object>(ports: P): { ports: P; record: DryRunRecord } {
  const record: DryRunRecord = { sent: [], killSwitch: [] };
  const replaced: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ports)) {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (typeof kind === 'string' && kind in DRY) {
      replaced[name] = (DRY[kind as PortKind] as StandIn<PortKind>)(value as never, record);
    } else if (READ_ONLY_FIELDS.has(name) || value === undefined) {
      replaced[name] = value;
    } else {
      // A field no one declared: it might act on the world, so a dry run must not start.
      throw new DryRunPortError(
        `the ports hold '${name}', which is neither a port of a known kind nor a read-only helper; a dry run cannot tell whether it acts on the world`,
      );
    }
  }
  return { ports: replaced as P, record };
}

/** Engages and releases nothing: records what it would do, and reports the real switch's state. */
class DryKillSwitch implements KillSwitch {
  readonly kind = 'kill-switch' as const;
  constructor(
    private readonly base: KillSwitch,
    private readonly record: DryRunRecord,
  ) {}
  async engage(input: { account_id: string; case_key: string }) {
    this.record.killSwitch.push({ action: 'engage', account_id: input.account_id, case_key: input.case_key });
    return { policy_id: `dry-run-${input.account_id}`, engaged_at: new Date(0).toISOString() };
  }
  async release(input: { account_id: string }) {
    this.record.killSwitch.push({ action: 'release', account_id: input.account_id });
  }
  engaged(): Promise<EngagedAccount[]> {
    return this.base.engaged();
  }
  organization(organizationalUnits: readonly string[]) {
    return this.base.organization(organizationalUnits);
  }
  describe(): string {
    return `${this.base.describe()} (dry run)`;
  }
}

/**
 * A copy-on-write view of a BlobStore: reads fall through to the real store, writes and deletes
 * stay in memory, with the same preconditions.
 */
const versionOf = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 32);

export class OverlayBlobStore implements BlobStore {
  readonly kind = 'store' as const;
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
