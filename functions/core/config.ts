/**
 * One configuration schema (docs/configuration.md) for the config file, CLI flags and Lambda environment.
 * Unknown keys and bad values are rejected with the path of the offending key.
 */
import { z } from 'zod';
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

export const ENGINES = ['duckdb', 'athena', 'trino'] as const;

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
      detect: z.string().min(1).default('cron(0 6 ? * MON *)'),
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
    })
    .prefault({}),
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

/** Validates a parsed config object; `source` names the file or variable in messages. */
export function parseConfig(input: unknown, source = 'configuration'): SentinelConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `  ${path}: ${issue.message}`;
    });
    throw new ConfigError(`${source} is not valid:\n${problems.join('\n')}`, {
      cause: result.error,
      hint: 'correct the keys named above (docs/configuration.md lists every key and its range)',
    });
  }
  const config = result.data;
  if (config.severity.high_usd > config.severity.critical_usd) {
    throw new ConfigError(
      `${source} is not valid:\n  severity.high_usd: must not exceed severity.critical_usd`,
    );
  }
  const cache = config.detectors['cache-miss'];
  if (cache.short_days >= cache.recent_days) {
    throw new ConfigError(
      `${source} is not valid:\n  detectors.cache-miss.short_days: must be less than detectors.cache-miss.recent_days (${cache.recent_days}); 0 turns the short rule off`,
    );
  }
  return config;
}

export const defaultConfig = (): SentinelConfig => parseConfig({});
