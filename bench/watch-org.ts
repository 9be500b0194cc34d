/**
 * The organization the watch benchmarks run on (docs/watch.md "Speed"): 500 accounts × 3 model ids × 14
 * days of baseline plus the 48 hours a watch judges at most, every hour with usage (a weekday
 * office-hours shape with noise), a loop on one account in 50, and a bill's price table for them.
 */
import type { ClassPrices, PriceTable } from '../functions/core/detect/prices.js';
import { HOUR_MS, hourIso } from '../functions/core/hours.js';
import type { HourlyUsage } from '../functions/core/ports.js';
import { Random } from '../functions/synthetic/random.js';

export const ACCOUNTS = 500;
export const BASELINE_DAYS = 14;
export const JUDGED_HOURS = 48;
export const START = Date.UTC(2026, 10, 16);

export const MODELS: { id: string; key: string; prices: ClassPrices }[] = [
  {
    id: 'us.anthropic.claude-opus-4-6-v1',
    key: 'Claude4.6Opus',
    prices: { input: 5.5, output: 27.5, cache_read: 0.55, cache_write: 6.875 },
  },
  {
    id: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    key: 'Claude4.5Sonnet',
    prices: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  },
  {
    id: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    key: 'Claude4.5Haiku',
    prices: { input: 1.1, output: 5.5, cache_read: 0.11, cache_write: 1.375 },
  },
];

/** `extraHours`: hours of usage after the judged 48 (a bench that watches on past them). */
export function organization(extraHours = 0): { rows: HourlyUsage[]; table: PriceTable } {
  const random = new Random(7);
  const rows: HourlyUsage[] = [];
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(100_000_000_000 + i * 7919));
  const hours = (BASELINE_DAYS * 24 + JUDGED_HOURS + extraHours) | 0;
  for (const [n, account] of accounts.entries()) {
    const level = Math.exp(random.between(Math.log(0.3), Math.log(80)));
    const loopFrom = n % 50 === 0 ? BASELINE_DAYS * 24 + random.int(0, JUDGED_HOURS - 6) : -1;
    for (let h = 0; h < hours; h++) {
      const ms = START + h * HOUR_MS;
      const d = new Date(ms);
      const weekday = d.getUTCDay() % 6 !== 0;
      const office = d.getUTCHours() >= 8 && d.getUTCHours() < 19;
      const shape = weekday && office ? 2.2 : 0.25;
      for (const model of MODELS) {
        const usd = (level / 3) * shape * random.wobble(0.3) + (loopFrom >= 0 && h >= loopFrom ? 40 : 0);
        const prompt =
          usd /
          ((0.3 * model.prices.input! + 0.65 * model.prices.cache_read! + 0.05 * model.prices.output!) / 1e6);
        rows.push({
          account_id: account,
          model_id: model.id,
          hour: hourIso(ms),
          input_tokens: Math.round(prompt * 0.3),
          output_tokens: Math.round(prompt * 0.05),
          cache_read_tokens: Math.round(prompt * 0.65),
          cache_write_tokens: 0,
          invocations: Math.max(1, Math.round(prompt / 8000)),
        });
      }
    }
  }
  const tokens = { input: 1e9, output: 1e8, cache_read: 1e9, cache_write: 1e7 };
  const table: PriceTable = {
    version: 1,
    computed_at: '2026-12-01T06:00:00Z',
    run_id: null,
    window: { start: '2026-10-27', end: '2026-11-29' },
    cost_column: 'billedcost',
    accounts: accounts.flatMap((a) =>
      MODELS.map((m) => ({ account_id: a, model: m.key, usd_per_million: m.prices, tokens })),
    ),
    organization: MODELS.map((m) => ({ model: m.key, usd_per_million: m.prices, tokens })),
    resources: accounts.flatMap((a) =>
      MODELS.map((m) => ({
        account_id: a,
        resource_id: `arn:aws:bedrock:us-east-1:${a}:inference-profile/${m.id}`,
        model: m.key,
        tokens: 1e9,
      })),
    ),
    regions: ['us-east-1'],
  };
  return { rows, table };
}
