/**
 * `npm run bench:watch`: how long the watch's rule takes on an organization's hours (docs/watch.md
 * "Speed"). 500 accounts × 3 model ids × 14 days of baseline plus the 48 hours a watch judges at most
 * (every hour with usage, a weekday office-hours shape with noise, a few loops), priced with a bill's
 * price table; the rule's two steps timed apart (pricing the rows into hourly series, judging the 48
 * hours), the first stage's screen, and the file adapter reading the same rows from JSON lines. Median
 * of 5 rounds after one warm-up. Prints a markdown table; the target is under 10 s for the rule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadListPrices } from '../functions/adapters/list-prices.js';
import { FileMetricsSource } from '../functions/adapters/metrics/file.js';
import { packagePath } from '../functions/core/assets.js';
import { defaultConfig } from '../functions/core/config.js';
import { type ClassPrices, type PriceTable, Pricing } from '../functions/core/detect/prices.js';
import {
  judgeWatch,
  prepareWatch,
  screenWatch,
  watchRuleParams,
} from '../functions/core/detect/watch-rule.js';
import { addHours, HOUR_MS, hourIso } from '../functions/core/hours.js';
import type { HourlyUsage } from '../functions/core/ports.js';
import { Random } from '../functions/synthetic/random.js';

const ACCOUNTS = 500;
const BASELINE_DAYS = 14;
const JUDGED_HOURS = 48;
const ROUNDS = 5;
const START = Date.UTC(2026, 10, 16);

const MODELS: { id: string; key: string; prices: ClassPrices }[] = [
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

function organization(): { rows: HourlyUsage[]; table: PriceTable } {
  const random = new Random(7);
  const rows: HourlyUsage[] = [];
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(100_000_000_000 + i * 7919));
  const hours = (BASELINE_DAYS * 24 + JUDGED_HOURS) | 0;
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const config = defaultConfig();
  const params = watchRuleParams(config.watch);
  const listPrices = await loadListPrices();
  const { rows, table } = organization();
  const from = hourIso(START);
  const evaluate = {
    from: addHours(from, BASELINE_DAYS * 24),
    to: addHours(from, BASELINE_DAYS * 24 + JUDGED_HOURS),
  };
  const dir = join(packagePath(), 'bench', '.data');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'watch-speed-hourly.jsonl');
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);

  const timings = {
    read: [] as number[],
    price: [] as number[],
    judge: [] as number[],
    screen: [] as number[],
  };
  let findings = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = performance.now();
    const read = await new FileMetricsSource(file).hourly({ from, to: evaluate.to });
    const t1 = performance.now();
    const prepared = prepareWatch({
      rows: read,
      pricing: new Pricing(table, listPrices),
      evaluate,
      coveredFrom: from,
    });
    const t2 = performance.now();
    const result = judgeWatch(prepared, params, config.severity);
    const t3 = performance.now();
    screenWatch(prepared, params);
    const t4 = performance.now();
    findings = result.findings.length;
    if (round === 0) continue; // warm-up
    timings.read.push(t1 - t0);
    timings.price.push(t2 - t1);
    timings.judge.push(t3 - t2);
    timings.screen.push(t4 - t3);
  }
  const s = (xs: number[]) => (median(xs) / 1000).toFixed(2);
  const rule = median(timings.price.map((p, i) => p + timings.judge[i]!)) / 1000;
  const lines = [
    `# Watch speed: ${ACCOUNTS} accounts × ${MODELS.length} model ids × ${BASELINE_DAYS} days + ${JUDGED_HOURS} judged hours`,
    '',
    `${rows.length.toLocaleString('en-US')} metric rows, ${ACCOUNTS * JUDGED_HOURS} account-hours judged, ${findings} findings (the ${ACCOUNTS / 50} planted loops). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); median of ${ROUNDS} rounds after a warm-up.`,
    '',
    '| step | seconds |',
    '|---|---:|',
    `| read the JSON-lines file (file adapter) | ${s(timings.read)} |`,
    `| price the rows into hourly series per account | ${s(timings.price)} |`,
    `| judge ${JUDGED_HOURS} hours (runaway, new-spender, context growth) | ${s(timings.judge)} |`,
    `| **the rule (price + judge)** | **${rule.toFixed(2)}** (target < 10) |`,
    `| first-stage screen over the same hours | ${s(timings.screen)} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (rule >= 10) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
