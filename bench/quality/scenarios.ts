/**
 * The labelled scenario library of the detection-quality benchmark (`npm run bench:quality`).
 *
 * Each scenario is one account (plus, where the family needs it, a peer account) with 70 days of
 * daily FOCUS rows — Bedrock token rows per token class at list price (the same usage types,
 * units and prices the synthetic organization bills), everyday compute rows, day-to-day noise,
 * occasional busy days and weekday/weekend seasonality — and a label: when the incident starts,
 * which detector must catch it, or that the account is benign and every finding on it is false.
 * Pure and deterministic: the same family and seed give the same rows.
 */
import { addDays, daysBetween } from '../../functions/core/dates.js';
import type { DetectorId, IsoDate } from '../../functions/core/types.js';
import { type Day, dayRange, isWeekend } from '../../functions/synthetic/calendar.js';
import {
  type BedrockModel,
  MODELS,
  REGIONS,
  SERVICE_KINDS,
  type ServiceKindName,
  type Variant,
} from '../../functions/synthetic/catalog.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';
import { hash32, Random } from '../../functions/synthetic/random.js';
import {
  type AccountIdentity,
  type BedrockWorkload,
  type Composition,
  costPerPromptToken,
  type EverydayResource,
  emitBedrockDay,
  emitEverydayDay,
} from '../../functions/synthetic/workloads.js';

/** Days of rows per scenario: the 28 evaluated as-of days plus 42 days of history (≥ the 36-day look-back). */
export const DATA_DAYS = 70;
/** As-of days evaluated per scenario (`--from … --to`). */
export const RANGE_DAYS = 28;

export const FAMILY_IDS = [
  'sudden-runaway-small',
  'sudden-runaway-large',
  'step-change',
  'ramp-week',
  'weekend-start',
  'midweek-spike',
  'new-spender',
  'marketplace-runaway',
  'output-runaway',
  'organic-growth',
  'weekly-batch',
  'month-end-batch',
  'weekday-only',
  'holiday-dip',
  'credits-corrections',
  'model-migration',
  'late-data',
  'cache-regression',
  'cache-never-used',
  'new-uncached-workload',
  'small-cache-degradation',
  'partial-cache-loss',
  'partial-cache-loss-weekdays',
  'noisy-hit-ratio',
  'cache-warm-up',
] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

export type Driver = 'output' | 'input';

export interface FamilyInfo {
  id: FamilyId;
  /** The detector that must catch the incident; null for a benign family. */
  detector: DetectorId | null;
  /** Detectors whose findings on the subject account are false (for the incident detector: before the incident). */
  quiet: DetectorId[];
  /** The token class a correct diagnosis names as the driver (output-token runaways). */
  driver: Driver | null;
  summary: string;
}

const RUNAWAY: DetectorId = 'runaway-inference';
const CACHE: DetectorId = 'cache-miss';
const BOTH: DetectorId[] = [RUNAWAY, CACHE];

export const FAMILIES: Record<FamilyId, FamilyInfo> = {
  'sudden-runaway-small': {
    id: 'sudden-runaway-small',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'Claude Opus 4.6 at $4–12/day; an agent loop (own agent-run-id, same cache mix) adds 6–30× the baseline from a random hour of the start day on, and keeps going',
  },
  'sudden-runaway-large': {
    id: 'sudden-runaway-large',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'Opus 4.6 + Sonnet 4.5 (global) at $1,400–2,600/day with weekend dips; a loop adds 1–3× the weekday level from a random hour on (total 2–4×)',
  },
  'step-change': {
    id: 'step-change',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary: 'Sonnet 4.5 at $20–400/day; from the start day the level is 2.5–4× and stays there',
  },
  'ramp-week': {
    id: 'ramp-week',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'Haiku or Sonnet at $20–300/day; from the start day the level climbs linearly over 7 days to 3–6×',
  },
  'weekend-start': {
    id: 'weekend-start',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'business-hours Sonnet 4.5 at $15–150/weekday, weekends at 20–50%; a loop starting on a Saturday adds 3–10× the weekday level',
  },
  'midweek-spike': {
    id: 'midweek-spike',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'Haiku 4.5 at $10–60/day; a Tuesday–Thursday backfill at +5–12× that is over at least 4 days before the last as-of day',
  },
  'new-spender': {
    id: 'new-spender',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'no Bedrock (half the seeds: a few cents of experiments on some days) until the start day, then $60–300/day of cached Sonnet 4.5',
  },
  'marketplace-runaway': {
    id: 'marketplace-runaway',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: null,
    summary:
      'Claude Opus 4.6 bought through Marketplace (servicename "Claude Opus 4.6 (Amazon Bedrock Edition)", usage types USE1-MP:USE1_…-Units, unit Units) at $10–80/day; a loop adds 5–15×',
  },
  'output-runaway': {
    id: 'output-runaway',
    detector: RUNAWAY,
    quiet: BOTH,
    driver: 'output',
    summary:
      'Sonnet 4.5 (global) at $15–150/day; a generation loop adds 3–10× the baseline almost entirely in output tokens (8–30 output tokens per prompt token) while input stays flat',
  },
  'organic-growth': {
    id: 'organic-growth',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'cached Sonnet 4.5 growing 1–2 %/day compounding for 70 days (compute grows along), weekend dips',
  },
  'weekly-batch': {
    id: 'weekly-batch',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary: 'Haiku 4.5 at $10–100/day plus a weekly batch job (one fixed weekday) at 3–8× the daily level',
  },
  'month-end-batch': {
    id: 'month-end-batch',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'cached Sonnet 4.5 at $15–80/day plus a Llama 4 Maverick batch on the last 2–3 days of every month at 4–10× the daily level',
  },
  'weekday-only': {
    id: 'weekday-only',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary: 'a team that works weekdays only: $10–80 per weekday of Haiku 4.5, nothing at weekends',
  },
  'holiday-dip': {
    id: 'holiday-dip',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'Sonnet 4.5 at $20–200/day; a 5–12-day shutdown at 5–25% of normal, then back to normal (up to +10%) inside the evaluated range',
  },
  'credits-corrections': {
    id: 'credits-corrections',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'Opus 4.6 at $10–100/day; monthly Bedrock credits (chargecategory Credit), a refund, a large Bedrock restatement and a reversal (chargeclass Correction) inside the range',
  },
  'model-migration': {
    id: 'model-migration',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'Sonnet 4.5 at $30–300/day moves to Opus 4.6: a 5% canary for 5–10 days, then cut over in 1–3 days; total spend and hit ratio unchanged (the new model has no cache baseline)',
  },
  'late-data': {
    id: 'late-data',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'cached Sonnet 4.5 at $20–300/day whose last day is partial (each usage type 20–80% billed; half the seeds: cache reads not billed yet)',
  },
  'cache-regression': {
    id: 'cache-regression',
    detector: CACHE,
    quiet: [CACHE],
    driver: null,
    summary:
      'Opus 4.6 or Sonnet 4.5, $60–500/day of prompt at a 0.6–0.9 hit ratio; from the start day the hit ratio falls to 0.05–0.35 at the same prompt volume',
  },
  'cache-never-used': {
    id: 'cache-never-used',
    detector: CACHE,
    quiet: [RUNAWAY],
    driver: null,
    summary:
      'Sonnet 4.5 with 10–60 M uncached input tokens a day and never a cache read; a peer account caches Sonnet 4.5 (the peer is benign)',
  },
  'new-uncached-workload': {
    id: 'new-uncached-workload',
    detector: CACHE,
    quiet: [CACHE],
    driver: null,
    summary:
      'cached Opus 4.6 or Sonnet 4.5 (hit ratio 0.6–0.85, $40–200/day); a new app sends 0.5–3× the prompt volume to the same model without caching',
  },
  'small-cache-degradation': {
    id: 'small-cache-degradation',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary: 'cached Opus 4.6 or Sonnet 4.5 whose hit ratio slips by 0.03–0.12 (a prompt template change)',
  },
  'partial-cache-loss': {
    id: 'partial-cache-loss',
    detector: CACHE,
    quiet: [CACHE],
    driver: null,
    summary:
      'Claude Opus 4.6, 100–300 M prompt tokens a day over 2–4 services at a 0.75 hit ratio; from a random hour of the start day (a deploy that changed the prompt prefix) one service carrying 40% of the traffic stops caching: 0.75 → 0.45',
  },
  'partial-cache-loss-weekdays': {
    id: 'partial-cache-loss-weekdays',
    detector: CACHE,
    quiet: [CACHE],
    driver: null,
    summary:
      'Opus 4.6 or Sonnet 4.5, 50–250 M prompt tokens per weekday over 2–4 services at 0.75, weekends at 15–35% of a weekday; from a random hour of the start day one service carrying 30% of the traffic stops caching: 0.75 → 0.525',
  },
  'noisy-hit-ratio': {
    id: 'noisy-hit-ratio',
    detector: null,
    quiet: BOTH,
    driver: null,
    summary:
      'cached Opus 4.6 or Sonnet 4.5 at $40–400/day whose daily hit ratio scatters with a standard deviation of 0.04 around a stable mean of 0.6–0.85',
  },
  'cache-warm-up': {
    id: 'cache-warm-up',
    detector: null,
    // Prompt spend does rise while the cache refills (and stays up after a switch to Opus): only
    // cache-miss findings are judged here.
    quiet: [CACHE],
    driver: null,
    summary:
      "cached Opus 4.6 or Sonnet 4.5 (hit ratio 0.6–0.85, 50–250 M prompt tokens a day) switches overnight to the same model's global cross-region profile (half the seeds: to the other model); the new endpoint's cache starts at 30–50% of the old ratio and climbs back linearly over three days (spend rises meanwhile: runaway findings not judged)",
  },
};

/** The evaluated range and the history before it; one per seed. */
export interface BenchWindow {
  dataStart: IsoDate;
  /** First and last as-of day evaluated (the last one is also the last day of data). */
  from: IsoDate;
  to: IsoDate;
}

/**
 * Seven range ends five days apart, so the seeds cover every weekday and several month-end
 * positions; scenarios of one window share a DuckDB table and one detection run.
 */
export function windowOf(seed: number): BenchWindow {
  const to = addDays('2026-03-10', 5 * (((seed % 7) + 7) % 7));
  return { dataStart: addDays(to, -(DATA_DAYS - 1)), from: addDays(to, -(RANGE_DAYS - 1)), to };
}

export interface QualityLabel {
  family: FamilyId;
  seed: number;
  /** The labelled (subject) account. */
  account_id: string;
  incident: boolean;
  detector: DetectorId | null;
  /** Model the cache-miss finding is about (null for runaway). */
  model: string | null;
  /** First abnormal day (for an incident already under way when the data begins: the first day of data). */
  start: IsoDate | null;
  /** Last abnormal day; null while it lasts to the end of the data. */
  end: IsoDate | null;
  quiet: DetectorId[];
  driver: Driver | null;
  /** Other accounts of the scenario: benign, every finding on them is false. */
  peers: string[];
  description: string;
}

export interface Scenario {
  family: FamilyId;
  seed: number;
  window: BenchWindow;
  label: QualityLabel;
  rows: FocusRow[];
}

const PAYER = '999900001111';

export function accountIdOf(family: FamilyId, seed: number, role: 0 | 1): string {
  const familyIndex = FAMILY_IDS.indexOf(family);
  if (!Number.isInteger(seed) || seed < 0 || seed > 999_999)
    throw new RangeError('seed must be in 0 … 999999');
  const tail = String(hash32('quality', family, seed, role) % 1000).padStart(3, '0');
  return `${10 + familyIndex}${String(seed).padStart(6, '0')}${role}${tail}`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

function cached(hitRatio: number, outputPerPrompt: number, writeShare = 0.04): Composition {
  return { hitRatio, writeShare, outputPerPrompt };
}

const uncached = (outputPerPrompt: number): Composition => ({ hitRatio: 0, writeShare: 0, outputPerPrompt });

/** Day-to-day wobble plus the occasional busy day (a demo, a reprocessing run). */
function noise(random: Random, spread: number): number {
  return random.wobble(spread) * (random.chance(0.03) ? random.between(1.3, 1.8) : 1);
}

interface WorkloadOptions {
  variant?: Variant;
  streaming?: boolean;
  tags?: Record<string, string>;
  compositionOn?: (day: Day) => Composition;
}

function workload(
  model: BedrockModel,
  app: string,
  usdAtReference: (day: Day, random: Random) => number,
  reference: Composition,
  options: WorkloadOptions = {},
): BedrockWorkload {
  const noWrites = model.regionalPerMillion.cache_write === null;
  return {
    app,
    model,
    variant: options.variant ?? 'regional',
    region: REGIONS['us-east-1'],
    streaming: options.streaming ?? true,
    usdAtReference,
    reference: noWrites ? { ...reference, writeShare: 0 } : reference,
    ...(options.compositionOn ? { compositionOn: options.compositionOn } : {}),
    tagSplits: () => [{ tags: { app, team: 'bench', env: 'prod', ...(options.tags ?? {}) }, share: 1 }],
  };
}

/** A steady level with noise and a weekend factor. */
const steady =
  (usd: number, spread: number, weekendFactor: number) =>
  (day: Day, random: Random): number =>
    usd * noise(random, spread) * (isWeekend(day) ? weekendFactor : 1);

const logUniform = (random: Random, low: number, high: number): number =>
  Math.exp(random.between(Math.log(low), Math.log(high)));

interface Plan {
  workloads: BedrockWorkload[];
  label: Omit<
    QualityLabel,
    'family' | 'seed' | 'account_id' | 'peers' | 'quiet' | 'driver' | 'detector' | 'model'
  > & {
    model?: string;
  };
  computeGrowth?: number;
  extraRows?: (identity: AccountIdentity, day: Day, random: Random) => FocusRow[];
  /** Rewrites the subject's rows after generation (late data). */
  finish?: (rows: FocusRow[], random: Random) => FocusRow[];
  peer?: { workloads: BedrockWorkload[] };
}

interface PlanContext {
  random: Random;
  window: BenchWindow;
  days: Day[];
  /** Index in `days` of an ISO date. */
  indexOf(iso: IsoDate): number;
}

/** A day of the evaluated range, at least `before` days after `from` and `after` days before `to`. */
function startIn(ctx: PlanContext, before: number, after: number, weekday?: number): Day {
  const first = ctx.indexOf(ctx.window.from) + before;
  const last = ctx.indexOf(ctx.window.to) - after;
  const candidates = ctx.days.filter(
    (d) => d.index >= first && d.index <= last && (weekday === undefined || d.weekday === weekday),
  );
  return ctx.random.pick(candidates);
}

/** An extra workload from `start` on; on the start day only from a random hour. */
function fromHour(start: Day, level: (day: Day, random: Random) => number, firstDayShare: number) {
  return (day: Day, random: Random): number => {
    if (day.index < start.index) return 0;
    const usd = level(day, random);
    return day.index === start.index ? usd * firstDayShare : usd;
  };
}

// ---------------------------------------------------------------------------------------------
// Families

function plan(family: FamilyId, ctx: PlanContext): Plan {
  const { random } = ctx;
  switch (family) {
    case 'sudden-runaway-small': {
      const base = random.between(4, 12);
      const mix = cached(random.between(0.5, 0.8), random.between(0.02, 0.06), 0.05);
      const start = startIn(ctx, 3, 5);
      const loop = base * random.between(6, 30);
      return {
        workloads: [
          workload(MODELS.opus, 'support-triage', steady(base, random.between(0.05, 0.15), 0.85), mix),
          workload(
            MODELS.opus,
            'support-triage',
            fromHour(start, steady(loop, 0.08, 1), random.between(0.1, 1)),
            mix,
            {
              streaming: false,
              tags: { 'agent-run-id': `run-${random.hex(12)}` },
            },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${base.toFixed(2)}/day, loop +$${loop.toFixed(0)}/day from ${start.iso}`,
        },
      };
    }
    case 'sudden-runaway-large': {
      const opus = random.between(700, 1300);
      const sonnet = random.between(700, 1300);
      const weekend = random.between(0.6, 0.9);
      const start = startIn(ctx, 3, 5);
      const loop = (opus + sonnet) * random.between(1, 3);
      const mix = cached(random.between(0.6, 0.85), 0.03, 0.04);
      return {
        workloads: [
          workload(MODELS.opus, 'platform-assistant', steady(opus, random.between(0.04, 0.1), weekend), mix),
          workload(MODELS.sonnet, 'search-rag', steady(sonnet, random.between(0.04, 0.1), weekend), mix, {
            variant: 'global',
          }),
          workload(
            MODELS.opus,
            'platform-assistant',
            fromHour(start, steady(loop, 0.06, 1), random.between(0.1, 1)),
            mix,
            {
              streaming: false,
              tags: { 'agent-run-id': `run-${random.hex(12)}` },
            },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${(opus + sonnet).toFixed(0)}/weekday, loop +$${loop.toFixed(0)}/day from ${start.iso}`,
        },
      };
    }
    case 'step-change': {
      const base = logUniform(random, 20, 400);
      const factor = random.between(2.5, 4);
      const start = startIn(ctx, 3, 5);
      const spread = random.between(0.05, 0.12);
      const weekend = random.between(0.7, 1);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'claims-api',
            (day, r) =>
              base *
              (day.index >= start.index ? factor : 1) *
              noise(r, spread) *
              (isWeekend(day) ? weekend : 1),
            cached(random.between(0.5, 0.8), 0.04),
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${base.toFixed(0)}/day stepping to ${factor.toFixed(1)}× on ${start.iso}`,
        },
      };
    }
    case 'ramp-week': {
      const model = random.chance(0.5) ? MODELS.haiku : MODELS.sonnet;
      const base = logUniform(random, 20, 300);
      const factor = random.between(3, 6);
      const start = startIn(ctx, 3, 5);
      const spread = random.between(0.05, 0.12);
      const level = (day: Day) => {
        const n = day.index - start.index;
        if (n < 0) return 1;
        return 1 + (factor - 1) * Math.min(1, (n + 1) / 7);
      };
      return {
        workloads: [
          workload(
            model,
            'doc-pipeline',
            (day, r) => base * level(day) * noise(r, spread),
            cached(random.between(0.4, 0.8), 0.05),
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${base.toFixed(0)}/day ramping to ${factor.toFixed(1)}× over 7 days from ${start.iso}`,
        },
      };
    }
    case 'weekend-start': {
      const base = logUniform(random, 15, 150);
      const weekend = random.between(0.2, 0.5);
      const start = startIn(ctx, 3, 4, 6);
      const loop = base * random.between(3, 10);
      const mix = cached(random.between(0.5, 0.8), 0.04);
      return {
        workloads: [
          workload(MODELS.sonnet, 'sales-copilot', steady(base, random.between(0.05, 0.12), weekend), mix),
          workload(
            MODELS.sonnet,
            'sales-copilot',
            fromHour(start, steady(loop, 0.08, 1), random.between(0.1, 1)),
            mix,
            {
              streaming: false,
              tags: { 'agent-run-id': `run-${random.hex(12)}` },
            },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${base.toFixed(0)}/weekday (weekends ${(weekend * 100).toFixed(0)}%), loop +$${loop.toFixed(0)}/day from Saturday ${start.iso}`,
        },
      };
    }
    case 'midweek-spike': {
      const base = logUniform(random, 10, 60);
      const start = startIn(ctx, 1, 6, 2);
      const spike = base * random.between(5, 12);
      const mix = cached(random.between(0.3, 0.6), 0.08);
      return {
        workloads: [
          workload(
            MODELS.haiku,
            'ticket-classifier',
            steady(base, random.between(0.05, 0.12), random.between(0.6, 0.9)),
            mix,
          ),
          workload(
            MODELS.haiku,
            'ticket-classifier',
            (day, r) =>
              day.index >= start.index && day.index <= start.index + 2 ? spike * r.wobble(0.05) : 0,
            mix,
            { streaming: false, tags: { 'agent-run-id': `backfill-${random.hex(8)}` } },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: addDays(start.iso, 2),
          description: `$${base.toFixed(0)}/day, +$${spike.toFixed(0)}/day Tuesday–Thursday from ${start.iso}`,
        },
      };
    }
    case 'new-spender': {
      const level = logUniform(random, 60, 300);
      const start = startIn(ctx, 3, 5);
      const dabbles = random.chance(0.5);
      const share = random.between(0.1, 1);
      const mix = cached(random.between(0.4, 0.7), 0.05);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'contract-review',
            fromHour(start, steady(level, random.between(0.05, 0.12), random.between(0.6, 1)), share),
            mix,
            { variant: 'global' },
          ),
          workload(
            MODELS.sonnet,
            'contract-review',
            (day, r) => (dabbles && day.index < start.index && r.chance(0.3) ? r.between(0.02, 0.6) : 0),
            mix,
            { variant: 'global' },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `${dabbles ? 'cents of experiments' : 'nothing'} until ${start.iso}, then $${level.toFixed(0)}/day`,
        },
      };
    }
    case 'marketplace-runaway': {
      const base = logUniform(random, 10, 80);
      const start = startIn(ctx, 3, 5);
      const loop = base * random.between(5, 15);
      const mix = cached(random.between(0.6, 0.85), 0.02);
      return {
        workloads: [
          workload(
            MODELS.marketplaceOpus,
            'legal-assistant',
            steady(base, random.between(0.05, 0.12), random.between(0.6, 1)),
            mix,
            {
              variant: 'global',
            },
          ),
          workload(
            MODELS.marketplaceOpus,
            'legal-assistant',
            fromHour(start, steady(loop, 0.08, 1), random.between(0.1, 1)),
            mix,
            { variant: 'global', streaming: false, tags: { 'agent-run-id': `run-${random.hex(12)}` } },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `Marketplace Opus $${base.toFixed(0)}/day, loop +$${loop.toFixed(0)}/day from ${start.iso}`,
        },
      };
    }
    case 'output-runaway': {
      const base = logUniform(random, 15, 150);
      const start = startIn(ctx, 3, 5);
      const loop = base * random.between(3, 10);
      const hit = random.between(0.4, 0.7);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'report-writer',
            steady(base, random.between(0.05, 0.12), random.between(0.6, 1)),
            cached(hit, random.between(0.05, 0.1), 0.05),
            { variant: 'global' },
          ),
          workload(
            MODELS.sonnet,
            'report-writer',
            fromHour(start, steady(loop, 0.08, 1), random.between(0.1, 1)),
            cached(hit, random.between(8, 30), 0.05),
            { variant: 'global', streaming: false, tags: { 'agent-run-id': `run-${random.hex(12)}` } },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          description: `$${base.toFixed(0)}/day, output loop +$${loop.toFixed(0)}/day from ${start.iso}`,
        },
      };
    }
    case 'organic-growth': {
      const growth = random.between(1.01, 1.02);
      const endUsd = logUniform(random, 40, 300);
      const spread = random.between(0.05, 0.12);
      const weekend = random.between(0.7, 1);
      return {
        computeGrowth: random.between(1.003, 1.01),
        workloads: [
          workload(
            MODELS.sonnet,
            'search-rag',
            (day, r) => endUsd * growth ** -day.fromEnd * noise(r, spread) * (isWeekend(day) ? weekend : 1),
            cached(random.between(0.5, 0.8), 0.04),
            { variant: 'global' },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `${((growth - 1) * 100).toFixed(1)}%/day to $${endUsd.toFixed(0)}/day`,
        },
      };
    }
    case 'weekly-batch': {
      const base = logUniform(random, 10, 100);
      const weekday = random.int(0, 6);
      const batch = base * random.between(3, 8);
      const mix = cached(random.between(0.3, 0.6), 0.06);
      return {
        workloads: [
          workload(
            MODELS.haiku,
            'crm-sync',
            steady(base, random.between(0.05, 0.12), random.between(0.6, 1)),
            mix,
          ),
          workload(
            MODELS.haiku,
            'weekly-digest',
            (day, r) => (day.weekday === weekday ? batch * r.wobble(0.08) : 0),
            mix,
            {
              streaming: false,
              tags: { 'agent-run-id': 'weekly-digest' },
            },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day plus $${batch.toFixed(0)} every weekday ${weekday}`,
        },
      };
    }
    case 'month-end-batch': {
      const base = logUniform(random, 15, 80);
      const batchDays = random.int(2, 3);
      const batch = base * random.between(4, 10);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'analytics-chat',
            steady(base, random.between(0.05, 0.12), random.between(0.6, 1)),
            cached(0.6, 0.04),
          ),
          workload(
            MODELS.llama,
            'monthly-reports',
            (day, r) => (day.dayOfMonth > day.daysInMonth - batchDays ? batch * r.wobble(0.08) : 0),
            uncached(0.2),
            { variant: 'batch', streaming: false, tags: { 'agent-run-id': 'month-end-close' } },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day plus $${batch.toFixed(0)}/day on the last ${batchDays} days of each month`,
        },
      };
    }
    case 'weekday-only': {
      const base = logUniform(random, 10, 80);
      const spread = random.between(0.05, 0.15);
      return {
        workloads: [
          workload(
            MODELS.haiku,
            'dev-sandbox',
            (day, r) => (isWeekend(day) ? 0 : base * noise(r, spread)),
            cached(0.3, 0.08),
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/weekday, no weekends`,
        },
      };
    }
    case 'holiday-dip': {
      const base = logUniform(random, 20, 200);
      const length = random.int(5, 12);
      const dipEnd = startIn(ctx, -5, 3);
      const dipStart = dipEnd.index - length + 1;
      const low = random.between(0.05, 0.25);
      const after = random.between(1, 1.1);
      const spread = random.between(0.05, 0.12);
      const weekend = random.between(0.6, 1);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'helpdesk-bot',
            (day, r) =>
              base *
              (day.index < dipStart ? 1 : day.index <= dipEnd.index ? low : after) *
              noise(r, spread) *
              (isWeekend(day) ? weekend : 1),
            cached(random.between(0.5, 0.8), 0.04),
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day, ${length} days at ${(low * 100).toFixed(0)}% until ${dipEnd.iso}, then ${after.toFixed(2)}×`,
        },
      };
    }
    case 'credits-corrections': {
      const base = logUniform(random, 10, 100);
      const restated = startIn(ctx, 2, 0);
      const reversal = startIn(ctx, 2, 0);
      const refund = startIn(ctx, 0, 0);
      const restatement = base * random.between(3, 15);
      const credit = -Math.round(base * random.between(5, 20));
      return {
        workloads: [
          workload(
            MODELS.opus,
            'claims-summarizer',
            steady(base, random.between(0.05, 0.12), random.between(0.7, 1)),
            cached(0.7, 0.02),
          ),
        ],
        extraRows: (identity, day) => {
          const out: FocusRow[] = [];
          if (day.dayOfMonth === 1)
            out.push(
              adjustmentRow(identity, day, {
                category: 'Credit',
                cost: credit,
                note: 'AWS Generative AI Accelerator credits',
              }),
            );
          if (day.index === refund.index)
            out.push(
              adjustmentRow(identity, day, {
                category: 'Credit',
                cost: -base * 2,
                note: 'Refund: Claude Opus 4.6 service issue',
              }),
            );
          if (day.index === restated.index)
            out.push(
              adjustmentRow(identity, day, {
                category: 'Usage',
                correction: true,
                cost: restatement,
                note: 'Correction: restated Claude Opus 4.6 input tokens for a prior day',
              }),
            );
          if (day.index === reversal.index)
            out.push(
              adjustmentRow(identity, day, {
                category: 'Usage',
                correction: true,
                cost: -restatement * 0.5,
                note: 'Correction: reversal of duplicated Claude Opus 4.6 usage',
              }),
            );
          return out;
        },
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day, credit $${credit} monthly, restatement +$${restatement.toFixed(0)} on ${restated.iso}`,
        },
      };
    }
    case 'model-migration': {
      const base = logUniform(random, 30, 300);
      const canaryStart = startIn(ctx, -14, 10);
      const canaryDays = random.int(5, 10);
      const cutoverDays = random.int(1, 3);
      const cutover = canaryStart.index + canaryDays;
      const share = (day: Day) => {
        if (day.index < canaryStart.index) return 0;
        if (day.index < cutover) return 0.05;
        return Math.min(1, 0.05 + (0.95 * (day.index - cutover + 1)) / cutoverDays);
      };
      const hit = random.between(0.55, 0.8);
      const spread = random.between(0.05, 0.12);
      const weekend = random.between(0.7, 1);
      const total = (day: Day, r: Random) => base * noise(r, spread) * (isWeekend(day) ? weekend : 1);
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'assistant-api',
            (day, r) => total(day, r) * (1 - share(day)),
            cached(hit, 0.04),
          ),
          workload(
            MODELS.opus,
            'assistant-api',
            (day, r) => total(day, r) * share(day),
            cached(hit + random.between(-0.03, 0.03), 0.04),
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day: canary from ${canaryStart.iso}, cut over in ${cutoverDays} days after ${canaryDays}`,
        },
      };
    }
    case 'late-data': {
      const base = logUniform(random, 20, 300);
      const dropCacheReads = random.chance(0.5);
      const to = ctx.window.to;
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'knowledge-base',
            steady(base, random.between(0.05, 0.12), random.between(0.7, 1)),
            cached(random.between(0.5, 0.8), 0.04),
          ),
        ],
        finish: (rows, r) =>
          rows.flatMap((row) => {
            if (row.chargeperiodstart.toISOString().slice(0, 10) !== to) return [row];
            const cacheRead = /cache-read/i.test(row.skumeter ?? '');
            if (dropCacheReads && cacheRead) return [];
            const share = r.between(0.2, 0.8);
            return [scaleRow(row, share)];
          }),
        label: {
          incident: false,
          start: null,
          end: null,
          description: `$${base.toFixed(0)}/day, last day partial${dropCacheReads ? ', cache reads not billed yet' : ''}`,
        },
      };
    }
    case 'cache-regression': {
      const model = random.chance(0.5) ? MODELS.opus : MODELS.sonnet;
      const usd = logUniform(random, 60, 500);
      const before = random.between(0.6, 0.9);
      const after = random.between(0.05, 0.35);
      const start = startIn(ctx, 3, 5);
      return {
        workloads: [
          workload(
            model,
            'code-review-agent',
            steady(usd, random.between(0.05, 0.1), random.between(0.6, 1)),
            cached(before, 0.03, 0.03),
            {
              compositionOn: (day) => cached(day.index >= start.index ? after : before, 0.03, 0.03),
            },
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          model: model.key,
          description: `${model.key} $${usd.toFixed(0)}/day, hit ratio ${before.toFixed(2)} → ${after.toFixed(2)} on ${start.iso}`,
        },
      };
    }
    case 'cache-never-used': {
      const inputTokensPerDay = random.between(10e6, 60e6);
      const usd = (inputTokensPerDay * 3.3) / 1e6 + inputTokensPerDay * 0.03 * 16.5e-6;
      return {
        workloads: [
          workload(
            MODELS.sonnet,
            'doc-extraction',
            steady(usd, random.between(0.05, 0.12), random.between(0.5, 1)),
            uncached(0.03),
          ),
        ],
        peer: {
          workloads: [
            workload(
              MODELS.sonnet,
              'assistant',
              steady(logUniform(random, 20, 100), 0.08, 0.8),
              cached(random.between(0.6, 0.8), 0.04),
            ),
          ],
        },
        label: {
          incident: true,
          start: ctx.window.dataStart,
          end: null,
          model: MODELS.sonnet.key,
          description: `${(inputTokensPerDay / 1e6).toFixed(0)} M uncached input tokens/day, never cached`,
        },
      };
    }
    case 'new-uncached-workload': {
      const model = random.chance(0.5) ? MODELS.opus : MODELS.sonnet;
      const usd = logUniform(random, 40, 200);
      const hit = random.between(0.6, 0.85);
      const ratio = random.between(0.5, 3);
      const start = startIn(ctx, 3, 5);
      const mix = cached(hit, 0.04);
      // The new app's prompt volume is `ratio` × the cached app's: its cost follows the same volume at list price.
      const perPromptCached = costPerMillionPrompt(model, mix);
      const perPromptUncached = costPerMillionPrompt(model, uncached(0.04));
      const weekend = random.between(0.6, 1);
      return {
        workloads: [
          workload(model, 'assistant-api', steady(usd, random.between(0.05, 0.1), weekend), mix),
          workload(
            model,
            'batch-summarizer',
            fromHour(
              start,
              steady((usd * ratio * perPromptUncached) / perPromptCached, 0.08, weekend),
              random.between(0.3, 1),
            ),
            uncached(0.04),
          ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          model: model.key,
          description: `${model.key} hit ${hit.toFixed(2)}; uncached app at ${ratio.toFixed(2)}× the prompt volume from ${start.iso} (expected ratio ${(hit / (1 + ratio)).toFixed(2)})`,
        },
      };
    }
    case 'small-cache-degradation': {
      const model = random.chance(0.5) ? MODELS.opus : MODELS.sonnet;
      const usd = logUniform(random, 40, 400);
      const before = random.between(0.6, 0.85);
      const after = before - random.between(0.03, 0.12);
      const change = startIn(ctx, -7, 3);
      return {
        workloads: [
          workload(
            model,
            'faq-bot',
            steady(usd, random.between(0.05, 0.1), random.between(0.6, 1)),
            cached(before, 0.04),
            {
              compositionOn: (day) => cached(day.index >= change.index ? after : before, 0.04),
            },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          model: model.key,
          description: `${model.key} hit ratio ${before.toFixed(2)} → ${after.toFixed(2)} on ${change.iso}`,
        },
      };
    }
    case 'partial-cache-loss':
    case 'partial-cache-loss-weekdays': {
      const weekdays = family === 'partial-cache-loss-weekdays';
      const model = weekdays && random.chance(0.5) ? MODELS.sonnet : MODELS.opus;
      const lostShare = weekdays ? 0.3 : 0.4;
      const promptTokens = weekdays ? logUniform(random, 50e6, 250e6) : logUniform(random, 100e6, 300e6);
      const weekend = weekdays ? random.between(0.15, 0.35) : random.between(0.6, 1);
      const mix = cached(0.75, 0.03, 0.04);
      const usd = promptTokens * costPerPromptToken(model, 'regional', mix);
      const start = startIn(ctx, 3, 5);
      // The deploy lands at a random hour: the start day is part cached, part not.
      const cachedPartOfStartDay = random.between(0, 1);
      const services = random.int(2, 4);
      const spread = random.between(0.05, 0.1);
      const lost = (day: Day): Composition => {
        if (day.index < start.index) return mix;
        const kept = day.index === start.index ? cachedPartOfStartDay : 0;
        return cached(0.75 * kept, 0.03, 0.04 * kept);
      };
      const apps = ['agent-api', 'search-rerank', 'doc-qa', 'support-bot'];
      return {
        workloads: [
          workload(model, 'prompt-builder', steady(usd * lostShare, spread, weekend), mix, {
            compositionOn: lost,
          }),
          ...apps
            .slice(0, services - 1)
            .map((app) =>
              workload(model, app, steady((usd * (1 - lostShare)) / (services - 1), spread, weekend), mix),
            ),
        ],
        label: {
          incident: true,
          start: start.iso,
          end: null,
          model: model.key,
          description: `${model.key} ${(promptTokens / 1e6).toFixed(0)} M prompt tokens/day over ${services} services; ${lostShare * 100}% stop caching on ${start.iso} (${(24 * cachedPartOfStartDay).toFixed(0)}:00): 0.75 → ${(0.75 * (1 - lostShare)).toFixed(3)}`,
        },
      };
    }
    case 'noisy-hit-ratio': {
      const model = random.chance(0.5) ? MODELS.opus : MODELS.sonnet;
      const usd = logUniform(random, 40, 400);
      const mean = random.between(0.6, 0.85);
      // A normal scatter (Box–Muller) of standard deviation 0.04 around the mean, one draw per day.
      const daily = ctx.days.map(() => {
        const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
        return Math.min(0.95, Math.max(0.05, mean + 0.04 * z));
      });
      return {
        workloads: [
          workload(
            model,
            'research-assistant',
            steady(usd, random.between(0.05, 0.1), random.between(0.6, 1)),
            cached(mean, 0.04),
            { compositionOn: (day) => cached(daily[day.index] ?? mean, 0.04) },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          model: model.key,
          description: `${model.key} $${usd.toFixed(0)}/day, daily hit ratio ${mean.toFixed(2)} ± 0.04`,
        },
      };
    }
    case 'cache-warm-up': {
      const model = random.chance(0.5) ? MODELS.opus : MODELS.sonnet;
      const sameModel = random.chance(0.5);
      const next = sameModel ? model : model === MODELS.opus ? MODELS.sonnet : MODELS.opus;
      const variant: Variant = sameModel ? 'global' : 'regional';
      const target = random.between(0.6, 0.85);
      const first = random.between(0.3, 0.5);
      const promptTokens = logUniform(random, 50e6, 250e6);
      const mix = cached(target, 0.04);
      const switchDay = startIn(ctx, 0, 4);
      const spread = random.between(0.05, 0.1);
      const weekend = random.between(0.6, 1);
      // Days 0, 1, 2 after the switch at first, first + 1/3, first + 2/3 of the old ratio; writes refill the cache.
      const warming = (day: Day): Composition => {
        const i = day.index - switchDay.index;
        if (i >= 3) return mix;
        const hit = target * (first + ((1 - first) * i) / 3);
        return cached(hit, 0.04, 0.04 + 0.25 * (target - hit));
      };
      const before = (day: Day, r: Random) =>
        day.index < switchDay.index ? steady(1, spread, weekend)(day, r) : 0;
      const after = (day: Day, r: Random) =>
        day.index >= switchDay.index ? steady(1, spread, weekend)(day, r) : 0;
      return {
        workloads: [
          workload(
            model,
            'claims-assistant',
            (day, r) => promptTokens * costPerPromptToken(model, 'regional', mix) * before(day, r),
            mix,
          ),
          workload(
            next,
            'claims-assistant',
            (day, r) => promptTokens * costPerPromptToken(next, variant, mix) * after(day, r),
            mix,
            { variant, compositionOn: warming },
          ),
        ],
        label: {
          incident: false,
          start: null,
          end: null,
          model: next.key,
          description: `${model.key} → ${next.key}${sameModel ? ' (global profile)' : ''} on ${switchDay.iso}: hit ratio ${(target * first).toFixed(2)} → ${target.toFixed(2)} over 3 days`,
        },
      };
    }
  }
}

function costPerMillionPrompt(model: BedrockModel, mix: Composition): number {
  const p = model.regionalPerMillion;
  return (
    (1 - mix.hitRatio - mix.writeShare) * (p.input ?? 0) +
    mix.hitRatio * (p.cache_read ?? 0) +
    mix.writeShare * (p.cache_write ?? 0) +
    mix.outputPerPrompt * (p.output ?? 0)
  );
}

function scaleRow(row: FocusRow, share: number): FocusRow {
  const scale = (v: number | null) => (v === null ? null : v * share);
  return {
    ...row,
    billedcost: scale(row.billedcost),
    effectivecost: scale(row.effectivecost),
    listcost: scale(row.listcost),
    consumedquantity: scale(row.consumedquantity),
    pricingquantity: scale(row.pricingquantity),
  };
}

function adjustmentRow(
  identity: AccountIdentity,
  day: Day,
  input: { category: 'Usage' | 'Credit'; correction?: boolean; cost: number; note: string },
): FocusRow {
  const tokensK = input.category === 'Usage' ? (input.cost / 5.5) * 1000 : null;
  return {
    billingaccountid: identity.payerAccountId,
    chargeperiodstart: new Date(day.startMs),
    chargeperiodend: new Date(day.startMs + 86_400_000),
    subaccountid: identity.accountId,
    subaccountname: identity.accountName,
    servicename: 'Amazon Bedrock',
    servicecategory: 'AI and Machine Learning',
    x_servicecode: 'AmazonBedrock',
    x_operation: 'InvokeModelInference',
    skumeter: 'USE1-Claude4.6Opus-input-tokens',
    chargecategory: input.category,
    chargeclass: input.correction ? 'Correction' : null,
    chargedescription: input.note,
    billedcost: input.cost,
    effectivecost: input.cost,
    listcost: input.category === 'Usage' ? input.cost : 0,
    consumedquantity: tokensK,
    consumedunit: tokensK === null ? null : '1K tokens',
    pricingunit: tokensK === null ? null : '1K tokens',
    pricingquantity: tokensK,
    regionid: 'us-east-1',
    resourceid: `arn:aws:bedrock:us-east-1:${identity.accountId}:inference-profile/us.anthropic.claude-opus-4-6-v1`,
    tags: {},
    providername: 'AWS',
    publishername: 'Amazon Web Services, Inc.',
  };
}

const COMPUTE_KINDS: ServiceKindName[] = ['ec2Instance', 'lambda', 'fargate', 's3'];

function computeResources(accountId: string, random: Random, growth: number): EverydayResource[] {
  const count = random.int(2, 3);
  return random
    .shuffle([...COMPUTE_KINDS])
    .slice(0, count)
    .map((name, i) => {
      const kind = SERVICE_KINDS[name];
      const region = REGIONS['us-east-1'];
      return {
        kind,
        region,
        resourceid: kind.resource(accountId, region, random.hex(17)),
        quantity: random.between(kind.quantity[0], kind.quantity[1]),
        weekendFactor: random.between(0.7, 1),
        dailyGrowth: growth,
        tags: { team: 'bench', env: 'prod', Name: `bench-${name.toLowerCase()}-${i + 1}` },
      };
    });
}

function accountRows(
  identity: AccountIdentity,
  days: Day[],
  workloads: BedrockWorkload[],
  resources: EverydayResource[],
  random: Random,
  extraRows?: Plan['extraRows'],
): FocusRow[] {
  const rows: FocusRow[] = [];
  for (const day of days) {
    for (const resource of resources) emitEverydayDay(identity, resource, day, random, rows);
    for (const w of workloads) emitBedrockDay(identity, w, day, random, rows);
    if (extraRows) rows.push(...extraRows(identity, day, random));
  }
  return rows;
}

/** One labelled scenario: deterministic in (family, seed). */
export function generateScenario(family: FamilyId, seed: number): Scenario {
  const info = FAMILIES[family];
  const window = windowOf(seed);
  const days = dayRange(window.to, DATA_DAYS);
  const random = Random.derive(seed, 'quality', family);
  const ctx: PlanContext = {
    random,
    window,
    days,
    indexOf: (iso) => daysBetween(window.dataStart, iso),
  };
  const p = plan(family, ctx);
  const subject: AccountIdentity = {
    accountId: accountIdOf(family, seed, 0),
    accountName: `bench-${family}-${seed}`,
    payerAccountId: PAYER,
    discount: 0,
  };
  const rowRandom = Random.derive(seed, 'quality-rows', family);
  let rows = accountRows(
    subject,
    days,
    p.workloads,
    computeResources(subject.accountId, rowRandom, p.computeGrowth ?? 1),
    rowRandom,
    p.extraRows,
  );
  if (p.finish) rows = p.finish(rows, rowRandom);
  const peers: string[] = [];
  if (p.peer) {
    const peer: AccountIdentity = {
      accountId: accountIdOf(family, seed, 1),
      accountName: `bench-${family}-${seed}-peer`,
      payerAccountId: PAYER,
      discount: 0,
    };
    peers.push(peer.accountId);
    rows.push(
      ...accountRows(peer, days, p.peer.workloads, computeResources(peer.accountId, rowRandom, 1), rowRandom),
    );
  }
  return {
    family,
    seed,
    window,
    rows,
    label: {
      family,
      seed,
      account_id: subject.accountId,
      incident: p.label.incident,
      detector: info.detector,
      model: p.label.model ?? null,
      start: p.label.start,
      end: p.label.end,
      quiet: info.quiet,
      driver: info.driver,
      peers,
      description: p.label.description,
    },
  };
}
