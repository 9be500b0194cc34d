/**
 * What a case transition makes due is an action (docs/storage.md "Actions"): an email now, a
 * kill-switch engage or release too. One runner carries every action out with the same protocol,
 * an outbox pattern in the manner of an idempotency record:
 *
 *   claim  — the unit's id is written onto its cases' due items (a conditional case write);
 *   log    — its log entry is created create-only, in flight;
 *   act    — the executor acts on the world (sends, attaches a policy);
 *   settle — the log entry is updated with the outcome, and the due items are cleared from the cases.
 *
 * A crash anywhere leaves a due item or a log entry, so the next run or follow-up finishes the job:
 * a claimed item whose entry is finished is only settled; one in flight or failed is acted on again
 * (the same unit, the same content); one claimed without an entry is unclaimed and planned again.
 * Each executor says how its units are planned (emails group cases into messages), where its log
 * lives and what settling writes on a case.
 */
import type { CaseRecord, DueItem } from '../cases/model.js';
import { updateCase } from '../cases/store.js';
import { ConflictError } from '../errors.js';
import type { Owner } from '../ports.js';
import type { FaultPoint } from './ports.js';

/** A logged action: its id, the cases (and their event ids) it reports, and how it went. */
export interface LoggedAction {
  cases: { case_key: string; epoch: number; event_ids: string[] }[];
}

/** One unit of work: a message, or one engage/release of one account. */
export interface ActionUnit<E extends LoggedAction> {
  id: string;
  entry: E;
  /** Besides the claim, what claiming writes on each case (an email's message reference). */
  onClaim?: (c: CaseRecord) => void;
}

/** The cases with due, unclaimed items an executor handles, live cases only. */
export interface DueCase {
  record: CaseRecord;
  owner: Owner;
  items: DueItem[];
}

export interface ActionExecutor<E extends LoggedAction = LoggedAction> {
  /** For messages and logs: "email", "kill switch". */
  readonly name: string;
  handles(item: DueItem): boolean;
  /** The unit's id as its log entry holds it (the claim written on the cases). */
  idOf(entry: E): string;
  plan(due: DueCase[]): Promise<ActionUnit<E>[]> | ActionUnit<E>[];
  read(id: string): Promise<{ entry: E; token: string } | undefined>;
  /** Create-only: a ConflictError when the unit was logged before. Returns the entry's version. */
  create(entry: E): Promise<string>;
  write(entry: E, token: string): Promise<void>;
  /** The outcome is recorded for good (sent, rejected, done): settle without acting again. */
  finished(entry: E): boolean;
  /** Acting again would do nothing useful (every case of the unit closed meanwhile). */
  moot(entry: E, cases: ReadonlyMap<string, CaseRecord>): boolean;
  /** Acts on the world; returns the entry with its outcome (never throws for a provider's refusal or failure). */
  act(entry: E): Promise<E>;
  /** A failed outcome stays due and is retried as the same unit by the next run or follow-up. */
  failed(entry: E): boolean;
  /** What settling writes on one of the unit's cases (its due items cleared, results recorded). */
  settle(entry: E, c: CaseRecord, ref: E['cases'][number]): CaseRecord;
  /** Called after a settled unit (the last digest record). */
  afterSettle?(entry: E): Promise<void>;
}

export interface RunnerPorts {
  now: () => string;
  fault?: (point: FaultPoint) => void;
  store: Parameters<typeof updateCase>[0];
}

/**
 * Carries out what is due on a snapshot of the cases (read after the lease was taken), keeping
 * that snapshot fresh with every write it makes.
 */
export class ActionRunner {
  private readonly cases = new Map<string, CaseRecord>();
  readonly outcomes: { executor: string; entry: LoggedAction }[] = [];

  constructor(
    private readonly ports: RunnerPorts,
    cases: CaseRecord[],
  ) {
    for (const c of cases) this.cases.set(c.case_key, c);
  }

  snapshot(): CaseRecord[] {
    return [...this.cases.values()].sort((a, b) => a.case_key.localeCompare(b.case_key));
  }

  casesByKey(): ReadonlyMap<string, CaseRecord> {
    return this.cases;
  }

  /** A conditional case write that also refreshes this runner's copy of the case. */
  async update(caseKey: string, change: (c: CaseRecord) => CaseRecord): Promise<CaseRecord | null> {
    const { record } = await updateCase(this.ports.store, caseKey, (c) => ({
      next: c ? change(c) : null,
      result: null,
    }));
    if (record) this.cases.set(caseKey, record);
    return record;
  }

  /** Writes the outcome on the unit's cases. */
  async settle<E extends LoggedAction>(executor: ActionExecutor<E>, entry: E): Promise<void> {
    await executor.afterSettle?.(entry);
    for (const ref of entry.cases) {
      await this.update(ref.case_key, (c) => executor.settle(entry, c, ref));
    }
  }

  /** Acts on a logged unit (same id, same content) and records how it went. */
  private async act<E extends LoggedAction>(executor: ActionExecutor<E>, entry: E, token: string) {
    const next = await executor.act(entry);
    await executor.write(next, token);
    this.ports.fault?.('after-log-sent');
    this.outcomes.push({ executor: executor.name, entry: next });
    if (!executor.failed(next)) await this.settle(executor, next);
  }

  /** Finishes a unit whose log entry exists: finished → settle; in flight or failed → act again. */
  async finish<E extends LoggedAction>(executor: ActionExecutor<E>, entry: E, token: string): Promise<void> {
    if (executor.finished(entry)) return this.settle(executor, entry);
    if (executor.moot(entry, this.cases)) return this.settle(executor, entry);
    return this.act(executor, entry, token);
  }

  /** Phase 1: units already claimed on cases (a crash, a failure): finished as they were. */
  async resumeClaimed(executors: ActionExecutor<LoggedAction>[]): Promise<void> {
    const claimed = new Map<string, { executor: ActionExecutor<LoggedAction>; caseKeys: string[] }>();
    for (const c of this.snapshot()) {
      for (const item of c.due) {
        if (!item.message_id) continue;
        const executor = executors.find((e) => e.handles(item));
        if (!executor) continue;
        const found = claimed.get(item.message_id) ?? { executor, caseKeys: [] };
        if (!found.caseKeys.includes(c.case_key)) found.caseKeys.push(c.case_key);
        claimed.set(item.message_id, found);
      }
    }
    for (const [id, { executor, caseKeys }] of claimed) {
      const logged = await executor.read(id);
      if (logged) {
        await this.finish(executor, logged.entry, logged.token);
        continue;
      }
      // Claimed, but the process stopped before the log entry: unclaim, to be planned afresh.
      for (const key of caseKeys) {
        await this.update(key, (c) => {
          for (const d of c.due) if (d.message_id === id) d.message_id = null;
          return c;
        });
      }
    }
  }

  /** Phase 2: what is due and unclaimed, planned into units by each executor and carried out. */
  async runNew(
    executors: ActionExecutor<LoggedAction>[],
    dueCases: (items: (d: DueItem) => boolean) => DueCase[],
  ) {
    for (const executor of executors) {
      const units = await executor.plan(dueCases((d) => executor.handles(d)));
      for (const unit of units) await this.runUnit(executor, unit);
    }
  }

  /** Claim → log → act → settle for one new unit. */
  async runUnit<E extends LoggedAction>(executor: ActionExecutor<E>, unit: ActionUnit<E>): Promise<void> {
    for (const ref of unit.entry.cases) {
      const ids = new Set(ref.event_ids);
      await this.update(ref.case_key, (c) => {
        for (const d of c.due)
          if (ids.has(d.event_id) && d.message_id === null && executor.handles(d)) d.message_id = unit.id;
        unit.onClaim?.(c);
        return c;
      });
    }
    this.ports.fault?.('after-claim');
    await this.logAndAct(executor, unit.entry);
  }

  /** Log create-only (a unit logged before is finished instead), then act. */
  async logAndAct<E extends LoggedAction>(executor: ActionExecutor<E>, entry: E): Promise<void> {
    let token: string;
    try {
      token = await executor.create(entry);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // The same unit was logged before (a rerun, a crash): finish that one instead.
      const found = await executor.read(executor.idOf(entry));
      if (found) await this.finish(executor, found.entry, found.token);
      return;
    }
    this.ports.fault?.('after-log-sending');
    await this.act(executor, entry, token);
  }
}
