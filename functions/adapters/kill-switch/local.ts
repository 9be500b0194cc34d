/**
 * The kill switch on a local file (docs/kill-switch.md "Transports"): the engaged accounts and the document
 * each would have attached, in `kill-switch/engaged.json` under `out`, written through the BlobStore with
 * create-only / if-match writes (a conflict re-reads and tries again), so two processes never lose each
 * other's engagement. It stops nothing real: it is the transport of local runs, the demo and tests, with the
 * same contract as the Organizations one.
 */
import { ConflictError, UpstreamError } from '../../core/errors.js';
import type { OrganizationFacts } from '../../core/kill-switch/decide.js';
import type { BlobStore, Clock, EngagedAccount, KillSwitch, PolicyDocument } from '../../core/ports.js';
import { systemClock } from '../../core/ports.js';

export const ENGAGED_KEY = 'kill-switch/engaged.json';

/** Conditional writes tried before giving up (each conflict means another writer just won). */
const MAX_ATTEMPTS = 20;

interface EngagedFile {
  accounts: EngagedAccount[];
}

export interface LocalKillSwitchOptions {
  clock?: Clock;
  /** What a local run knows of the organization (nothing, unless given: there is no organization to ask). */
  organization?: Partial<Omit<OrganizationFacts, 'own_account_id'>>;
  /** The account the deployment runs in, when known (never stopped). */
  ownAccountId?: string | null;
}

export class LocalKillSwitch implements KillSwitch {
  readonly kind = 'kill-switch' as const;
  private readonly clock: Clock;
  private readonly known: Omit<OrganizationFacts, 'own_account_id'>;
  private readonly ownAccountId: string | null;

  constructor(
    private readonly store: BlobStore,
    options: LocalKillSwitchOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.known = { management_account_id: null, ou_accounts: {}, ...options.organization };
    this.ownAccountId = options.ownAccountId ?? null;
  }

  describe(): string {
    return `local kill switch (${this.store.describe(ENGAGED_KEY)})`;
  }

  /** The organization's facts for deciding (docs/kill-switch.md "Eligibility"): only what was configured. */
  async readOrganization(): Promise<Omit<OrganizationFacts, 'own_account_id'>> {
    return this.known;
  }

  async organization(): Promise<OrganizationFacts> {
    return { ...this.known, own_account_id: this.ownAccountId };
  }

  async engage(input: {
    account_id: string;
    case_key: string;
    reason: string;
    policy: PolicyDocument;
  }): Promise<{ policy_id: string; engaged_at: string }> {
    let result: EngagedAccount | undefined;
    await this.update((accounts) => {
      const existing = accounts.find((a) => a.account_id === input.account_id);
      const entry: EngagedAccount = existing
        ? { ...existing, case_key: input.case_key, policy: input.policy }
        : {
            account_id: input.account_id,
            policy_id: `local-stop-${input.account_id}`,
            case_key: input.case_key,
            engaged_at: this.clock.now().toISOString(),
            policy: input.policy,
          };
      result = entry;
      if (existing && JSON.stringify(existing) === JSON.stringify(entry)) return null;
      return [...accounts.filter((a) => a.account_id !== input.account_id), entry];
    });
    return { policy_id: result!.policy_id, engaged_at: result!.engaged_at };
  }

  async release(input: { account_id: string }): Promise<void> {
    await this.update((accounts) =>
      accounts.some((a) => a.account_id === input.account_id)
        ? accounts.filter((a) => a.account_id !== input.account_id)
        : null,
    );
  }

  async engaged(): Promise<EngagedAccount[]> {
    const current = await this.store.get(ENGAGED_KEY);
    return current ? this.parse(current.body).accounts : [];
  }

  /** Read, change, write if-match (create-only when absent); `change` returns null for "nothing to write". */
  private async update(change: (accounts: EngagedAccount[]) => EngagedAccount[] | null): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get(ENGAGED_KEY);
      const next = change(current ? this.parse(current.body).accounts : []);
      if (next === null) return;
      const body: EngagedFile = {
        accounts: [...next].sort((a, b) => a.account_id.localeCompare(b.account_id)),
      };
      try {
        await this.store.put(
          ENGAGED_KEY,
          `${JSON.stringify(body)}\n`,
          current ? { ifMatch: current.version } : { ifNoneMatch: '*' },
        );
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new ConflictError(
      `${this.store.describe(ENGAGED_KEY)} kept changing under ${MAX_ATTEMPTS} attempts to update it`,
      { hint: 'another process is writing the kill switch file; try again' },
    );
  }

  private parse(body: string): EngagedFile {
    try {
      const parsed = JSON.parse(body) as Partial<EngagedFile>;
      if (Array.isArray(parsed.accounts)) return { accounts: parsed.accounts };
    } catch {
      // reported below
    }
    throw new UpstreamError(`${this.store.describe(ENGAGED_KEY)} is not a kill switch file`, {
      hint: 'it holds {"accounts": [...]} as the kill switch wrote it; restore it from a backup or remove it after checking no account should stay stopped',
    });
  }
}
