/**
 * A synthetic AWS organization: dozens of accounts with everyday services and Bedrock workloads,
 * benign patterns that must stay quiet (seasonality, month-end batches, growth, zero-spend days,
 * AgentCore, credits, corrections, tax) and labelled incidents that must fire (docs/detection.md).
 * Pure and deterministic: the same options give the same rows.
 */
import type { DetectorId, FindingKind, IsoDate } from '../core/types.js';
import { addDays, DAY_MS, type Day, dayRange, isWeekend, nextMonthStartMs } from './calendar.js';
import {
  type BedrockModel,
  MODELS,
  REGIONS,
  type Region,
  SERVICE_KINDS,
  type ServiceKindName,
} from './catalog.js';
import type { FocusRow } from './focus-row.js';
import { hash32, Random } from './random.js';
import {
  type AccountIdentity,
  type BedrockWorkload,
  type Composition,
  type EverydayResource,
  emitBedrockDay,
  emitEverydayDay,
  type TagSplit,
} from './workloads.js';

export interface GenerateOrganizationOptions {
  seed: number;
  accounts: number;
  days: number;
  /** Last generated day (inclusive), UTC. */
  end: IsoDate;
}

/** Fewest accounts that hold every incident plus a couple of benign accounts. */
export const MIN_ACCOUNTS = 8;
/** Enough history for the runaway baseline (D−29) and the recurring look-back (D−34). */
export const MIN_DAYS = 45;

export type IncidentFamily =
  | 'sudden-runaway'
  | 'output-runaway'
  | 'new-spender'
  | 'midweek-spike'
  | 'cache-regression'
  | 'cache-absent'
  | 'weekend-loop'
  | 'sandbox-over-cap';

/** One injected incident, as a detector should report it (labels.json). */
export interface IncidentLabel {
  family: IncidentFamily;
  account_id: string;
  detector: DetectorId;
  kind: FindingKind;
  /** null for runaway-inference; the model key of docs/detection.md "Input" for cache-miss. */
  model: string | null;
  start: IsoDate;
  /** Last abnormal day; null while it is still going on at `end`. */
  end: IsoDate | null;
  /** For an incident the hourly watch must see: the hour it began (UTC, `YYYY-MM-DDTHH:00:00Z`). */
  start_hour?: string;
  description: string;
}

export type BenignPattern =
  | 'month-end-batch'
  | 'organic-growth'
  | 'step-up'
  | 'weekday-only'
  | 'sporadic'
  | 'agentcore-growth'
  | 'correction-restatement'
  | 'marketplace-cached'
  | 'nova-cached'
  | 'agent-platform'
  | 'steady-cached'
  | 'steady-small'
  | 'compute-only';

export type AccountPattern = IncidentFamily | BenignPattern;

export interface AccountProfile {
  account_id: string;
  account_name: string;
  team: string;
  env: string;
  pattern: AccountPattern;
  incident: boolean;
  description: string;
}

/** A row of owners.csv (docs/emails.md). `cc` is '' when the account has none. */
export interface OwnerRecord {
  account_id: string;
  owner_email: string;
  account_name: string;
  team: string;
  cc: string;
  /** The account's environment (`prod`, `dev`, `sandbox`): dev and sandbox accounts get a daily budget cap. */
  environment: string;
}

export interface SyntheticOrganization {
  start: IsoDate;
  end: IsoDate;
  payerAccountId: string;
  accounts: AccountProfile[];
  rows: FocusRow[];
  labels: IncidentLabel[];
  owners: OwnerRecord[];
}

/**
 * The weekend loop (docs/watch.md "Reference") goes into organizations of this many accounts or more: the
 * demo's 40 and `sentinel generate`'s default. Smaller ones, which the test suite's fixtures use, keep the
 * six incidents they were written against, account for account.
 */
export const WEEKEND_LOOP_MIN_ACCOUNTS = 20;

/** The sandbox over its daily cap (docs/detection.md "Budget") goes into organizations of this size too. */
export const SANDBOX_OVER_CAP_MIN_ACCOUNTS = 20;

const INCIDENT_ORDER: IncidentFamily[] = [
  'sudden-runaway',
  'new-spender',
  'midweek-spike',
  'cache-regression',
  'cache-absent',
  'output-runaway',
  'weekend-loop',
  'sandbox-over-cap',
];

/** Filled in this order after the incidents, so a small organization still has the key decoys. */
const NAMED_BENIGN_ORDER: BenignPattern[] = [
  'month-end-batch',
  'organic-growth',
  'agentcore-growth',
  'correction-restatement',
  'weekday-only',
  'marketplace-cached',
  'sporadic',
  'step-up',
  'nova-cached',
  'agent-platform',
  'month-end-batch',
  'organic-growth',
];

const GENERIC_CYCLE: BenignPattern[] = [
  'steady-cached',
  'compute-only',
  'steady-small',
  'steady-cached',
  'compute-only',
];

const TEAMS = [
  'search',
  'payments',
  'data-platform',
  'support',
  'growth',
  'ml-research',
  'identity',
  'mobile',
  'analytics',
  'infra',
  'risk',
  'docs',
  'checkout',
  'messaging',
];
const FIRST_NAMES = [
  'ana',
  'ben',
  'chen',
  'dara',
  'eli',
  'fatima',
  'gus',
  'hana',
  'ivan',
  'jo',
  'kofi',
  'lena',
];
const LAST_NAMES = [
  'silva',
  'okafor',
  'novak',
  'tanaka',
  'moreau',
  'haddad',
  'berg',
  'kowalski',
  'reyes',
  'singh',
];

/** The cc shared by a few accounts, so owner alerts for them group into one message (docs/emails.md). */
export const SHARED_CC = 'platform-leads@example.com';
const UNMAPPED_ACCOUNTS = 3;
const SHARED_CC_ACCOUNTS = 4;

interface AccountPlan {
  pattern: AccountPattern;
  description: string;
  env: string;
  workloads: BedrockWorkload[];
  /** Rows that are not plain daily usage: AgentCore, corrections, credits. */
  extraRows?(identity: AccountIdentity, day: Day, random: Random): FocusRow[];
  label?: Omit<IncidentLabel, 'account_id'>;
}

interface PlanContext {
  random: Random;
  team: string;
  days: Day[];
  end: IsoDate;
  firstDay: IsoDate;
}

export function generateOrganization(options: GenerateOrganizationOptions): SyntheticOrganization {
  const { accountRows, ...organization } = planOrganization(options);
  const rows: FocusRow[] = [];
  for (let i = 0; i < organization.accounts.length; i++) {
    for (const row of accountRows(i)) rows.push(row);
  }
  return { ...organization, rows };
}

/** The organization without its rows, which `accountRows(i)` produces one account at a time (bounded memory). */
export interface OrganizationPlan extends Omit<SyntheticOrganization, 'rows'> {
  /** Rows of `accounts[index]`; call each index once, in any order. */
  accountRows(index: number): FocusRow[];
}

export function planOrganization(options: GenerateOrganizationOptions): OrganizationPlan {
  const { seed, days: dayCount, end } = options;
  if (!Number.isInteger(options.accounts) || options.accounts < MIN_ACCOUNTS) {
    throw new RangeError(`accounts must be an integer of at least ${MIN_ACCOUNTS}`);
  }
  if (!Number.isInteger(dayCount) || dayCount < MIN_DAYS) {
    throw new RangeError(`days must be an integer of at least ${MIN_DAYS}`);
  }
  const days = dayRange(end, dayCount);
  const firstDay = days[0]?.iso ?? end;
  const orgRandom = Random.derive(seed, 'organization');
  const payerAccountId = accountIdFrom(orgRandom);

  const patterns: AccountPattern[] = INCIDENT_ORDER.filter(
    (family) =>
      (family !== 'weekend-loop' || options.accounts >= WEEKEND_LOOP_MIN_ACCOUNTS) &&
      (family !== 'sandbox-over-cap' || options.accounts >= SANDBOX_OVER_CAP_MIN_ACCOUNTS),
  );
  for (let i = 0; patterns.length < options.accounts; i++) {
    patterns.push(NAMED_BENIGN_ORDER[i] ?? GENERIC_CYCLE[i % GENERIC_CYCLE.length] ?? 'compute-only');
  }
  orgRandom.shuffle(patterns);

  const usedIds = new Set([payerAccountId]);
  const usedNames = new Set<string>();
  const accounts: AccountProfile[] = [];
  const labels: IncidentLabel[] = [];
  const emitters: (() => FocusRow[])[] = [];

  patterns.forEach((pattern, index) => {
    // One stream per account: an account's rows do not depend on how many accounts there are.
    const random = Random.derive(seed, 'account', index);
    let accountId = accountIdFrom(random);
    while (usedIds.has(accountId)) accountId = accountIdFrom(random);
    usedIds.add(accountId);
    const team = TEAMS[(index + (hash32(seed) % TEAMS.length)) % TEAMS.length] ?? 'platform';
    const plan = planAccount(pattern, { random, team, days, end, firstDay });
    let accountName = `acme-${team}-${plan.env}`;
    for (let n = 2; usedNames.has(accountName); n++) accountName = `acme-${team}-${plan.env}-${n}`;
    usedNames.add(accountName);
    const identity: AccountIdentity = {
      accountId,
      accountName,
      payerAccountId,
      discount: random.chance(0.5) ? 0.06 : 0,
    };
    const resources = everydayResources(pattern, accountId, team, plan.env, random);
    emitters.push(() => {
      const rows: FocusRow[] = [];
      for (const day of days) {
        for (const resource of resources) emitEverydayDay(identity, resource, day, random, rows);
        for (const workload of plan.workloads) emitBedrockDay(identity, workload, day, random, rows);
        if (plan.extraRows) rows.push(...plan.extraRows(identity, day, random));
      }
      rows.push(...monthlyTaxAndCredits(identity, rows, days, random));
      return rows;
    });
    accounts.push({
      account_id: accountId,
      account_name: accountName,
      team,
      env: plan.env,
      pattern,
      incident: plan.label !== undefined,
      description: plan.description,
    });
    if (plan.label) labels.push({ account_id: accountId, ...plan.label });
  });

  labels.sort((a, b) => INCIDENT_ORDER.indexOf(a.family) - INCIDENT_ORDER.indexOf(b.family));
  return {
    start: firstDay,
    end,
    payerAccountId,
    accounts,
    labels,
    owners: ownersFor(accounts, Random.derive(seed, 'owners')),
    accountRows: (index) => {
      const emit = emitters[index];
      if (!emit) throw new RangeError(`no account at index ${index}`);
      return emit();
    },
  };
}

function accountIdFrom(random: Random): string {
  return String(random.int(100_000_000_000, 999_999_999_999));
}

// ---------------------------------------------------------------------------------------------
// Workload shapes

const steady =
  (usd: number, spread: number, weekendFactor = 1) =>
  (day: Day, random: Random) =>
    usd * random.wobble(spread) * (isWeekend(day) ? weekendFactor : 1);

const oneTagSet = (tags: Record<string, string>) => (): TagSplit[] => [{ tags, share: 1 }];

function cached(hitRatio: number, outputPerPrompt: number, writeShare = 0.04): Composition {
  return { hitRatio, writeShare, outputPerPrompt };
}

const UNCACHED = (outputPerPrompt: number): Composition => ({ hitRatio: 0, writeShare: 0, outputPerPrompt });

function workload(
  model: BedrockModel,
  app: string,
  usdAtReference: BedrockWorkload['usdAtReference'],
  reference: Composition,
  tags: Record<string, string>,
  extra: Partial<BedrockWorkload> = {},
): BedrockWorkload {
  // Models that do not bill cache writes (Nova) simply have a zero write share.
  const composition: Composition =
    model.regionalPerMillion.cache_write === null ? { ...reference, writeShare: 0 } : reference;
  return {
    app,
    model,
    variant: 'regional',
    region: REGIONS['us-east-1'],
    streaming: true,
    usdAtReference,
    reference: composition,
    tagSplits: oneTagSet({ ...tags, app }),
    ...extra,
  };
}

/** The weekend loop (docs/watch.md "Reference"): $58 an hour from Friday 18:00 UTC for 72 hours. */
export const WEEKEND_LOOP = { usdPerHour: 58, startHour: 18, hours: 72 } as const;

/** The latest Friday whose 72-hour loop (to Monday 18:00) ends by `end`. */
export function weekendLoopFriday(days: Day[]): Day {
  for (let i = days.length - 1 - 3; i >= 0; i--) {
    const day = days[i];
    if (day?.weekday === 5) return day;
  }
  throw new RangeError('no Friday in range');
}

/** Hours of the weekend loop on a day: Friday from 18:00, all of Saturday and Sunday, Monday until 18:00. */
export function weekendLoopHours(friday: Day, day: Day): number {
  const offset = day.index - friday.index;
  if (offset === 0) return 24 - WEEKEND_LOOP.startHour;
  if (offset === 1 || offset === 2) return 24;
  if (offset === 3) return WEEKEND_LOOP.startHour;
  return 0;
}

/** The latest Tuesday whose Tuesday–Thursday spike ends at least 4 days before `end`. */
function midweekSpikeStart(days: Day[]): Day {
  for (let i = days.length - 1 - 6; i >= 0; i--) {
    const day = days[i];
    if (day?.weekday === 2) return day;
  }
  throw new RangeError('no Tuesday in range');
}

function planAccount(pattern: AccountPattern, ctx: PlanContext): AccountPlan {
  const { random, team, end, firstDay } = ctx;
  const baseTags = { team, env: 'prod', 'cost-center': `cc-${1000 + (hash32(team) % 9000)}` };
  const since = (n: number) => addDays(end, -n);
  switch (pattern) {
    case 'sudden-runaway': {
      const runId = `run-${random.hex(12)}`;
      const composition = cached(0.7, 0.02, 0.05);
      return {
        pattern,
        env: 'prod',
        description: `~$7.30/day of Claude Opus 4.6 until ${since(3)}, then an agent loop (agent-run-id ${runId}) at ~$130/day`,
        workloads: [
          workload(MODELS.opus, 'support-triage', steady(7.32, 0.04), composition, {
            ...baseTags,
            'agent-run-id': 'nightly-triage',
          }),
          workload(
            MODELS.opus,
            'support-triage',
            (day, r) => (day.fromEnd <= 2 ? 124.7 * r.wobble(0.03) : 0),
            composition,
            { ...baseTags, 'agent-run-id': runId },
            { streaming: false },
          ),
        ],
        label: {
          family: 'sudden-runaway',
          detector: 'runaway-inference',
          kind: 'runaway',
          model: null,
          start: since(2),
          end: null,
          description: `Bedrock spend jumps from ~$7.30/day to ~$132/day (18x): one agent run (${runId}) looping on Claude Opus 4.6`,
        },
      };
    }
    case 'output-runaway': {
      const runId = `run-${random.hex(12)}`;
      return {
        pattern,
        env: 'prod',
        description: `~$18/day of Claude Sonnet 4.5 (global) until ${since(4)}, then a generation loop billing mostly output tokens`,
        workloads: [
          workload(MODELS.sonnet, 'report-writer', steady(18, 0.06, 0.6), cached(0.5, 0.1, 0.05), baseTags, {
            variant: 'global',
          }),
          workload(
            MODELS.sonnet,
            'report-writer',
            (day, r) => (day.fromEnd <= 3 ? 130 * r.wobble(0.05) : 0),
            cached(0.5, 6, 0.05),
            { ...baseTags, 'agent-run-id': runId },
            { variant: 'global', streaming: false },
          ),
        ],
        label: {
          family: 'output-runaway',
          detector: 'runaway-inference',
          kind: 'runaway',
          model: null,
          start: since(3),
          end: null,
          description: `output tokens rise ~16x on Claude Sonnet 4.5 (agent-run-id ${runId}) while prompt volume barely moves: a generation loop, ~$18/day to ~$150/day`,
        },
      };
    }
    case 'weekend-loop': {
      const friday = weekendLoopFriday(ctx.days);
      const runId = `run-${random.hex(12)}`;
      const composition = cached(0.6, 0.04, 0.04);
      const monday = addDays(friday.iso, 3);
      return {
        pattern,
        env: 'prod',
        description: `~$20 a weekday of Claude Sonnet 4.5 in office hours, then an agent loop (agent-run-id ${runId}) at ~$58/hour from Friday ${friday.iso} 18:00 UTC to Monday ${monday} 18:00`,
        workloads: [
          workload(
            MODELS.sonnet,
            'claims-assistant',
            (day, r) => 20 * r.wobble(0.05) * (isWeekend(day) ? 0.05 : 1),
            cached(0.5, 0.05),
            baseTags,
          ),
          workload(
            MODELS.sonnet,
            'claims-assistant',
            (day) => WEEKEND_LOOP.usdPerHour * weekendLoopHours(friday, day),
            composition,
            { ...baseTags, 'agent-run-id': runId },
            { streaming: false },
          ),
        ],
        label: {
          family: 'weekend-loop',
          detector: 'runaway-inference',
          kind: 'runaway',
          model: null,
          start: friday.iso,
          end: monday,
          start_hour: `${friday.iso}T${String(WEEKEND_LOOP.startHour).padStart(2, '0')}:00:00Z`,
          description: `an agent loop (${runId}) at ~$58/hour from Friday 18:00 UTC for 72 hours (~$4,200) on an account at ~$20 a weekday in office hours: the hourly watch sees it within hours, the bill a day or two later`,
        },
      };
    }
    case 'sandbox-over-cap': {
      // ~$212 of Bedrock on one day of a sandbox at ~$80/day, over the default $100/day cap of its environment;
      // the day stays under the runaway band (3-day mean < 1.75x), so only the budget sees it.
      const runId = `run-${random.hex(12)}`;
      return {
        pattern,
        env: 'sandbox',
        description: `sandbox: ~$80/day of Claude Sonnet 4.5, and one evaluation sweep (agent-run-id ${runId}) on ${since(5)} that brings the day to ~$212`,
        workloads: [
          workload(MODELS.sonnet, 'evals', steady(80, 0.05), cached(0.3, 0.08), {
            ...baseTags,
            env: 'sandbox',
          }),
          workload(
            MODELS.sonnet,
            'evals',
            (day) => (day.fromEnd === 5 ? 132 : 0),
            UNCACHED(0.1),
            { ...baseTags, env: 'sandbox', 'agent-run-id': runId },
            { streaming: false },
          ),
        ],
        label: {
          family: 'sandbox-over-cap',
          detector: 'budget',
          kind: 'daily-cap',
          model: null,
          start: since(5),
          end: since(5),
          description: `a sandbox account at ~$80/day spends ~$212 on one day (${since(5)}), over the $100/day cap its environment gives it`,
        },
      };
    }
    case 'new-spender':
      return {
        pattern,
        env: 'prod',
        description: `no Bedrock spend until ${since(5)}, then ~$90/day of Claude Sonnet 4.5; not in the owners mapping`,
        workloads: [
          workload(
            MODELS.sonnet,
            'contract-review',
            (day, r) => (day.fromEnd <= 4 ? 90 * r.wobble(0.05) : 0),
            cached(0.6, 0.05),
            baseTags,
            { variant: 'global' },
          ),
        ],
        label: {
          family: 'new-spender',
          detector: 'runaway-inference',
          kind: 'new-spender',
          model: null,
          start: since(4),
          end: null,
          description:
            'an account with no Bedrock history starts spending ~$90/day (Claude Sonnet 4.5, global)',
        },
      };
    case 'midweek-spike': {
      const spikeStart = midweekSpikeStart(ctx.days);
      const spikeEnd = spikeStart.index + 2;
      const runId = `backfill-${random.hex(8)}`;
      const composition = cached(0.4, 0.08, 0.05);
      return {
        pattern,
        env: 'prod',
        description: `~$15/day of Claude Haiku 4.5 with a Tuesday–Thursday backfill at ~$140/day from ${spikeStart.iso}`,
        workloads: [
          workload(MODELS.haiku, 'ticket-classifier', steady(15, 0.05, 0.7), composition, baseTags),
          workload(
            MODELS.haiku,
            'ticket-classifier',
            (day, r) => (day.index >= spikeStart.index && day.index <= spikeEnd ? 125 * r.wobble(0.04) : 0),
            composition,
            { ...baseTags, 'agent-run-id': runId },
            { streaming: false },
          ),
        ],
        label: {
          family: 'midweek-spike',
          detector: 'runaway-inference',
          kind: 'runaway',
          model: null,
          start: spikeStart.iso,
          end: addDays(spikeStart.iso, 2),
          description: `a 3-day mid-week backfill (${runId}) at ~$140/day on an account at ~$15/day, over before the run; a weekly run must still catch it`,
        },
      };
    }
    case 'cache-regression': {
      const regressionFromEnd = 5;
      return {
        pattern,
        env: 'prod',
        description: `~$500/day of cached Claude Sonnet 4.5 plus Claude Opus 4.6 whose cache hit ratio falls from 0.90 to 0.20 on ${since(regressionFromEnd)}`,
        workloads: [
          workload(MODELS.sonnet, 'assistant-api', steady(500, 0.04, 0.85), cached(0.75, 0.03), baseTags),
          workload(
            MODELS.opus,
            'code-review-agent',
            steady(65, 0.04, 0.85),
            cached(0.9, 0.02, 0.03),
            baseTags,
            {
              compositionOn: (day) =>
                day.fromEnd <= regressionFromEnd ? cached(0.2, 0.02, 0.03) : cached(0.9, 0.02, 0.03),
            },
          ),
        ],
        label: {
          family: 'cache-regression',
          detector: 'cache-miss',
          kind: 'cache-regression',
          model: MODELS.opus.key,
          start: since(regressionFromEnd),
          end: null,
          description:
            'a proxy drops cache markers: Claude Opus 4.6 hit ratio 0.90 -> 0.20 at the same prompt volume (~40 M prompt tokens/day), prompt cost ~$65/day -> ~$200/day; account total rises only ~1.25x, below the runaway ratio',
        },
      };
    }
    case 'cache-absent':
      return {
        pattern,
        env: 'prod',
        description:
          'Claude Sonnet 4.5 document extraction, ~15 M uncached input tokens per weekday, never any cache reads',
        workloads: [
          workload(MODELS.sonnet, 'doc-extraction', steady(57, 0.05, 0.8), UNCACHED(0.03), baseTags),
        ],
        label: {
          family: 'cache-absent',
          detector: 'cache-miss',
          kind: 'cache-absent',
          model: MODELS.sonnet.key,
          start: firstDay,
          end: null,
          description:
            'Claude Sonnet 4.5 with ~100 M uncached input tokens a week (~$330/week of prompt) and zero cache reads or writes since the export began',
        },
      };
    case 'month-end-batch': {
      const batchUsd = random.between(90, 160);
      return {
        pattern,
        env: 'prod',
        description: `~$25/day of cached Claude Sonnet 4.5, plus a Llama 4 Maverick batch job at ~$${batchUsd.toFixed(0)}/day on the last 3 days of every month`,
        workloads: [
          workload(MODELS.sonnet, 'analytics-chat', steady(25, 0.06, 0.7), cached(0.6, 0.04), baseTags),
          workload(
            MODELS.llama,
            'monthly-reports',
            (day, r) => (day.dayOfMonth > day.daysInMonth - 3 ? batchUsd * r.wobble(0.05) : 0),
            UNCACHED(0.2),
            { ...baseTags, 'agent-run-id': 'month-end-close' },
            { variant: 'batch', streaming: false },
          ),
        ],
      };
    }
    case 'organic-growth': {
      const growth = random.pick([1.005, 1.008, 1.01]);
      const endUsd = random.between(40, 90);
      return {
        pattern,
        env: 'prod',
        description: `cached Claude Sonnet 4.5 growing ${((growth - 1) * 100).toFixed(1)}%/day to ~$${endUsd.toFixed(0)}/day`,
        workloads: [
          workload(
            MODELS.sonnet,
            'search-rag',
            (day, r) => endUsd * growth ** -day.fromEnd * r.wobble(0.05) * (isWeekend(day) ? 0.8 : 1),
            cached(0.55, 0.04),
            baseTags,
            { variant: 'global' },
          ),
        ],
      };
    }
    case 'step-up':
      return {
        pattern,
        env: 'prod',
        description:
          'large smooth Claude Opus 4.6 (global) account at ~$400/day with a 15% step 10 days before the end',
        workloads: [
          workload(
            MODELS.opus,
            'platform-assistant',
            (day, r) => 400 * (day.fromEnd <= 9 ? 1.15 : 1) * r.wobble(0.03),
            cached(0.8, 0.03),
            baseTags,
            { variant: 'global' },
          ),
        ],
      };
    case 'weekday-only':
      return {
        pattern,
        env: 'dev',
        description: 'dev account: ~$20/weekday of Claude Haiku 4.5, nothing at weekends',
        workloads: [
          workload(
            MODELS.haiku,
            'dev-sandbox',
            (day, r) => (isWeekend(day) ? 0 : 20 * r.wobble(0.08)),
            cached(0.3, 0.08),
            { ...baseTags, env: 'dev' },
          ),
        ],
      };
    case 'sporadic':
      return {
        pattern,
        env: 'sandbox',
        description: 'sandbox: Nova Pro on about a third of days, $0.50–$8, zero-spend days in between',
        workloads: [
          workload(
            MODELS.novaPro,
            'experiments',
            (_day, r) => (r.chance(0.3) ? r.between(0.5, 8) : 0),
            UNCACHED(0.1),
            { ...baseTags, env: 'sandbox' },
          ),
        ],
      };
    case 'agentcore-growth':
      return {
        pattern,
        env: 'prod',
        description: `~$12/day of Claude Haiku 4.5; Bedrock AgentCore runtime jumps from ~$6/day to ~$160/day from ${since(4)} (AgentCore is not model inference)`,
        workloads: [workload(MODELS.haiku, 'support-agent', steady(12, 0.05), cached(0.5, 0.06), baseTags)],
        extraRows: (identity, day, r) =>
          agentCoreRows(identity, day, r, day.fromEnd <= 4 ? 160 : 6, baseTags),
      };
    case 'correction-restatement':
      return {
        pattern,
        env: 'prod',
        description: `~$30/day of Claude Opus 4.6; a +$450 Bedrock correction on ${since(1)}, and $200 Bedrock credits on each month's first day`,
        workloads: [
          workload(MODELS.opus, 'claims-summarizer', steady(30, 0.05), cached(0.7, 0.02), baseTags),
        ],
        extraRows: (identity, day) => correctionRows(identity, day, baseTags),
      };
    case 'marketplace-cached':
      return {
        pattern,
        env: 'prod',
        description:
          'Claude Opus 4.6 bought through AWS Marketplace (Amazon Bedrock Edition), ~$60/day, hit ratio ~0.8',
        workloads: [
          workload(
            MODELS.marketplaceOpus,
            'legal-assistant',
            steady(45, 0.05, 0.6),
            cached(0.8, 0.02),
            baseTags,
            {
              variant: 'global',
            },
          ),
          workload(
            MODELS.marketplaceOpus,
            'legal-assistant',
            steady(15, 0.05, 0.6),
            cached(0.8, 0.02),
            baseTags,
          ),
        ],
      };
    case 'nova-cached':
      return {
        pattern,
        env: 'prod',
        description:
          'Amazon Nova Pro catalog enrichment, ~$40/day, cache hit ratio ~0.5 (Nova bills no cache writes)',
        workloads: [
          workload(MODELS.novaPro, 'catalog-enrichment', steady(40, 0.06, 0.9), cached(0.5, 0.05), baseTags, {
            region: REGIONS['us-west-2'],
          }),
        ],
      };
    case 'agent-platform':
      return {
        pattern,
        env: 'prod',
        description:
          'agent platform on Claude Opus 4.6 (global), ~$150/day split over a few agent runs a day',
        workloads: [
          workload(MODELS.opus, 'agent-platform', steady(150, 0.06, 0.7), cached(0.75, 0.03), baseTags, {
            variant: 'global',
            tagSplits: (day, r) => {
              const runs = 3;
              return Array.from({ length: runs }, (_, i) => ({
                tags: {
                  ...baseTags,
                  app: 'agent-platform',
                  'agent-run-id': `run-${hash32(team, day.iso, i).toString(16)}`,
                },
                share: i === 0 ? 0.5 : 0.25 * r.wobble(0.01),
              }));
            },
          }),
        ],
      };
    case 'steady-cached': {
      const model = random.pick([MODELS.opus, MODELS.sonnet, MODELS.sonnet, MODELS.haiku]);
      const usd = Math.exp(random.between(Math.log(5), Math.log(200)));
      const region: Region = random.pick([
        REGIONS['us-east-1'],
        REGIONS['us-east-1'],
        REGIONS['eu-central-1'],
      ]);
      return {
        pattern,
        env: 'prod',
        description: `steady ${model.displayName} at ~$${usd.toFixed(0)}/day with prompt caching`,
        workloads: [
          workload(
            model,
            `app-${random.hex(4)}`,
            steady(usd, random.between(0.04, 0.1), random.between(0.5, 1)),
            cached(random.between(0.5, 0.85), random.between(0.02, 0.08)),
            baseTags,
            { region, variant: random.chance(0.4) ? 'global' : 'regional', streaming: random.chance(0.7) },
          ),
        ],
      };
    }
    case 'steady-small': {
      const model = random.pick([MODELS.haiku, MODELS.novaPro]);
      const usd = random.between(1, 6);
      return {
        pattern,
        env: random.pick(['prod', 'staging']),
        description: `small uncached ${model.displayName} at ~$${usd.toFixed(2)}/day (far below the cache-absent volume)`,
        workloads: [workload(model, `bot-${random.hex(4)}`, steady(usd, 0.1, 0.6), UNCACHED(0.05), baseTags)],
      };
    }
    case 'compute-only':
      return {
        pattern,
        env: random.pick(['prod', 'staging', 'dev']),
        description: 'no Bedrock: EC2, S3, Lambda and friends only',
        workloads: [],
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Everyday services, AgentCore, corrections, credits and tax

function everydayResources(
  pattern: AccountPattern,
  accountId: string,
  team: string,
  env: string,
  random: Random,
): EverydayResource[] {
  const kinds: ServiceKindName[] = ['ec2Instance', 'ebs', 's3', 'cloudwatch', 'dataTransfer'];
  const optional: ServiceKindName[] = [
    'ec2Instance',
    'lambda',
    's3Requests',
    'fargate',
    'dynamodb',
    'ec2Gpu',
    'sagemaker',
  ];
  const extras = random.int(1, 4);
  for (let i = 0; i < extras; i++) kinds.push(random.pick(optional));
  const region = pattern === 'nova-cached' ? REGIONS['us-west-2'] : REGIONS['us-east-1'];
  const growth = pattern === 'organic-growth' ? 1.004 : 1;
  return kinds.map((name, i) => {
    const kind = SERVICE_KINDS[name];
    const id = random.hex(17);
    return {
      kind,
      region,
      resourceid: kind.resource(accountId, region, id),
      quantity: random.between(kind.quantity[0], kind.quantity[1]),
      weekendFactor: env === 'prod' ? random.between(0.7, 1) : random.between(0.1, 0.5),
      dailyGrowth: growth,
      tags: {
        team,
        env,
        'cost-center': `cc-${1000 + (hash32(team) % 9000)}`,
        Name: `${team}-${name.toLowerCase()}-${i + 1}`,
      },
    };
  });
}

function baseRow(identity: AccountIdentity, startMs: number, endMs: number): Omit<FocusRow, 'servicename'> {
  return {
    billingaccountid: identity.payerAccountId,
    chargeperiodstart: new Date(startMs),
    chargeperiodend: new Date(endMs),
    subaccountid: identity.accountId,
    subaccountname: identity.accountName,
    servicecategory: 'AI and Machine Learning',
    x_servicecode: 'AmazonBedrock',
    x_operation: null,
    skumeter: null,
    chargecategory: 'Usage',
    chargeclass: null,
    chargedescription: null,
    billedcost: 0,
    effectivecost: 0,
    listcost: 0,
    consumedquantity: null,
    consumedunit: null,
    pricingunit: null,
    pricingquantity: null,
    regionid: 'us-east-1',
    resourceid: null,
    tags: {},
    providername: 'AWS',
    publishername: 'Amazon Web Services, Inc.',
  };
}

function agentCoreRows(
  identity: AccountIdentity,
  day: Day,
  random: Random,
  dailyUsd: number,
  tags: Record<string, string>,
): FocusRow[] {
  const runtime = `arn:aws:bedrock-agentcore:us-east-1:${identity.accountId}:runtime/support_agent-${hash32(identity.accountId).toString(36)}`;
  const parts = [
    { usage: 'USE1-AgentCore:Runtime-vCPU-Hours', unit: 'vCPU-Hours', price: 0.0895, share: 0.6 },
    { usage: 'USE1-AgentCore:Runtime-Memory-GB-Hours', unit: 'GB-Hours', price: 0.00945, share: 0.3 },
    { usage: 'USE1-AgentCore:Gateway-ToolInvocations', unit: 'Invocations', price: 0.000005, share: 0.1 },
  ];
  return parts.map((part) => {
    const cost = dailyUsd * part.share * random.wobble(0.05);
    const quantity = cost / part.price;
    return {
      ...baseRow(identity, day.startMs, day.startMs + DAY_MS),
      servicename: 'Amazon Bedrock AgentCore',
      x_servicecode: 'AmazonBedrockAgentCore',
      x_operation: 'InvokeAgentRuntime',
      skumeter: part.usage,
      chargedescription: `Amazon Bedrock AgentCore ${part.unit} in US East (N. Virginia)`,
      billedcost: cost,
      effectivecost: cost,
      listcost: cost,
      consumedquantity: quantity,
      consumedunit: part.unit,
      pricingunit: part.unit,
      pricingquantity: quantity,
      resourceid: runtime,
      tags: { ...tags, app: 'support-agent' },
    };
  });
}

/** A restatement (+$450, two days before the end) and an older reversal, both chargeclass Correction. */
function correctionRows(identity: AccountIdentity, day: Day, tags: Record<string, string>): FocusRow[] {
  const out: FocusRow[] = [];
  const correction = (cost: number, note: string): FocusRow => {
    const tokens = Math.abs(cost) / 5.5;
    return {
      ...baseRow(identity, day.startMs, day.startMs + DAY_MS),
      servicename: 'Amazon Bedrock',
      x_operation: 'InvokeModelInference',
      skumeter: 'USE1-Claude4.6Opus-input-tokens',
      chargeclass: 'Correction',
      chargedescription: note,
      billedcost: cost,
      effectivecost: cost,
      listcost: cost,
      consumedquantity: Math.sign(cost) * tokens * 1000,
      consumedunit: '1K tokens',
      pricingunit: '1K tokens',
      pricingquantity: Math.sign(cost) * tokens * 1000,
      resourceid: `arn:aws:bedrock:us-east-1:${identity.accountId}:inference-profile/us.anthropic.claude-opus-4-6-v1`,
      tags: { ...tags, app: 'claims-summarizer' },
    };
  };
  if (day.fromEnd === 1)
    out.push(correction(450, 'Correction: restated Claude Opus 4.6 input tokens for a prior day'));
  if (day.fromEnd === 20)
    out.push(correction(-35, 'Correction: reversal of duplicated Claude Opus 4.6 usage'));
  if (day.dayOfMonth === 1) {
    const monthEnd = nextMonthStartMs(day.startMs);
    out.push({
      ...baseRow(identity, day.startMs, monthEnd),
      servicename: 'Amazon Bedrock',
      x_operation: 'InvokeModelInference',
      skumeter: 'USE1-Claude4.6Opus-input-tokens',
      chargecategory: 'Credit',
      chargedescription: 'AWS Generative AI Accelerator credits',
      billedcost: -200,
      effectivecost: -200,
      listcost: 0,
      tags: {},
    });
  }
  return out;
}

/**
 * Tax on each month that closed inside the range (the invoice exists), per service group,
 * dated over the whole billing period as AWS does; and a few promotional credits.
 */
function monthlyTaxAndCredits(
  identity: AccountIdentity,
  accountRows: FocusRow[],
  days: Day[],
  random: Random,
): FocusRow[] {
  const lastDay = days[days.length - 1];
  if (!lastDay) return [];
  const usageByMonthService = new Map<
    string,
    { monthStart: number; service: string; code: string; cost: number }
  >();
  for (const row of accountRows) {
    if (row.chargecategory !== 'Usage' || row.chargeclass !== null || !row.billedcost) continue;
    const start = row.chargeperiodstart.getTime();
    const monthStart = Date.UTC(
      row.chargeperiodstart.getUTCFullYear(),
      row.chargeperiodstart.getUTCMonth(),
      1,
    );
    if (nextMonthStartMs(start) > lastDay.startMs + DAY_MS) continue;
    const key = `${monthStart}|${row.x_servicecode}`;
    const entry = usageByMonthService.get(key) ?? {
      monthStart,
      service: row.servicename,
      code: row.x_servicecode,
      cost: 0,
    };
    entry.cost += row.billedcost;
    usageByMonthService.set(key, entry);
  }
  const out: FocusRow[] = [];
  const activateCredits = random.chance(0.15);
  for (const entry of usageByMonthService.values()) {
    const periodEnd = nextMonthStartMs(entry.monthStart);
    const tax = Math.round(entry.cost * 0.08 * 100) / 100;
    if (tax > 0) {
      out.push({
        ...baseRow(identity, entry.monthStart, periodEnd),
        servicename: entry.service,
        servicecategory: 'Other',
        x_servicecode: entry.code,
        chargecategory: 'Tax',
        chargedescription: 'Tax for product code ' + entry.code,
        billedcost: tax,
        effectivecost: tax,
        listcost: tax,
        regionid: null,
      });
    }
    if (activateCredits && entry.code === 'AmazonEC2') {
      const credit = -Math.min(100, Math.round(entry.cost * 50) / 100);
      out.push({
        ...baseRow(identity, entry.monthStart, periodEnd),
        servicename: entry.service,
        servicecategory: 'Compute',
        x_servicecode: entry.code,
        chargecategory: 'Credit',
        chargedescription: 'AWS Activate Credits',
        billedcost: credit,
        effectivecost: credit,
        listcost: 0,
        regionid: null,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Owners mapping

function ownersFor(accounts: AccountProfile[], random: Random): OwnerRecord[] {
  // The new spender is typically an account nobody has mapped yet; two more are left out too.
  const unmapped = new Set<string>();
  const newSpender = accounts.find((a) => a.pattern === 'new-spender');
  if (newSpender) unmapped.add(newSpender.account_id);
  const others = accounts.filter((a) => !a.incident && a.pattern !== 'month-end-batch');
  for (const account of random.shuffle([...others])) {
    if (unmapped.size >= UNMAPPED_ACCOUNTS) break;
    unmapped.add(account.account_id);
  }
  let sharedCcLeft = SHARED_CC_ACCOUNTS;
  const owners: OwnerRecord[] = [];
  for (const account of accounts) {
    if (unmapped.has(account.account_id)) continue;
    const shared = account.env === 'prod' && sharedCcLeft > 0;
    if (shared) sharedCcLeft--;
    owners.push({
      account_id: account.account_id,
      owner_email: `${random.pick(FIRST_NAMES)}.${random.pick(LAST_NAMES)}@example.com`,
      account_name: account.account_name,
      team: account.team,
      cc: shared ? SHARED_CC : random.chance(0.3) ? `${account.team}-leads@example.com` : '',
      environment: account.env,
    });
  }
  return owners;
}

/** owners.csv text (docs/emails.md columns). */
export function ownersCsv(owners: OwnerRecord[]): string {
  const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const lines = ['account_id,owner_email,account_name,team,cc,environment'];
  for (const o of owners) {
    lines.push(
      [o.account_id, o.owner_email, o.account_name, o.team, o.cc, o.environment].map(quote).join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
