/**
 * The case store on the BlobStore port (docs/storage.md): `cases/<case_key>.json`, every update a
 * conditional write (create-only, or if-match on the version read) retried on conflict by
 * re-reading and re-applying the same change, so concurrent processes never lose an update.
 */
import { BadInputError, ConflictError } from '../errors.js';
import type { BlobStore } from '../ports.js';
import { emptyEpisode, peakMetricOf } from './episode.js';
import { type CaseRecord, caseBlobKey } from './model.js';

export const MAX_CASE_WRITE_ATTEMPTS = 20;

export interface StoredCase {
  record: CaseRecord;
  /** Blob version token for the if-match write. */
  token: string;
}

export async function readCase(store: BlobStore, caseKey: string): Promise<StoredCase | undefined> {
  const blob = await store.get(caseBlobKey(caseKey));
  if (!blob) return undefined;
  return { record: withDefaults(JSON.parse(blob.body) as CaseRecord), token: blob.version };
}

/** Case files written before a field existed read as if it had its initial value. */
function withDefaults(record: CaseRecord): CaseRecord {
  record.occurrences ??= {};
  record.notified_through ??= null;
  record.owner_cc ??= [];
  record.owner_team ??= null;
  record.owner_account_name ??= null;
  record.peak ??= record.latest;
  // What `peak_value` measures follows the detector (case files from before the peak was a day said `recent_avg_daily_usd`).
  record.peak_metric = peakMetricOf(record);
  record.episode ??= emptyEpisode();
  record.episode.spike_from ??= null;
  record.episode.spike_to ??= null;
  record.episode.told ??= null;
  record.reopened ??= null;
  for (const day of record.episode.days) day.avoidable_usd ??= null;
  return record;
}

export async function listCaseKeys(store: BlobStore): Promise<string[]> {
  const keys = await store.list('cases/');
  return keys.filter((k) => k.endsWith('.json')).map((k) => k.slice('cases/'.length, -'.json'.length));
}

export async function readAllCases(store: BlobStore): Promise<CaseRecord[]> {
  const cases: CaseRecord[] = [];
  for (const key of await listCaseKeys(store)) {
    const stored = await readCase(store, key);
    if (stored) cases.push(stored.record);
  }
  return cases;
}

/**
 * Reads the case, lets `change` compute the next record from it, and writes it conditionally.
 * `change` returns null to write nothing; it must be a pure function of the record it is given,
 * because a conflict makes it run again on the fresher record.
 */
export async function updateCase<T>(
  store: BlobStore,
  caseKey: string,
  change: (current: CaseRecord | null) => { next: CaseRecord | null; result: T },
): Promise<{ record: CaseRecord | null; result: T; written: boolean }> {
  const key = caseBlobKey(caseKey);
  for (let attempt = 1; ; attempt++) {
    const stored = await readCase(store, caseKey);
    const current = stored?.record ?? null;
    const { next, result } = change(current === null ? null : structuredClone(current));
    if (next === null || (current !== null && JSON.stringify(next) === JSON.stringify(current))) {
      return { record: current, result, written: false };
    }
    const record: CaseRecord = { ...next, version: (current?.version ?? 0) + 1 };
    try {
      await store.put(
        key,
        `${JSON.stringify(record)}\n`,
        stored ? { ifMatch: stored.token } : { ifNoneMatch: '*' },
      );
      return { record, result, written: true };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_CASE_WRITE_ATTEMPTS) throw error;
      // Another process wrote the case since we read it: re-read and re-apply.
    }
  }
}

/**
 * `follow-up` and `ack` on a store that holds no case store (no `cases/`, no `runs/`) stop with
 * bad input naming it, before anything is written there: a typo in a cron line must be loud (docs/cli.md).
 */
export async function requireCaseStore(store: BlobStore, where: string): Promise<void> {
  if ((await store.list('cases/')).length > 0 || (await store.list('runs/')).length > 0) return;
  throw new BadInputError(
    `--out ${where} holds no case store (no cases/ or runs/ there); nothing was written`,
    {
      hint: "check the path (a typo in a cron line?), or run 'sentinel run' there first",
    },
  );
}
