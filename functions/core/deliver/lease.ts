/**
 * The notify lease (docs/storage.md): only one process sends at a time. `locks/notify.json` is created
 * create-only, taken over only after its expiry, and released only by its holder.
 */
import { ConflictError } from '../errors.js';
import type { BlobStore, Clock } from '../ports.js';

export const LEASE_KEY = 'locks/notify.json';
export const LEASE_MS = 15 * 60_000;

export interface Lease {
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** Create-only; an expired lease is taken over with an if-match write, so two takers cannot both win. */
export async function acquireLease(store: BlobStore, clock: Clock, holder: string): Promise<boolean> {
  const now = clock.now();
  const body = (): string =>
    `${JSON.stringify({
      holder,
      acquired_at: now.toISOString(),
      expires_at: new Date(now.getTime() + LEASE_MS).toISOString(),
    } satisfies Lease)}\n`;
  try {
    await store.put(LEASE_KEY, body(), { ifNoneMatch: '*' });
    return true;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  const current = await store.get(LEASE_KEY);
  if (!current) return false; // released in between: leave it to the next run rather than loop
  const lease = JSON.parse(current.body) as Lease;
  if (lease.holder !== holder && now.getTime() < Date.parse(lease.expires_at)) return false;
  try {
    await store.put(LEASE_KEY, body(), { ifMatch: current.version });
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}

/** Deletes the lease only if this holder still has it (a conditional delete on the version read). */
export async function releaseLease(store: BlobStore, holder: string): Promise<void> {
  const current = await store.get(LEASE_KEY);
  if (!current || (JSON.parse(current.body) as Lease).holder !== holder) return;
  // A lease taken over after expiry between the read and the delete stays the new holder's.
  await store.delete(LEASE_KEY, { ifMatch: current.version }).catch((error: unknown) => {
    if (!(error instanceof ConflictError)) throw error;
  });
}
