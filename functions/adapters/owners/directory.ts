/**
 * The owners mapping once read (docs/emails.md): accounts not in it are owned by FinOps (`routed: false`).
 * Apart from the file parsers (owners/file.ts), so a run with no owners file loads no CSV or YAML parser.
 */
import type { Owner, OwnerDirectory } from '../../core/ports.js';

export interface OwnerEntry {
  accountId: string;
  ownerEmail: string;
  accountName: string | null;
  team: string | null;
  cc: string[];
  /** `environment` (e.g. `sandbox`), lower case; null when the file says none. */
  environment?: string | null;
  /** The account's own daily budget cap in USD; null when the file gives none. */
  dailyCapUsd?: number | null;
}

export class MappedOwnerDirectory implements OwnerDirectory {
  readonly kind = 'owners' as const;
  private readonly byAccount: Map<string, OwnerEntry>;

  /** `configured`: a mapping was given (default: any entries); false: cases keep their stored owner. */
  constructor(
    entries: OwnerEntry[],
    private readonly finops: string,
    readonly configured: boolean = entries.length > 0,
  ) {
    this.byAccount = new Map(entries.map((e) => [e.accountId, e]));
  }

  lookup(accountId: string): Owner {
    const entry = this.byAccount.get(accountId);
    if (!entry) {
      return { accountId, ownerEmail: this.finops, accountName: null, team: null, cc: [], routed: false };
    }
    return {
      accountId: entry.accountId,
      ownerEmail: entry.ownerEmail,
      accountName: entry.accountName,
      team: entry.team,
      cc: [...entry.cc],
      routed: true,
    };
  }

  /** Every mapped account's budget facts (docs/detection.md "Budget"). */
  budgets(): { accountId: string; environment: string | null; dailyCapUsd: number | null }[] {
    return [...this.byAccount.values()].map((e) => ({
      accountId: e.accountId,
      environment: e.environment ?? null,
      dailyCapUsd: e.dailyCapUsd ?? null,
    }));
  }

  get size(): number {
    return this.byAccount.size;
  }
}
