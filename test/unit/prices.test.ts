/** Pricing the watch's metrics (docs/watch.md "Prices"): model ids to model keys, and the fallbacks. */
import { describe, expect, it } from 'vitest';
import { loadListPrices } from '../../functions/adapters/list-prices.js';
import { baseModelId, idOf, ModelKeyIndex } from '../../functions/core/detect/model-keys.js';
import {
  type ClassPrices,
  type ListPrices,
  type PriceTable,
  Pricing,
  weakestBasis,
} from '../../functions/core/detect/prices.js';

const A = '111111111111';
const B = '222222222222';
const APP = `arn:aws:bedrock:us-east-1:${B}:application-inference-profile/k2x9abc`;
const prices = (
  input: number | null,
  output: number | null,
  cache_read: number | null = null,
  cache_write: number | null = null,
): ClassPrices => ({
  input,
  output,
  cache_read,
  cache_write,
});
const tokens = { input: 1e6, output: 1e6, cache_read: 1e6, cache_write: 1e6 };

const TABLE: PriceTable = {
  version: 1,
  computed_at: '2026-03-22T06:00:00Z',
  run_id: 'r',
  window: { start: '2026-02-15', end: '2026-03-20' },
  cost_column: 'billedcost',
  accounts: [
    { account_id: A, model: 'Claude4.6Opus', usd_per_million: prices(5.17, 25.85), tokens },
    { account_id: B, model: 'Claude4.5Sonnet', usd_per_million: prices(3.1, 15.5, 0.31, 3.875), tokens },
  ],
  organization: [
    { model: 'Claude4.6Opus', usd_per_million: prices(5.3, 26.5, 0.53, 6.6), tokens },
    { model: 'Claude4.5Sonnet', usd_per_million: prices(3.2, 16, 0.32, 4), tokens },
  ],
  resources: [
    { account_id: B, resource_id: APP, model: 'Claude4.5Sonnet', tokens: 5e6 },
    {
      account_id: A,
      resource_id: `arn:aws:bedrock:us-east-1:${A}:inference-profile/us.meta.llama4-maverick-17b-instruct-v1:0`,
      model: 'Llama4Maverick',
      tokens: 1e6,
    },
    {
      account_id: B,
      resource_id: `arn:aws:bedrock:us-east-1:${B}:inference-profile/us.anthropic.claude-opus-4-6-v1`,
      model: 'Claude Opus 4.6',
      tokens: 2e6,
    },
    {
      account_id: A,
      resource_id: `arn:aws:bedrock:us-east-1:${A}:inference-profile/us.anthropic.claude-opus-4-6-v1`,
      model: 'Claude4.6Opus',
      tokens: 9e6,
    },
  ],
  regions: ['us-east-1'],
};

const LIST: ListPrices = (id) =>
  ({
    'anthropic.claude-opus-4-6-v1': prices(5.5, 27.5, 0.55, 6.875),
    'us.anthropic.claude-opus-4-6-v1': prices(5.5, 27.5, 0.55, 6.875),
    'global.anthropic.claude-opus-4-6-v1': prices(5, 25, 0.5, 6.25),
    'amazon.nova-micro-v1:0': prices(0.035, 0.14),
  })[id] ?? null;

describe('model ids to the bill model keys', () => {
  it('strips ARNs and cross-region prefixes', () => {
    expect(idOf(APP)).toBe('k2x9abc');
    expect(baseModelId('global.anthropic.claude-opus-4-6-v1')).toBe('anthropic.claude-opus-4-6-v1');
    expect(baseModelId('apac.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
    );
    expect(baseModelId('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0')).toBe(
      'amazon.nova-pro-v1:0',
    );
  });

  it('maps an application inference profile, by id or ARN, through the bill', () => {
    const index = new ModelKeyIndex(TABLE.resources);
    expect(index.resolve(B, 'k2x9abc')).toEqual({ model: 'Claude4.5Sonnet', source: 'bill' });
    expect(index.resolve(B, APP)).toEqual({ model: 'Claude4.5Sonnet', source: 'bill' });
  });

  it("prefers the account's own link: one profile id, first-party in one account and Marketplace in another", () => {
    const index = new ModelKeyIndex(TABLE.resources);
    expect(index.resolve(A, 'us.anthropic.claude-opus-4-6-v1')?.model).toBe('Claude4.6Opus');
    expect(index.resolve(B, 'us.anthropic.claude-opus-4-6-v1')?.model).toBe('Claude Opus 4.6');
    // An account the bill has not seen on it takes the link with the most tokens.
    expect(index.resolve('333333333333', 'us.anthropic.claude-opus-4-6-v1')?.model).toBe('Claude4.6Opus');
    expect(index.resolve('333333333333', 'us.meta.llama4-maverick-17b-instruct-v1:0')).toEqual({
      model: 'Llama4Maverick',
      source: 'bill',
    });
  });

  it('falls back to the shipped table for ids the bill has not named, any cross-region prefix', () => {
    const index = new ModelKeyIndex([]);
    for (const id of [
      'anthropic.claude-opus-4-6-v1',
      'global.anthropic.claude-opus-4-6-v1',
      'eu.anthropic.claude-opus-4-6-v1',
    ])
      expect(index.resolve(A, id)).toEqual({ model: 'Claude4.6Opus', source: 'table' });
    expect(index.resolve(A, 'apac.anthropic.claude-haiku-4-5-20251001-v1:0')?.model).toBe('Claude4.5Haiku');
    expect(index.resolve(A, 'cohere.command-r-v1:0')).toBeNull();
  });
});

describe('pricing an account’s model id', () => {
  const pricing = new Pricing(TABLE, LIST);

  it("uses the account's own price, class by class, then the organization's", () => {
    const p = pricing.resolve(A, 'us.anthropic.claude-opus-4-6-v1');
    expect(p.model_key).toBe('Claude4.6Opus');
    expect(p.usd_per_million).toEqual(prices(5.17, 25.85, 0.53, 6.6));
    expect(p.basis).toEqual({
      input: 'account',
      output: 'account',
      cache_read: 'organization',
      cache_write: 'organization',
    });
  });

  it("uses the organization's price for an account without its own", () => {
    const p = pricing.resolve('333333333333', 'global.anthropic.claude-opus-4-6-v1');
    expect(p.usd_per_million).toEqual(prices(5.3, 26.5, 0.53, 6.6));
    expect(new Set(Object.values(p.basis))).toEqual(new Set(['organization']));
  });

  it('prices an application profile at the price of the model the bill shows behind it', () => {
    expect(pricing.resolve(B, 'k2x9abc').usd_per_million).toEqual(prices(3.1, 15.5, 0.31, 3.875));
  });

  it('falls back to the list price of the id itself when the bill has no price for the model', () => {
    const p = pricing.resolve(A, 'amazon.nova-micro-v1:0');
    expect(p).toMatchObject({ model_key: null, usd_per_million: prices(0.035, 0.14) });
    expect(p.basis).toEqual({ input: 'list', output: 'list', cache_read: null, cache_write: null });
  });

  it('leaves an id nobody can price without prices (counted, never guessed)', () => {
    const p = pricing.resolve(A, 'cohere.command-r-v1:0');
    expect(p.usd_per_million).toEqual(prices(null, null));
    expect(new Pricing(null, null).resolve(A, 'anthropic.claude-opus-4-6-v1').usd_per_million).toEqual(
      prices(null, null),
    );
  });

  it('names the least specific basis of a figure', () => {
    expect(weakestBasis(['account', 'organization', null])).toBe('organization');
    expect(weakestBasis(['account', 'list'])).toBe('list');
    expect(weakestBasis([null])).toBeNull();
  });
});

describe('list prices from the price library (no network)', () => {
  it('knows Bedrock ids and cross-region profiles under its aws provider', async () => {
    const list = await loadListPrices();
    expect(list('anthropic.claude-opus-4-6-v1')).toEqual(prices(5.5, 27.5, 0.55, 6.875));
    expect(list('us.anthropic.claude-opus-4-6-v1')).toEqual(prices(5.5, 27.5, 0.55, 6.875));
    expect(list('global.anthropic.claude-opus-4-6-v1')).toEqual(prices(5, 25, 0.5, 6.25));
    expect(list('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toEqual(prices(3, 15, 0.3, 3.75));
    expect(list('k2x9abc')).toBeNull();
  });
});
