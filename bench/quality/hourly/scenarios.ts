/**
 * The hourly scenario library: labelled accounts whose Bedrock usage metrics (one row per model id and
 * hour, tokens by class and invocations, as CloudWatch reports them) the watch's rule must judge
 * (docs/watch.md "The rule"). Each scenario is one account with 15 days of history and 28 evaluated
 * days (672 hours), its prices as the bill shows them, and the label: incident (with the hour it began)
 * or benign. Deterministic per family and seed.
 */
import type { ClassPrices, PriceTable } from '../../../functions/core/detect/prices.js';
import type { WatchKind } from '../../../functions/core/detect/watch-rule.js';
import { HOUR_MS, hourIso } from '../../../functions/core/hours.js';
import type { HourlyUsage } from '../../../functions/core/ports.js';
import { hash32, Random } from '../../../functions/synthetic/random.js';

export const HISTORY_DAYS = 15;
export const EVALUATED_DAYS = 28;
export const DAY_MS = 86_400_000;

export const HOURLY_FAMILY_IDS = [
  'loop-night',
  'loop-business-hours',
  'loop-weekend',
  'ramp-6h',
  'new-spender',
  'context-growth',
  'one-hour-burst',
  'nightly-batch',
  'weekly-batch',
  'business-hours-diurnal',
  'weekend-lull',
  'model-switch',
  'missing-hours',
  'new-account-below-floors',
] as const;
export type HourlyFamilyId = (typeof HOURLY_FAMILY_IDS)[number];

export interface HourlyFamily {
  /** The kinds that catch this incident (null: benign, every finding is false). */
  kinds: WatchKind[] | null;
  /** Hours from the incident's start within which it must be caught (the target), or null. */
  targetHours: number | null;
  /** Benign families the docs' ≤ 0.5 false alarms per 100 account-weeks target is judged on. */
  targetBenign: boolean;
  summary: string;
}

export const HOURLY_FAMILIES: Record<HourlyFamilyId, HourlyFamily> = {
  'loop-night': {
    kinds: ['runaway', 'new-spender'],
    targetHours: 3,
    targetBenign: false,
    summary:
      'an agent loop starting at a random minute of a night hour (22:00–05:59 local) adds max(5–15× the usual hour, $20–40/h) and keeps going',
  },
  'loop-business-hours': {
    kinds: ['runaway', 'new-spender'],
    targetHours: 3,
    targetBenign: false,
    summary:
      'the same loop starting during a weekday business hour (09:00–16:59 local) on a business-hours account, on top of its busiest hours',
  },
  'loop-weekend': {
    kinds: ['runaway', 'new-spender'],
    targetHours: 3,
    targetBenign: false,
    summary: 'the same loop starting between Friday 18:00 and Sunday 18:00 local',
  },
  'ramp-6h': {
    kinds: ['runaway', 'new-spender'],
    targetHours: 6,
    targetBenign: false,
    summary:
      'a loop whose rate climbs linearly over 6 hours to max(5–15× the usual hour, $20–40/h), then stays',
  },
  'new-spender': {
    kinds: ['new-spender', 'runaway'],
    targetHours: 3,
    targetBenign: false,
    summary:
      'an account with no Bedrock usage (half the seeds: cents of experiments) starts at $25–80/h and keeps going',
  },
  'context-growth': {
    kinds: ['context-growth'],
    targetHours: 9,
    targetBenign: false,
    summary:
      'prompt tokens per invocation grow to 2.3–4× over 1–3 hours (a conversation that keeps its whole history) while invocations stay as they were; $2–60/h accounts',
  },
  'one-hour-burst': {
    kinds: null,
    targetHours: null,
    targetBenign: false,
    summary:
      'once a week a 20–60-minute burst at max(5–15× the usual hour, $20–40/h), over before anyone could act: reported apart, not a loop',
  },
  'nightly-batch': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary:
      'a batch job every night at a fixed hour (00:00–05:00 UTC), 1–3 hours at 4–12× the usual hour, ±20% volume, a night off now and then',
  },
  'weekly-batch': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary: 'a weekly job on a fixed weekday and hour, 2–5 hours at max(5–15× the usual hour, $20–60/h)',
  },
  'business-hours-diurnal': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary:
      '09:00–18:00 local on weekdays (UTC−8 … UTC+9), 3–10% of that at night and 5–30% at weekends, a busy day at 1.3–1.8× on about 3% of days',
  },
  'weekend-lull': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary:
      'a round-the-clock service with a daily swing of ±10–40% whose weekends drop to 20–50% and come back on Monday',
  },
  'model-switch': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary:
      'the same token volume moves to another model id within an hour: a global cross-region profile, an application profile the bill links, or the next model at the same price',
  },
  'missing-hours': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary:
      'a business-hours or round-the-clock account whose metrics cannot be read for 2–5 stretches of 1–12 hours (in the baseline and in the evaluated weeks)',
  },
  'new-account-below-floors': {
    kinds: null,
    targetHours: null,
    targetBenign: true,
    summary: 'an account with no history starts at $2–15/h (peaks below $20/h), under the new-spender floor',
  },
};

export interface HourlyLabel {
  family: HourlyFamilyId;
  seed: number;
  account_id: string;
  /** Incident start (ms), null for a benign scenario. */
  start: number | null;
  description: string;
}

export interface HourlyScenario {
  label: HourlyLabel;
  rows: HourlyUsage[];
  table: PriceTable;
  /** First hour of data and the evaluated hours. */
  coveredFrom: string;
  evaluate: { from: string; to: string };
}

// ---------------------------------------------------------------------------------------------
// Models, as CloudWatch names them, with the bill's model keys and list prices per million tokens.

interface BenchModel {
  id: string;
  key: string;
  prices: ClassPrices;
}

const MODELS = {
  opus: {
    id: 'us.anthropic.claude-opus-4-6-v1',
    key: 'Claude4.6Opus',
    prices: price(5.5, 27.5, 0.55, 6.875),
  },
  opusGlobal: {
    id: 'global.anthropic.claude-opus-4-6-v1',
    key: 'Claude4.6Opus',
    prices: price(5, 25, 0.5, 6.25),
  },
  opus45: {
    id: 'us.anthropic.claude-opus-4-5-20251101-v1:0',
    key: 'Claude4.5Opus',
    prices: price(5.5, 27.5, 0.55, 6.875),
  },
  sonnet: {
    id: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    key: 'Claude4.5Sonnet',
    prices: price(3.3, 16.5, 0.33, 4.125),
  },
  sonnetGlobal: {
    id: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    key: 'Claude4.5Sonnet',
    prices: price(3, 15, 0.3, 3.75),
  },
  haiku: {
    id: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    key: 'Claude4.5Haiku',
    prices: price(1.1, 5.5, 0.11, 1.375),
  },
  nova: { id: 'us.amazon.nova-pro-v1:0', key: 'NovaPro', prices: price(0.8, 3.2, 0.2, null) },
} satisfies Record<string, BenchModel>;

function price(input: number, output: number, cache_read: number, cache_write: number | null): ClassPrices {
  return { input, output, cache_read, cache_write };
}

/** Where an hour's prompt tokens go and how much output they bring. */
interface Mix {
  hit: number;
  write: number;
  outputPerPrompt: number;
  promptPerInvocation: number;
}

const usdPerPrompt = (m: BenchModel, mix: Mix) =>
  ((1 - mix.hit - mix.write) * (m.prices.input ?? 0) +
    mix.hit * (m.prices.cache_read ?? 0) +
    mix.write * (m.prices.cache_write ?? m.prices.input ?? 0) +
    mix.outputPerPrompt * (m.prices.output ?? 0)) /
  1e6;

// ---------------------------------------------------------------------------------------------
// Weekly shapes: the share of the usual hour each hour of the week carries (mean 1 over a week).

type Shape = (ms: number) => number;

function localHour(ms: number, tz: number): { hour: number; weekday: number } {
  const d = new Date(ms + tz * HOUR_MS);
  return { hour: d.getUTCHours(), weekday: d.getUTCDay() };
}

function businessShape(r: Random): { shape: Shape; tz: number } {
  const tz = r.pick([-8, -5, 0, 1, 2, 5, 9]);
  const night = r.between(0.03, 0.1);
  const weekend = r.between(0.05, 0.3);
  const raw = (ms: number) => {
    const { hour, weekday } = localHour(ms, tz);
    const work = hour >= 9 && hour < 18 ? 1 : hour === 8 || hour === 18 ? 0.5 : night;
    return weekday === 0 || weekday === 6 ? Math.max(night, work * weekend) : work;
  };
  return { shape: normalize(raw), tz };
}

function roundTheClock(r: Random, weekendFactor: [number, number]): { shape: Shape; tz: number } {
  const swing = r.between(0.1, 0.4);
  const peak = r.int(0, 23);
  const weekend = r.between(weekendFactor[0], weekendFactor[1]);
  const tz = 0;
  const raw = (ms: number) => {
    const { hour, weekday } = localHour(ms, tz);
    const day = 1 + swing * Math.cos((2 * Math.PI * (hour - peak)) / 24);
    return weekday === 0 || weekday === 6 ? day * weekend : day;
  };
  return { shape: normalize(raw), tz };
}

function normalize(raw: Shape): Shape {
  let sum = 0;
  const base = Date.UTC(2026, 0, 4); // a Sunday
  for (let h = 0; h < 168; h++) sum += raw(base + h * HOUR_MS);
  const mean = sum / 168;
  return (ms) => raw(ms) / mean;
}

// ---------------------------------------------------------------------------------------------

interface Workload {
  model: BenchModel;
  mix: Mix;
  /** USD this hour (before noise), 0 = idle. */
  usd(ms: number): number;
  /** Multiplies prompt tokens per invocation (context growth). */
  promptGrowth?(ms: number): number;
  noise: number;
}

interface Plan {
  workloads: Workload[];
  start: number | null;
  description: string;
  /** Hours (ms) whose metrics cannot be read. */
  missing?: (ms: number) => boolean;
  /** Extra price-table links (application profiles the bill shows). */
  links?: { id: string; key: string }[];
  /** Model ids the price table knows nothing of (only the shipped table or list prices). */
  unbilled?: string[];
}

export function hourlyWindow(seed: number): { start: number; evaluateFrom: number; end: number } {
  // Seven start weekdays, and the hour grid otherwise the same.
  const start = Date.UTC(2026, 8, 7) + (seed % 7) * DAY_MS + (Math.floor(seed / 7) % 5) * 7 * DAY_MS;
  return {
    start,
    evaluateFrom: start + HISTORY_DAYS * DAY_MS,
    end: start + (HISTORY_DAYS + EVALUATED_DAYS) * DAY_MS,
  };
}

export function generateHourlyScenario(family: HourlyFamilyId, seed: number): HourlyScenario {
  const r = Random.derive(seed, 'hourly', family);
  const window = hourlyWindow(seed);
  const accountId = String(100_000_000_000 + (hash32(seed, family) % 900_000_000_000)).padStart(12, '0');
  const plan = planFor(family, r, window);
  const rows: HourlyUsage[] = [];
  const noise = new Random(hash32(seed, family, 'noise'));
  for (let ms = window.start; ms < window.end; ms += HOUR_MS) {
    const hour = hourIso(ms);
    if (plan.missing?.(ms)) {
      for (const id of new Set(plan.workloads.map((w) => w.model.id))) {
        rows.push({
          account_id: accountId,
          model_id: id,
          hour,
          input_tokens: null,
          output_tokens: null,
          cache_read_tokens: null,
          cache_write_tokens: null,
          invocations: null,
        });
      }
      continue;
    }
    const byModel = new Map<string, HourlyUsage>();
    for (const w of plan.workloads) {
      const base = w.usd(ms);
      if (base <= 0) continue;
      const usd = base * Math.exp(w.noise * gaussian(noise));
      const prompt = usd / usdPerPrompt(w.model, w.mix);
      const growth = w.promptGrowth?.(ms) ?? 1;
      // Whole invocations of about the workload's prompt size: less than one is an idle hour for it.
      const invocations = Math.round((prompt / (w.mix.promptPerInvocation * growth)) * noise.wobble(0.1));
      if (invocations < 1) continue;
      const row =
        byModel.get(w.model.id) ??
        ({
          account_id: accountId,
          model_id: w.model.id,
          hour,
          input_tokens: 0,
          output_tokens: 0,
          cache_read_tokens: w.model.prices.cache_read === null ? null : 0,
          cache_write_tokens: w.model.prices.cache_write === null ? null : 0,
          invocations: 0,
        } satisfies HourlyUsage);
      row.input_tokens = (row.input_tokens ?? 0) + Math.round(prompt * (1 - w.mix.hit - w.mix.write));
      row.output_tokens = (row.output_tokens ?? 0) + Math.round(prompt * w.mix.outputPerPrompt);
      if (row.cache_read_tokens !== null) row.cache_read_tokens += Math.round(prompt * w.mix.hit);
      if (row.cache_write_tokens !== null) row.cache_write_tokens += Math.round(prompt * w.mix.write);
      row.invocations = (row.invocations ?? 0) + invocations;
      byModel.set(w.model.id, row);
    }
    rows.push(...byModel.values());
  }
  return {
    label: { family, seed, account_id: accountId, start: plan.start, description: plan.description },
    rows,
    table: priceTable(accountId, plan),
    coveredFrom: hourIso(window.start),
    evaluate: { from: hourIso(window.evaluateFrom), to: hourIso(window.end) },
  };
}

/** A standard normal draw, cut at ±3 (an hour's noise has no unbounded tail). */
function gaussian(r: Random): number {
  const u = Math.max(1e-12, r.next());
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
  return Math.max(-3, Math.min(3, z));
}

/** What the bill showed: the account's own prices for the models it used, linked from their ids. */
function priceTable(accountId: string, plan: Plan): PriceTable {
  const unbilled = new Set(plan.unbilled ?? []);
  const models = [...new Map(plan.workloads.map((w) => [w.model.id, w.model])).values()].filter(
    (m) => !unbilled.has(m.id),
  );
  const tokens = { input: 1e8, output: 1e7, cache_read: 1e8, cache_write: 1e7 };
  return {
    version: 1,
    computed_at: '2026-01-01T00:00:00Z',
    run_id: null,
    window: { start: '2026-01-01', end: '2026-01-31' },
    cost_column: 'billedcost',
    accounts: [...new Map(models.map((m) => [m.key, m])).values()].map((m) => ({
      account_id: accountId,
      model: m.key,
      usd_per_million: m.prices,
      tokens,
    })),
    organization: [],
    resources: [
      ...models.map((m) => ({
        account_id: accountId,
        resource_id: `arn:aws:bedrock:us-east-1:${accountId}:inference-profile/${m.id}`,
        model: m.key,
        tokens: 1e8,
      })),
      ...(plan.links ?? []).map((l) => ({
        account_id: accountId,
        resource_id: `arn:aws:bedrock:us-east-1:${accountId}:application-inference-profile/${l.id}`,
        model: l.key,
        tokens: 1e8,
      })),
    ],
    regions: ['us-east-1'],
  };
}

// ---------------------------------------------------------------------------------------------
// Families

const DAILY_USD: [number, number] = [8, 2000];

function logBetween(r: Random, [low, high]: [number, number]): number {
  return Math.exp(r.between(Math.log(low), Math.log(high)));
}

function mixFor(r: Random, model: BenchModel): Mix {
  const cached = model.prices.cache_read !== null && r.chance(0.7);
  return {
    hit: cached ? r.between(0.3, 0.85) : 0,
    write: cached && model.prices.cache_write !== null ? r.between(0.01, 0.05) : 0,
    outputPerPrompt: r.between(0.01, 0.08),
    promptPerInvocation: logBetween(r, [800, 40_000]),
  };
}

/** A busy day (1.3–1.8×) on about 3% of days. */
function busyDays(r: Random): (ms: number) => number {
  const salt = r.int(0, 1_000_000_000);
  return (ms) => {
    const day = Math.floor(ms / DAY_MS);
    return hash32(day, salt) % 100 < 3 ? 1.3 + (hash32(day, salt, 'busy') % 50) / 100 : 1;
  };
}

/** One account's everyday spend: 1–3 models sharing a weekly shape. */
function everyday(
  r: Random,
  shape: Shape,
  usualHour: number,
  models: BenchModel[] = pickModels(r),
): { workloads: Workload[]; models: BenchModel[] } {
  const busy = busyDays(r);
  const noise = r.between(0.1, 0.3);
  const shares = models.map(() => r.between(0.2, 1));
  const total = shares.reduce((a, b) => a + b, 0);
  const workloads = models.map((model, i) => ({
    model,
    mix: mixFor(r, model),
    usd: (ms: number) => usualHour * shape(ms) * busy(ms) * (shares[i]! / total),
    noise,
  }));
  return { workloads, models };
}

function pickModels(r: Random): BenchModel[] {
  const pool = [
    MODELS.opus,
    MODELS.sonnet,
    MODELS.sonnetGlobal,
    MODELS.haiku,
    MODELS.nova,
    MODELS.opusGlobal,
  ];
  const n = r.pick([1, 1, 2, 2, 3]);
  return r.shuffle([...pool]).slice(0, n);
}

/** A loop's added rate: at least 5–15× the usual hour and $20–40/h. */
const loopRate = (r: Random, usualHour: number) => Math.max(usualHour * r.between(5, 15), r.between(20, 40));

/** A start inside the evaluated weeks (a day after they begin, 4 days before their end) that passes `accept`. */
function startWhere(
  r: Random,
  window: { evaluateFrom: number; end: number },
  accept: (ms: number) => boolean,
): number {
  const first = window.evaluateFrom + DAY_MS;
  const last = window.end - 4 * DAY_MS;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const hour = first + Math.floor(r.next() * ((last - first) / HOUR_MS)) * HOUR_MS;
    if (accept(hour)) return hour + Math.floor(r.next() * 60) * 60_000;
  }
  throw new Error('no start hour matches');
}

function loopWorkload(r: Random, model: BenchModel, rate: (ms: number) => number): Workload {
  const mix = mixFor(r, model);
  // Loops re-send their context: a loop often reads most of it from the cache, or bills it as output.
  if (r.chance(0.3)) mix.outputPerPrompt = r.between(0.2, 1);
  return { model, mix, usd: rate, noise: 0.08 };
}

/** The share of hour `ms` … `ms`+1h that lies after `start` (and before `end`). */
function overlap(ms: number, start: number, end = Number.POSITIVE_INFINITY): number {
  const a = Math.max(ms, start);
  const b = Math.min(ms + HOUR_MS, end);
  return b > a ? (b - a) / HOUR_MS : 0;
}

function planFor(family: HourlyFamilyId, r: Random, window: ReturnType<typeof hourlyWindow>): Plan {
  const usualHour = logBetween(r, DAILY_USD) / 24;
  switch (family) {
    case 'loop-night':
    case 'loop-business-hours':
    case 'loop-weekend': {
      const business = family === 'loop-business-hours' || r.chance(0.5);
      const { shape, tz } = business ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, usualHour);
      const accept =
        family === 'loop-night'
          ? (ms: number) => {
              const { hour } = localHour(ms, tz);
              return hour >= 22 || hour < 6;
            }
          : family === 'loop-business-hours'
            ? (ms: number) => {
                const { hour, weekday } = localHour(ms, tz);
                return weekday >= 1 && weekday <= 5 && hour >= 9 && hour < 17;
              }
            : (ms: number) => {
                const { hour, weekday } = localHour(ms, tz);
                return (weekday === 5 && hour >= 18) || weekday === 6 || (weekday === 0 && hour < 18);
              };
      const start = startWhere(r, window, accept);
      const rate = loopRate(r, usualHour);
      const loop = loopWorkload(r, r.pick(base.models), (ms) => rate * overlap(ms, start));
      return {
        workloads: [...base.workloads, loop],
        start,
        description: `usual hour $${usualHour.toFixed(2)}, loop +$${rate.toFixed(2)}/h from ${new Date(start).toISOString()} (local time UTC${tz >= 0 ? '+' : ''}${tz})`,
      };
    }
    case 'ramp-6h': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, usualHour);
      const start = startWhere(r, window, () => true);
      const rate = loopRate(r, usualHour);
      // The mean rate over the hour: climbing linearly for 6 hours from the start, then level.
      const ramp = (ms: number) => {
        let sum = 0;
        for (let k = 0; k < 12; k++) {
          const t = ms + ((k + 0.5) / 12) * HOUR_MS - start;
          if (t > 0) sum += Math.min(1, t / (6 * HOUR_MS));
        }
        return (rate * sum) / 12;
      };
      return {
        workloads: [...base.workloads, loopWorkload(r, r.pick(base.models), ramp)],
        start,
        description: `usual hour $${usualHour.toFixed(2)}, ramp to +$${rate.toFixed(2)}/h over 6 h from ${new Date(start).toISOString()}`,
      };
    }
    case 'new-spender': {
      const start = startWhere(r, window, () => true);
      const rate = r.between(25, 80);
      const model = r.pick([MODELS.sonnet, MODELS.opus, MODELS.sonnetGlobal]);
      const experiments = r.chance(0.5);
      const workloads: Workload[] = [
        {
          model,
          mix: mixFor(r, model),
          usd: (ms) => rate * overlap(ms, start) + (experiments && hash32(ms) % 40 === 0 ? 0.05 : 0),
          noise: 0.15,
        },
      ];
      return {
        workloads,
        start,
        description: `no history, then $${rate.toFixed(2)}/h from ${new Date(start).toISOString()}`,
      };
    }
    case 'context-growth': {
      const hourly = logBetween(r, [2, 60]);
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, hourly, [r.pick([MODELS.opus, MODELS.sonnet, MODELS.haiku])]);
      const w = base.workloads[0]!;
      // Mostly prompt cost, so that growing prompts show in the cost too.
      w.mix.outputPerPrompt = r.between(0.005, 0.02);
      const start = startWhere(r, window, (ms) => shape(ms) > 0.5);
      const factor = r.between(2.3, 4);
      const over = r.between(1, 3) * HOUR_MS;
      const growth = (ms: number) => {
        const t = ms + HOUR_MS / 2 - start;
        return t <= 0 ? 1 : 1 + (factor - 1) * Math.min(1, t / over);
      };
      const usdBefore = w.usd;
      w.usd = (ms) => usdBefore(ms) * growth(ms);
      w.promptGrowth = growth;
      return {
        workloads: base.workloads,
        start,
        description: `$${hourly.toFixed(2)}/h, prompts per invocation ×${factor.toFixed(1)} over ${(over / HOUR_MS).toFixed(1)} h from ${new Date(start).toISOString()}`,
      };
    }
    case 'one-hour-burst': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, usualHour);
      const bursts: [number, number][] = [];
      for (let week = 0; week < EVALUATED_DAYS / 7; week++) {
        const from = window.evaluateFrom + week * 7 * DAY_MS + Math.floor(r.next() * 7 * 24) * HOUR_MS;
        const start = from + Math.floor(r.next() * 60) * 60_000;
        bursts.push([start, start + r.int(20, 60) * 60_000]);
      }
      const rate = loopRate(r, usualHour);
      const burst = loopWorkload(r, r.pick(base.models), (ms) =>
        bursts.reduce((sum, [a, b]) => sum + rate * overlap(ms, a, b), 0),
      );
      return {
        workloads: [...base.workloads, burst],
        start: null,
        description: `usual hour $${usualHour.toFixed(2)}, weekly bursts of +$${rate.toFixed(2)}/h for 20–60 min`,
      };
    }
    case 'nightly-batch': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, usualHour);
      const at = r.int(0, 5);
      const hours = r.int(1, 3);
      const level = usualHour * r.between(4, 12);
      const batch: Workload = {
        model: r.pick(base.models),
        mix: {
          hit: 0,
          write: 0,
          outputPerPrompt: r.between(0.05, 0.3),
          promptPerInvocation: logBetween(r, [500, 5000]),
        },
        usd: (ms) => {
          const day = Math.floor(ms / DAY_MS);
          if (hash32(day, at, 'off') % 12 === 0) return 0;
          const length = hours + (hash32(day, 'len') % 2);
          const hour = new Date(ms).getUTCHours();
          return hour >= at && hour < at + length ? level * (0.8 + (hash32(day, 'vol') % 40) / 100) : 0;
        },
        noise: 0.1,
      };
      return {
        workloads: [...base.workloads, batch],
        start: null,
        description: `usual hour $${usualHour.toFixed(2)}, nightly batch at ${at}:00 UTC for ${hours}–${hours + 1} h at $${level.toFixed(2)}/h`,
      };
    }
    case 'weekly-batch': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const base = everyday(r, shape, usualHour);
      const weekday = r.int(0, 6);
      const at = r.int(0, 22);
      const hours = r.int(2, 5);
      const level = Math.max(usualHour * r.between(5, 15), r.between(20, 60));
      const batch: Workload = {
        model: r.pick(base.models),
        mix: {
          hit: 0,
          write: 0,
          outputPerPrompt: r.between(0.05, 0.3),
          promptPerInvocation: logBetween(r, [500, 5000]),
        },
        usd: (ms) => {
          const d = new Date(ms);
          const sinceStart = (d.getUTCDay() - weekday + 7) % 7;
          const hour = sinceStart * 24 + d.getUTCHours() - at;
          return hour >= 0 && hour < hours ? level : 0;
        },
        noise: 0.1,
      };
      return {
        workloads: [...base.workloads, batch],
        start: null,
        description: `usual hour $${usualHour.toFixed(2)}, weekly job (weekday ${weekday}, ${at}:00 UTC, ${hours} h) at $${level.toFixed(2)}/h`,
      };
    }
    case 'business-hours-diurnal': {
      const { shape, tz } = businessShape(r);
      return {
        workloads: everyday(r, shape, usualHour).workloads,
        start: null,
        description: `usual hour $${usualHour.toFixed(2)}, office hours at UTC${tz >= 0 ? '+' : ''}${tz}`,
      };
    }
    case 'weekend-lull': {
      const { shape } = roundTheClock(r, [0.2, 0.5]);
      return {
        workloads: everyday(r, shape, usualHour).workloads,
        start: null,
        description: `usual hour $${usualHour.toFixed(2)}, weekends at 20–50%`,
      };
    }
    case 'model-switch': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const variant = r.int(0, 2);
      const [from, to, links]: [BenchModel, BenchModel, { id: string; key: string }[]] =
        variant === 0
          ? [MODELS.sonnet, MODELS.sonnetGlobal, []]
          : variant === 1
            ? [
                MODELS.sonnet,
                {
                  id: `app${hash32(r.next()).toString(36)}`,
                  key: 'Claude4.5Sonnet',
                  prices: MODELS.sonnet.prices,
                },
                [],
              ]
            : [MODELS.opus45, MODELS.opus, []];
      if (variant === 1) links.push({ id: to.id, key: to.key });
      const switchAt = startWhere(r, window, () => true);
      const base = everyday(r, shape, usualHour, [from]);
      const w = base.workloads[0]!;
      const usd = w.usd;
      const before: Workload = { ...w, usd: (ms) => usd(ms) * (1 - overlap(ms, switchAt)) };
      // The same tokens on the new id: its cost follows its own price.
      const sameTokens = usdPerPrompt(to, w.mix) / usdPerPrompt(from, w.mix);
      const after: Workload = { ...w, model: to, usd: (ms) => usd(ms) * overlap(ms, switchAt) * sameTokens };
      return {
        workloads: [before, after],
        start: null,
        links,
        unbilled: variant === 1 ? [] : [to.id],
        description: `usual hour $${usualHour.toFixed(2)}, ${from.id} → ${to.id} at ${new Date(switchAt).toISOString()}`,
      };
    }
    case 'missing-hours': {
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const gaps: [number, number][] = [];
      const count = r.int(2, 5);
      for (let i = 0; i < count; i++) {
        const from =
          window.start + Math.floor(r.next() * ((window.end - window.start) / HOUR_MS - 12)) * HOUR_MS;
        gaps.push([from, from + r.int(1, 12) * HOUR_MS]);
      }
      return {
        workloads: everyday(r, shape, usualHour).workloads,
        start: null,
        missing: (ms) => gaps.some(([a, b]) => ms >= a && ms < b),
        description: `usual hour $${usualHour.toFixed(2)}, ${count} stretches of unreadable hours`,
      };
    }
    case 'new-account-below-floors': {
      const start = startWhere(r, window, () => true);
      const level = r.between(2, 15);
      const { shape } = r.chance(0.5) ? businessShape(r) : roundTheClock(r, [0.6, 1]);
      const model = r.pick([MODELS.sonnet, MODELS.haiku, MODELS.opus]);
      // Peaks stay under the new-spender floor: the shape is capped at $19/h.
      return {
        workloads: [
          {
            model,
            mix: mixFor(r, model),
            usd: (ms) => (ms < start ? 0 : Math.min(19 / 1.35, level * shape(ms))),
            noise: 0.1,
          },
        ],
        start: null,
        description: `no history, then ~$${level.toFixed(2)}/h from ${new Date(start).toISOString()}`,
      };
    }
  }
}
