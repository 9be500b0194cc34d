/**
 * One configuration schema (docs/configuration.md) for the config file, CLI flags and Lambda environment.
 * Unknown keys and bad values are rejected with the path of the offending key.
 */
import { z } from 'zod';
import { ENGINES } from './engines.js';
import { ConfigError } from './errors.js';

const posInt = z.number().int().min(1);
const nonNegInt = z.number().int().min(0);
const usd = z.number().min(0);
const ratio = z.number().min(0).max(1);

const runawaySchema = z.strictObject({
  k: z.number().gt(0).default(2),
  recent_days: posInt.default(3),
  guard_days: nonNegInt.default(4),
  baseline_days: posInt.default(23),
  min_baseline_daily_usd: z.number().gt(0).default(1),
  min_daily_increase_usd: usd.default(10),
  min_spike_ratio: z.number().min(1).default(1.75),
  recurring_match: ratio.default(0.67),
  new_spender_daily_usd: usd.default(50),
  min_baseline_days: posInt.default(14),
});

const cacheMissSchema = z.strictObject({
  recent_days: posInt.default(7),
  baseline_days: posInt.default(28),
  min_weekly_prompt_usd: usd.default(100),
  min_hit_ratio_drop: ratio.default(0.2),
  cache_absent_max_hit_ratio: ratio.default(0.05),
  cache_absent_min_tokens: z.number().min(0).default(50_000_000),
  cache_absent_expected_hit_ratio: ratio.default(0.5),
  min_avoidable_usd: usd.default(50),
  // The short rule (a sustained drop seen within days): every one of the last `short_days` days
  // below the baseline hit ratio by `min_daily_hit_ratio_drop`, and not climbing back by more than
  // `max_hit_ratio_recovery` across them (a cache warming up). `short_days: 0` turns it off.
  short_days: nonNegInt.default(2),
  min_daily_hit_ratio_drop: ratio.default(0.15),
  max_hit_ratio_recovery: ratio.default(0.05),
});

/** Tag keys are inlined into SQL as string literals: keep them to characters AWS allows in tag keys. */
const tagKey = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N}\s_.:/=+\-@]+$/u, 'tag keys may hold letters, digits, spaces and _ . : / = + - @');

const email = z.email();

/** Budget rules (docs/detection.md "Budget"): 2× last month, a $/day cap, a per-workflow token cap. */
const budgetSchema = z.strictObject({
  month_over_month_ratio: z.number().min(1).default(2),
  min_last_month_usd: usd.default(50),
  min_increase_usd: usd.default(300),
  daily_cap_usd: usd.default(100),
  capped_environments: z.array(z.string().min(1).max(64)).default(['dev', 'test', 'sandbox']),
  // A forecast whose run rate the same 7 days of last month already had is a monthly pattern (0: off).
  recurring_match: ratio.default(0.67),
  // null: the workflow cap is off (docs/configuration.md).
  max_uncached_input_tokens_per_day: z.number().min(0).nullable().default(null),
});

/** The hourly watch over Bedrock's usage metrics (docs/watch.md). */
const watchSchema = z.strictObject({
  enabled: z.boolean().default(true),
  source: z.enum(['file', 'cloudwatch']).default('file'),
  metrics: z.string().min(1).default('./metrics/hourly.jsonl'),
  // The rule (docs/watch.md "The rule"); defaults chosen by the hourly quality benchmark (bench/QUALITY.md).
  baseline_days: posInt.min(14).max(28).default(14),
  recent_hours: posInt.max(6).default(2),
  min_hourly_increase_usd: usd.default(10),
  min_increase_ratio: z.number().min(0).default(2.5),
  min_slot_ratio: z.number().min(1).default(2),
  min_baseline_hourly_usd: z.number().gt(0).default(0.05),
  min_baseline_hours: posInt.default(72),
  new_spender_hourly_usd: usd.default(20),
  context_growth_ratio: z.number().gt(1).default(2),
  context_growth_hours: posInt.max(48).default(6),
  context_max_invocation_ratio: z.number().gt(1).default(2),
  context_min_hourly_usd: usd.default(1),
  /** Regions read besides those the bill shows Bedrock spend in. */
  regions: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'))
    .default([]),
});

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is exactly 12 digits (quote it in YAML)');
const KILL_SWITCH_DETECTORS = ['runaway-inference', 'runaway-watch', 'budget', 'cache-miss'] as const;

/** The kill switch (docs/kill-switch.md): off by default; dry-run says what enforce would do. */
const killSwitchSchema = z.strictObject({
  mode: z.enum(['off', 'dry-run', 'enforce']).default('off'),
  transport: z.enum(['local', 'organizations']).default('local'),
  accounts: z.array(accountId).default([]),
  organizational_units: z
    .array(
      z
        .string()
        .regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, 'an organizational unit id such as ou-ab12-cd34ef56'),
    )
    .default([]),
  exclude_accounts: z.array(accountId).default([]),
  min_severity: z.enum(['medium', 'high', 'critical']).default('critical'),
  detectors: z.array(z.enum(KILL_SWITCH_DETECTORS)).default(['runaway-inference', 'runaway-watch', 'budget']),
  break_glass_role: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@*/-]+$/,
      'an IAM role ARN (pattern), such as arn:aws:iam::*:role/BreakGlass',
    )
    .nullable()
    .default(null),
  max_engaged: posInt.default(3),
});

export { ENGINES };

export const configSchema = z.strictObject({
  engine: z
    .enum(ENGINES, {
      error: (issue) => `engine '${String(issue.input)}' is not one of ${ENGINES.join(', ')}`,
    })
    .default('duckdb'),
  focus: z.string().min(1).default('./export'),
  cost_column: z.enum(['billedcost', 'effectivecost']).default('billedcost'),
  export_lag_days: nonNegInt.default(1),
  max_catch_up_days: posInt.default(14),
  schedule: z
    .strictObject({
      // Daily: an email goes out only when something changed, so a daily run costs cents, not noise.
      detect: z.string().min(1).default('cron(0 6 * * ? *)'),
      follow_up: z.string().min(1).default('rate(1 hour)'),
    })
    .prefault({}),
  out: z.string().min(1).default('./sentinel-out'),
  owners: z.string().min(1).nullable().default(null),
  tag_keys: z.array(tagKey).max(10).default(['agent-run-id']),
  athena: z
    .strictObject({
      workgroup: z.string().min(1).default('sentinel'),
      database: z.string().min(1).default('focus'),
      output_location: z.string().min(1).nullable().default(null),
      sentinel_database: z.string().min(1).default('sentinel'),
    })
    .prefault({}),
  trino: z
    .strictObject({
      server: z.url().nullable().default(null),
      catalog: z.string().min(1).default('hive'),
      schema: z.string().min(1).default('focus'),
      user: z.string().min(1).default('sentinel'),
      sentinel_schema: z.string().min(1).default('sentinel'),
    })
    .prefault({}),
  events: z
    .strictObject({
      transport: z.enum(['jsonl', 'eventbridge']).default('jsonl'),
      bus_name: z.string().min(1).default('default'),
    })
    .prefault({}),
  notify: z
    .strictObject({
      transport: z.enum(['outbox', 'ses']).default('outbox'),
      from: email.default('sentinel@example.com'),
      finops: email.default('finops@example.com'),
      escalation: z.array(email).min(1).default(['finops@example.com']),
      configuration_set: z.string().min(1).nullable().default(null),
      ack_base_url: z.url().nullable().default(null),
      follow_up_hours: posInt.default(48),
      link_ttl_days: posInt.default(14),
      // Where answers by email go; null: notify.finops (never the sending address).
      reply_to: email.nullable().default(null),
      // Pilot: every message goes to FinOps with a banner naming who would have received it.
      pilot: z.boolean().default(false),
    })
    .prefault({}),
  cases: z
    .strictObject({
      auto_resolve_days: posInt.default(3),
      suppress_days: posInt.default(30),
      resuppress_growth: z.number().gt(1).default(2),
      notify_max_age_days: posInt.default(7),
    })
    .prefault({}),
  detectors: z
    .strictObject({
      'runaway-inference': runawaySchema.prefault({}),
      'cache-miss': cacheMissSchema.prefault({}),
      budget: budgetSchema.prefault({}),
    })
    .prefault({}),
  watch: watchSchema.prefault({}),
  kill_switch: killSwitchSchema.prefault({}),
  severity: z
    .strictObject({
      critical_usd: usd.default(10_000),
      high_usd: usd.default(1_000),
    })
    .prefault({}),
});

export type SentinelConfig = z.infer<typeof configSchema>;
export type RunawayConfig = SentinelConfig['detectors']['runaway-inference'];
export type CacheMissConfig = SentinelConfig['detectors']['cache-miss'];
export type BudgetConfig = SentinelConfig['detectors']['budget'];
export type WatchConfig = SentinelConfig['watch'];
export type KillSwitchConfig = SentinelConfig['kill_switch'];

/** Validates a parsed config object; `source` names the file or variable in messages. */
/** The keys a config mapping may hold at a path, for a message that needs no other document. */
function keysAt(path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's own definitions
  let schema: any = configSchema;
  for (const part of path) {
    while (schema?._def?.innerType) schema = schema._def.innerType;
    schema = schema?.shape?.[part as string];
  }
  while (schema?._def?.innerType) schema = schema._def.innerType;
  return schema?.shape ? Object.keys(schema.shape) : [];
}

function problemOf(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(issue.path);
    const unknown = issue.keys.map((k) => `'${k}'`).join(', ');
    return `  ${path}: unknown key ${unknown}${known.length > 0 ? `; the keys here are ${known.join(', ')}` : ''}`;
  }
  return `  ${path}: ${issue.message}`;
}

/** Validates a parsed config object; `source` names the file or variable in messages. */
export function parseConfig(input: unknown, source = 'configuration'): SentinelConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ConfigError(`${source} is not valid:\n${result.error.issues.map(problemOf).join('\n')}`, {
      cause: result.error,
      hint: 'correct the keys named above; a key left out takes its default',
    });
  }
  const config = result.data;
  const invalid = (path: string, message: string) =>
    new ConfigError(`${source} is not valid:\n  ${path}: ${message}`);
  if (config.severity.high_usd > config.severity.critical_usd) {
    throw invalid('severity.high_usd', 'must not exceed severity.critical_usd');
  }
  const cache = config.detectors['cache-miss'];
  if (cache.short_days >= cache.recent_days) {
    throw invalid(
      'detectors.cache-miss.short_days',
      `must be less than detectors.cache-miss.recent_days (${cache.recent_days}); 0 turns the short rule off`,
    );
  }
  // A kill switch that could stop the wrong thing is refused at start (docs/kill-switch.md).
  const ks = config.kill_switch;
  if (ks.mode === 'enforce' && ks.accounts.length === 0 && ks.organizational_units.length === 0) {
    throw invalid(
      'kill_switch.accounts',
      'mode enforce needs at least one eligible account (kill_switch.accounts) or organizational unit (kill_switch.organizational_units); use mode dry-run to see what it would do',
    );
  }
  if (ks.detectors.includes('cache-miss')) {
    throw invalid(
      'kill_switch.detectors',
      'cache-miss never engages the kill switch (a cache miss costs money but is not a loop); allowed: runaway-inference, runaway-watch, budget',
    );
  }
  const listedAndExcluded = ks.accounts.filter((account) => ks.exclude_accounts.includes(account));
  if (listedAndExcluded.length > 0) {
    throw invalid(
      'kill_switch.exclude_accounts',
      `${listedAndExcluded.join(', ')} ${listedAndExcluded.length === 1 ? 'is' : 'are'} also in kill_switch.accounts; keep each account in one of the two lists`,
    );
  }
  // A pattern that matches every role would leave only IAM users and API keys stopped.
  const roleName = ks.break_glass_role?.slice(ks.break_glass_role.indexOf(':role/') + ':role/'.length);
  if (roleName !== undefined && /^[*?/]*$/.test(roleName)) {
    throw invalid(
      'kill_switch.break_glass_role',
      `'${ks.break_glass_role}' matches every role, so the stop would stop almost nothing; name the break-glass role, such as arn:aws:iam::*:role/BreakGlass`,
    );
  }
  if (ks.mode !== 'off' && ks.transport === 'local' && ks.organizational_units.length > 0) {
    throw invalid(
      'kill_switch.organizational_units',
      'the local transport cannot read which accounts are under an organizational unit; use transport organizations, or list the accounts in kill_switch.accounts',
    );
  }
  return config;
}

export const defaultConfig = (): SentinelConfig => parseConfig({});
