/**
 * List prices for the watch's last fallback (docs/watch.md "Prices"), from `@pydantic/genai-prices`: a
 * maintained price library that bundles its data and knows Bedrock's model and cross-region profile ids
 * under its `aws` provider. Loaded by dynamic import (it is large; only a watch that meets an id the bill
 * cannot price needs it) and never asked to fetch newer data: no network at run time.
 *
 * The library counts cache reads and writes inside `input_tokens`, so each class is priced on its own: a
 * million tokens that are all input, all cache reads, all cache writes, or all output.
 */
import type { ClassPrices, ListPrices } from '../core/detect/prices.js';

const MILLION = 1_000_000;

export async function loadListPrices(): Promise<ListPrices> {
  const { calcPrice } = await import('@pydantic/genai-prices');
  const cache = new Map<string, ClassPrices | null>();
  const price = (modelId: string, usage: Record<string, number>): number | null => {
    try {
      const result = calcPrice(usage, modelId, { providerId: 'aws' });
      return result ? Math.round(result.total_price * 1e6) / 1e6 : null;
    } catch {
      return null;
    }
  };
  return (modelId) => {
    if (cache.has(modelId)) return cache.get(modelId)!;
    const input = price(modelId, { input_tokens: MILLION });
    const prices: ClassPrices | null =
      input === null
        ? null
        : {
            input,
            output: price(modelId, { output_tokens: MILLION }),
            cache_read: price(modelId, { input_tokens: MILLION, cache_read_tokens: MILLION }),
            cache_write: price(modelId, { input_tokens: MILLION, cache_write_tokens: MILLION }),
          };
    cache.set(modelId, prices);
    return prices;
  };
}
