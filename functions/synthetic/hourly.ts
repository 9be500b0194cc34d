/**
 * Bedrock's hourly usage metrics for a synthetic organization (docs/watch.md "Input"), made from the very
 * FOCUS rows the generator wrote: every account × model id × day's tokens per class, spread over the
 * hours of the day by a workload shape, so the day's sums equal the bill's to the token. The model id is
 * the one the bill's `resourceid` names (the inference profile the workload calls), which is how the
 * watch maps it back to the bill's model key. Invocations, which the bill does not carry, follow the
 * prompt tokens at a prompt size per account and model id.
 *
 * Shapes: office hours (09:00–17:00 UTC on weekdays, a trickle otherwise) for development, test and
 * sandbox accounts and office-hours workloads; round the clock with a daily swing for production
 * services; flat over the day for agent runs and batch jobs (a day's total tells nothing of its hours);
 * the weekend loop at its own hours (Friday from 18:00 to Monday 18:00).
 */
import type { HourlyUsage } from '../core/ports.js';
import type { Day } from './calendar.js';
import { DAY_MS, dayRange } from './calendar.js';
import type { FocusRow } from './focus-row.js';
import { type AccountProfile, type IncidentLabel, WEEKEND_LOOP } from './organization.js';
import { hash32 } from './random.js';

type Shape = 'office' | 'service' | 'flat' | 'weekend-loop';
type TokenColumn = 'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_write_tokens';

const OFFICE_PATTERNS = new Set(['weekday-only', 'sporadic', 'weekend-loop']);
const OFFICE_ENVS = new Set(['dev', 'test', 'sandbox', 'staging']);

/** Bedrock model-inference usage rows (docs/detection.md "Input"), as the watch's metrics count them. */
function tokenColumn(row: FocusRow): TokenColumn | null {
  const bedrock =
    ['AmazonBedrock', 'AmazonBedrockService', 'AmazonBedrockFoundationModels'].includes(row.x_servicecode) ||
    row.servicename.includes('(Amazon Bedrock Edition)') ||
    (row.resourceid ?? '').startsWith('arn:aws:bedrock:');
  if (!bedrock || row.x_servicecode === 'AmazonBedrockAgentCore') return null;
  if (row.chargecategory !== 'Usage' || row.chargeclass === 'Correction') return null;
  const type = (row.skumeter ?? row.x_usagetype ?? '').toLowerCase();
  if (!type.includes('token')) return null;
  if (/cacheread|cache-read|cache_read/.test(type)) return 'cache_read_tokens';
  if (/cachewrite|cache-write|cache_write/.test(type)) return 'cache_write_tokens';
  if (type.includes('input')) return 'input_tokens';
  if (type.includes('output')) return 'output_tokens';
  return null;
}

function tokensOf(row: FocusRow): number {
  const unit = (row.consumedunit ?? row.pricingunit ?? '').toLowerCase();
  const scale =
    unit === '1k tokens'
      ? 1e3
      : unit === '1m tokens' || unit === 'units' || unit === 'million tokens'
        ? 1e6
        : 1;
  return Math.round((row.consumedquantity ?? 0) * scale);
}

/** The CloudWatch `ModelId` of a row: the last part of its model or inference-profile ARN. */
export function modelIdOf(row: FocusRow): string | null {
  const arn = row.resourceid ?? '';
  if (!arn.startsWith('arn:aws:bedrock:')) return null;
  return arn.slice(arn.lastIndexOf('/') + 1) || null;
}

/** The 24 weights of a day's hours for a shape. */
function weights(shape: Shape, day: Day, account: string, friday: Day | null): number[] {
  const weekend = day.weekday === 0 || day.weekday === 6;
  switch (shape) {
    case 'office':
      return Array.from({ length: 24 }, (_, h) => (h >= 9 && h < 17 ? 1 : weekend ? 0 : 0.02));
    case 'service': {
      const peak = 13 + (hash32(account) % 6);
      return Array.from({ length: 24 }, (_, h) => 1 + 0.35 * Math.cos((2 * Math.PI * (h - peak)) / 24));
    }
    case 'flat':
      return Array.from({ length: 24 }, () => 1);
    case 'weekend-loop': {
      if (!friday) return Array.from({ length: 24 }, () => 1);
      const offset = day.index - friday.index;
      return Array.from({ length: 24 }, (_, h) =>
        (offset === 0 && h >= WEEKEND_LOOP.startHour) ||
        offset === 1 ||
        offset === 2 ||
        (offset === 3 && h < WEEKEND_LOOP.startHour)
          ? 1
          : 0,
      );
    }
  }
}

/** Splits a whole number over weights so that the parts are whole and add up exactly (largest remainder). */
export function splitWhole(total: number, w: number[]): number[] {
  const sum = w.reduce((a, b) => a + b, 0);
  if (total <= 0 || sum <= 0) return w.map(() => 0);
  const exact = w.map((x) => (total * x) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    if (w[i]! > 0) {
      parts[i]! += 1;
      left -= 1;
    }
  }
  return parts;
}

export interface HourlyMetricsInput {
  rows: readonly FocusRow[];
  accounts: readonly AccountProfile[];
  labels: readonly IncidentLabel[];
  start: string;
  end: string;
}

/** Hourly metric rows (sorted by hour, account, model id) whose day sums equal the FOCUS rows' tokens. */
export function hourlyMetrics(input: HourlyMetricsInput): HourlyUsage[] {
  const profile = new Map(input.accounts.map((a) => [a.account_id, a]));
  const days = dayRange(
    input.end,
    Math.round((Date.parse(input.end) - Date.parse(input.start)) / DAY_MS) + 1,
  );
  const dayOf = new Map(days.map((d) => [d.iso, d]));
  const loopLabel = input.labels.find((l) => l.family === 'weekend-loop');
  const friday = loopLabel ? (dayOf.get(loopLabel.start) ?? null) : null;

  // Day totals per account × model id × day × shape, per token column.
  const totals = new Map<
    string,
    { account: string; model: string; day: Day; shape: Shape; tokens: Record<TokenColumn, number> }
  >();
  for (const row of input.rows) {
    const column = tokenColumn(row);
    const model = modelIdOf(row);
    const account = row.subaccountid;
    if (!column || !model || !account) continue;
    const day = dayOf.get(row.chargeperiodstart.toISOString().slice(0, 10));
    if (!day) continue;
    const shape = shapeOf(row, profile.get(account));
    const key = `${account}|${model}|${day.iso}|${shape}`;
    let entry = totals.get(key);
    if (!entry) {
      entry = {
        account,
        model,
        day,
        shape,
        tokens: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 },
      };
      totals.set(key, entry);
    }
    entry.tokens[column] += tokensOf(row);
  }

  const hours = new Map<string, HourlyUsage>();
  const published = new Set<string>();
  for (const entry of totals.values()) {
    const w = weights(entry.shape, entry.day, entry.account, friday);
    const pk = `${entry.account}|${entry.model}`;
    for (const column of Object.keys(entry.tokens) as TokenColumn[]) {
      if (column.startsWith('cache') && entry.tokens[column] > 0) published.add(`${pk}|${column}`);
      const parts = splitWhole(entry.tokens[column], w);
      parts.forEach((tokens, h) => {
        if (tokens <= 0) return;
        const hour = `${entry.day.iso}T${String(h).padStart(2, '0')}:00:00Z`;
        const key = `${pk}|${hour}`;
        let row = hours.get(key);
        if (!row) {
          row = {
            account_id: entry.account,
            model_id: entry.model,
            hour,
            input_tokens: 0,
            output_tokens: 0,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            invocations: 0,
          };
          hours.set(key, row);
        }
        row[column] = (row[column] ?? 0) + tokens;
      });
    }
  }
  const out = [...hours.values()];
  for (const row of out) {
    // A model id that never shows cache tokens does not publish the cache metrics: null, not 0.
    const pk = `${row.account_id}|${row.model_id}`;
    if (!published.has(`${pk}|cache_read_tokens`)) row.cache_read_tokens = null;
    if (!published.has(`${pk}|cache_write_tokens`)) row.cache_write_tokens = null;
    const prompt = (row.input_tokens ?? 0) + (row.cache_read_tokens ?? 0) + (row.cache_write_tokens ?? 0);
    const size = 2_000 + (hash32(pk) % 18_000);
    row.invocations = Math.max(1, Math.round(prompt / size));
  }
  return out.sort(
    (a, b) =>
      a.hour.localeCompare(b.hour) ||
      a.account_id.localeCompare(b.account_id) ||
      a.model_id.localeCompare(b.model_id),
  );
}

function shapeOf(row: FocusRow, account: AccountProfile | undefined): Shape {
  const run = row.tags['agent-run-id'];
  if (run && account?.pattern === 'weekend-loop') return 'weekend-loop';
  if (run && run !== 'nightly-triage') return 'flat';
  if (!account) return 'service';
  if (OFFICE_PATTERNS.has(account.pattern) || OFFICE_ENVS.has(account.env)) return 'office';
  return 'service';
}

/** One JSON object per line: the file the `file` metrics source reads. */
export function hourlyJsonLines(rows: readonly HourlyUsage[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
}
