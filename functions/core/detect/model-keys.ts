/**
 * From a CloudWatch `ModelId` to the bill's model key (docs/watch.md "Prices"). The model key is what
 * staging derives from the usage type (`USE1-Claude4.6Opus-input-tokens` → `Claude4.6Opus`); CloudWatch
 * names the model id (`anthropic.claude-opus-4-6-v1`), a cross-region profile id (`us.`, `eu.`, `apac.`,
 * `global.` … in front of it) or an application inference profile (its id or ARN). In order:
 *  1. the bill itself: the `resourceid` ARNs of the account's Bedrock rows (then of any account) whose
 *     last part is the id — this covers application profiles and every id an account actually used;
 *  2. the table below, for ids no bill row has named yet (a model an account starts using today);
 *  3. none: the tokens are priced at the list price of the id itself, and the finding says so.
 */

/**
 * Foundation-model ids and the model key AWS bills them under. Kept short on purpose: only pairs seen in
 * the bill's usage types (Claude4.6Opus in the project's own export notes; the others as public CUR parsers
 * quote AWS's usage types) whose id the list-price library also knows as that model. Add a row when a
 * model's usage type is confirmed; the bill's own `resourceid` links need no row.
 */
export const MODEL_KEYS: Readonly<Record<string, string>> = {
  'anthropic.claude-opus-4-6-v1': 'Claude4.6Opus',
  'anthropic.claude-opus-4-5-20251101-v1:0': 'Claude4.5Opus',
  'anthropic.claude-sonnet-4-6': 'Claude4.6Sonnet',
  'anthropic.claude-sonnet-4-5-20250929-v1:0': 'Claude4.5Sonnet',
  'anthropic.claude-haiku-4-5-20251001-v1:0': 'Claude4.5Haiku',
  'amazon.nova-pro-v1:0': 'NovaPro',
};

/** Geographic and global prefixes of system-defined cross-region inference profiles. */
const PROFILE_PREFIX = /^(us|eu|apac|global|us-gov|jp|au|ca)\./;

/** The id an ARN ends in (`…:application-inference-profile/abc123` → `abc123`); other ids unchanged. */
export function idOf(modelId: string): string {
  const trimmed = modelId.trim();
  if (!trimmed.startsWith('arn:')) return trimmed;
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? trimmed.slice(slash + 1) : trimmed;
}

/** The foundation-model id behind a cross-region profile id (`global.anthropic.x` → `anthropic.x`). */
export function baseModelId(modelId: string): string {
  return idOf(modelId).replace(PROFILE_PREFIX, '');
}

/** One link the bill shows: an account's rows under `resource_id` billed as model key `model`. */
export interface ResourceLink {
  account_id: string;
  resource_id: string;
  model: string;
  tokens: number;
}

export type ModelKeySource = 'bill' | 'table';

/** Resolves model ids against the bill's links, then the table; built once per price table. */
export class ModelKeyIndex {
  private readonly byAccount = new Map<string, { model: string; tokens: number }>();
  private readonly anyAccount = new Map<string, { model: string; tokens: number }>();

  constructor(links: readonly ResourceLink[]) {
    for (const link of links) {
      for (const id of new Set([link.resource_id, idOf(link.resource_id)])) {
        keepLargest(this.byAccount, `${link.account_id}|${id}`, link);
        keepLargest(this.anyAccount, id, link);
      }
    }
  }

  resolve(accountId: string, modelId: string): { model: string; source: ModelKeySource } | null {
    for (const id of new Set([modelId.trim(), idOf(modelId)])) {
      const own = this.byAccount.get(`${accountId}|${id}`);
      if (own) return { model: own.model, source: 'bill' };
    }
    for (const id of new Set([modelId.trim(), idOf(modelId)])) {
      const any = this.anyAccount.get(id);
      if (any) return { model: any.model, source: 'bill' };
    }
    const listed = MODEL_KEYS[baseModelId(modelId)];
    return listed ? { model: listed, source: 'table' } : null;
  }
}

function keepLargest(map: Map<string, { model: string; tokens: number }>, key: string, link: ResourceLink) {
  const held = map.get(key);
  // Several keys behind one ARN (first-party and Marketplace rows of one profile): the larger wins.
  if (!held || link.tokens > held.tokens || (link.tokens === held.tokens && link.model < held.model)) {
    map.set(key, { model: link.model, tokens: link.tokens });
  }
}
