/**
 * Prices for the hourly watch (docs/watch.md "Prices"): every detection run writes `prices/latest.json`,
 * the unit prices the bill shows (cost ÷ tokens over the run's data window) per account × model key ×
 * token class and per model key across the organization, the bill's links from model and profile ARNs
 * to model keys, and the regions with Bedrock inference spend. The watch prices an hour's tokens at the
 * account's price, else the organization's, else a list price, class by class, and names which it used.
 * Pure: rows in, a table out; list prices come in as a function (functions/adapters/list-prices.ts).
 */
import type { Dialect } from '../sql/dialect.js';
import { renderSql } from '../sql/render.js';
import type { IsoDate } from '../types.js';
import { idOf, ModelKeyIndex, type ModelKeySource, type ResourceLink } from './model-keys.js';

export const PRICES_KEY = 'prices/latest.json';

/** The token classes CloudWatch counts (both cache-write classes of the bill are one). */
export type PriceClass = 'input' | 'output' | 'cache_read' | 'cache_write';
export const PRICE_CLASSES: readonly PriceClass[] = ['input', 'output', 'cache_read', 'cache_write'];

/** USD per million tokens per class; null where no price is known. */
export type ClassPrices = Record<PriceClass, number | null>;

/** Where a price came from, most specific first. */
export type PriceBasis = 'account' | 'organization' | 'list';
const BASIS_ORDER: readonly PriceBasis[] = ['account', 'organization', 'list'];

/** The least specific of some bases (an hour priced partly at list price is a list-price estimate). */
export function weakestBasis(bases: Iterable<PriceBasis | null>): PriceBasis | null {
  let worst = -1;
  for (const basis of bases) if (basis) worst = Math.max(worst, BASIS_ORDER.indexOf(basis));
  return worst < 0 ? null : BASIS_ORDER[worst]!;
}

/**
 * List prices by model id (a cross-region profile id included): USD per million tokens per class, or
 * null for an id the price library does not know. Core never loads the library itself.
 */
export type ListPrices = (modelId: string) => ClassPrices | null;

/** A price is read from at least this many tokens of the class: fewer say more about rounding than price. */
export const MIN_PRICE_TOKENS = 1000;

export interface ModelPrices {
  model: string;
  usd_per_million: ClassPrices;
  tokens: Record<PriceClass, number>;
}

export interface AccountModelPrices extends ModelPrices {
  account_id: string;
}

/** `prices/latest.json`. */
export interface PriceTable {
  version: 1;
  computed_at: string;
  run_id: string | null;
  /** The days the prices were read from. */
  window: { start: IsoDate; end: IsoDate };
  cost_column: string;
  accounts: AccountModelPrices[];
  organization: ModelPrices[];
  /** The bill's links from model and inference-profile ARNs to model keys. */
  resources: ResourceLink[];
  /** Regions with Bedrock inference spend in the window: where the watch reads, besides `watch.regions`. */
  regions: string[];
}

/** sql/prices.sql over the run's staging relation (a table name, or staging.sql with detail as a sub-query). */
export function pricesSql(
  dialect: Dialect,
  input: { staging: string; start: IsoDate; end: IsoDate },
): string {
  return renderSql('prices', dialect, {
    staging: input.staging,
    price_start: input.start,
    price_end: input.end,
  });
}

const num = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
};
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;
const emptyPrices = (): ClassPrices => ({ input: null, output: null, cache_read: null, cache_write: null });
const emptyTokens = (): Record<PriceClass, number> => ({
  input: 0,
  output: 0,
  cache_read: 0,
  cache_write: 0,
});
const isPriceClass = (value: unknown): value is PriceClass =>
  typeof value === 'string' && (PRICE_CLASSES as readonly string[]).includes(value);

/** The table from sql/prices.sql's rows. */
export function buildPriceTable(
  rows: Record<string, unknown>[],
  meta: {
    computedAt: string;
    runId: string | null;
    window: { start: IsoDate; end: IsoDate };
    costColumn: string;
  },
): PriceTable {
  const accounts = new Map<string, AccountModelPrices>();
  const organization = new Map<string, ModelPrices>();
  const resources: ResourceLink[] = [];
  const regions = new Map<string, number>();
  const sums = new Map<string, { cost: number; tokens: number }>();

  for (const row of rows) {
    const level = String(row.level);
    const cost = num(row.cost);
    const tokens = num(row.tokens);
    const model = row.model === null || row.model === undefined ? null : String(row.model);
    if (level === 'region') {
      if (row.subject && cost > 0)
        regions.set(String(row.subject), (regions.get(String(row.subject)) ?? 0) + cost);
      continue;
    }
    if (!model) continue;
    if (level === 'resource') {
      if (row.subject && row.account_id)
        resources.push({
          account_id: String(row.account_id),
          resource_id: String(row.subject),
          model,
          tokens: Math.round(tokens),
        });
      continue;
    }
    if (!isPriceClass(row.token_class)) continue;
    if (level === 'account' && row.account_id) {
      const key = `${row.account_id}|${model}`;
      if (!accounts.has(key))
        accounts.set(key, {
          account_id: String(row.account_id),
          model,
          usd_per_million: emptyPrices(),
          tokens: emptyTokens(),
        });
      sums.set(`a|${key}|${row.token_class}`, { cost, tokens });
      accounts.get(key)!.tokens[row.token_class] = Math.round(tokens);
    } else if (level === 'organization') {
      if (!organization.has(model))
        organization.set(model, { model, usd_per_million: emptyPrices(), tokens: emptyTokens() });
      sums.set(`o|${model}|${row.token_class}`, { cost, tokens });
      organization.get(model)!.tokens[row.token_class] = Math.round(tokens);
    }
  }
  const priceOf = (key: string): number | null => {
    const s = sums.get(key);
    return s && s.tokens >= MIN_PRICE_TOKENS && s.cost >= 0 ? round6((s.cost / s.tokens) * 1e6) : null;
  };
  for (const [key, entry] of accounts)
    for (const c of PRICE_CLASSES) entry.usd_per_million[c] = priceOf(`a|${key}|${c}`);
  for (const [model, entry] of organization)
    for (const c of PRICE_CLASSES) entry.usd_per_million[c] = priceOf(`o|${model}|${c}`);

  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    version: 1,
    computed_at: meta.computedAt,
    run_id: meta.runId,
    window: meta.window,
    cost_column: meta.costColumn,
    accounts: [...accounts.values()].sort(
      (a, b) => byText(a.account_id, b.account_id) || byText(a.model, b.model),
    ),
    organization: [...organization.values()].sort((a, b) => byText(a.model, b.model)),
    resources: resources.sort(
      (a, b) =>
        byText(a.account_id, b.account_id) ||
        byText(a.resource_id, b.resource_id) ||
        byText(a.model, b.model),
    ),
    regions: [...regions.keys()].sort(byText),
  };
}

/** How one account's model id is priced: per class, the price and where it came from. */
export interface ResolvedPrices {
  model_id: string;
  /** The bill's model key, or null when neither the bill nor the shipped table knows the id. */
  model_key: string | null;
  model_key_source: ModelKeySource | null;
  usd_per_million: ClassPrices;
  basis: Record<PriceClass, PriceBasis | null>;
}

/** Prices model ids against one price table (the account's, else the organization's, else list prices). */
export class Pricing {
  private readonly index: ModelKeyIndex;
  private readonly accounts = new Map<string, ClassPrices>();
  private readonly organization = new Map<string, ClassPrices>();
  /** Per account, per model id: resolved once (a watch resolves every row). */
  private readonly cache = new Map<string, Map<string, ResolvedPrices>>();

  constructor(
    readonly table: PriceTable | null,
    private readonly listPrices: ListPrices | null,
  ) {
    this.index = new ModelKeyIndex(table?.resources ?? []);
    for (const a of table?.accounts ?? []) this.accounts.set(`${a.account_id}|${a.model}`, a.usd_per_million);
    for (const o of table?.organization ?? []) this.organization.set(o.model, o.usd_per_million);
  }

  resolve(accountId: string, modelId: string): ResolvedPrices {
    let ofAccount = this.cache.get(accountId);
    if (!ofAccount) {
      ofAccount = new Map();
      this.cache.set(accountId, ofAccount);
    }
    const cached = ofAccount.get(modelId);
    if (cached) return cached;
    const key = this.index.resolve(accountId, modelId);
    const own = key ? this.accounts.get(`${accountId}|${key.model}`) : undefined;
    const org = key ? this.organization.get(key.model) : undefined;
    let list: ClassPrices | null | undefined;
    const resolved: ResolvedPrices = {
      model_id: modelId,
      model_key: key?.model ?? null,
      model_key_source: key?.source ?? null,
      usd_per_million: emptyPrices(),
      basis: { input: null, output: null, cache_read: null, cache_write: null },
    };
    for (const c of PRICE_CLASSES) {
      if (own?.[c] != null) {
        resolved.usd_per_million[c] = own[c];
        resolved.basis[c] = 'account';
      } else if (org?.[c] != null) {
        resolved.usd_per_million[c] = org[c];
        resolved.basis[c] = 'organization';
      } else {
        if (list === undefined) list = this.listPrices?.(idOf(modelId)) ?? null;
        if (list?.[c] != null) {
          resolved.usd_per_million[c] = list[c];
          resolved.basis[c] = 'list';
        }
      }
    }
    ofAccount.set(modelId, resolved);
    return resolved;
  }
}
