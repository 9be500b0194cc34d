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
import { Pricing } from '../functions/core/detect/prices.js';
import {
  judgeWatch,
  prepareWatch,
  screenWatch,
  watchRuleParams,
} from '../functions/core/detect/watch-rule.js';
import { addHours, hourIso } from '../functions/core/hours.js';
import { ACCOUNTS, BASELINE_DAYS, JUDGED_HOURS, MODELS, organization, START } from './watch-org.js';

const ROUNDS = 5;

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
