/**
 * Ports: the only way core logic touches the outside world. One adapter per backend
 * (DuckDB | Athena, local dir | S3, outbox | SES, jsonl | EventBridge).
 */

import type { EventDetailType } from './events.js';
import type { OrganizationFacts } from './kill-switch/decide.js';
import type { IsoDate } from './types.js';

export type Row = Record<string, unknown>;

export interface QueryStats {
  statements: number;
  bytesScanned: number;
  queryIds: string[];
  rows: number;
}

/** The engines `engine` names (docs/cli.md); Trino speaks the Athena dialect. */
export type EngineName = 'duckdb' | 'athena' | 'trino';

export interface QueryEngine {
  readonly kind: 'query-engine';
  readonly name: EngineName;
  readonly dialect: 'duckdb' | 'athena';
  query(sql: string, options?: { signal?: AbortSignal; label?: string }): Promise<Row[]>;
  /** Run a statement for its side effect (DuckDB: materialize staging tables). */
  execute(sql: string, options?: { signal?: AbortSignal; label?: string }): Promise<void>;
  stats(): QueryStats;
  close(): Promise<void>;
}

export interface StoredBlob {
  body: string;
  /** Opaque version token for if-match writes (S3 ETag; local: content hash). */
  version: string;
}

export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string } | undefined;

export interface BlobStore {
  readonly kind: 'store';
  get(key: string): Promise<StoredBlob | undefined>;
  /** Throws ConflictError when the precondition fails. Returns the new version. */
  put(key: string, body: string, condition?: PutCondition): Promise<string>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Deletes a key; deleting a missing key is not an error. With `ifMatch`, deletes only the version
   * read (the lease release): a different current version throws ConflictError.
   */
  delete(key: string, condition?: { ifMatch: string }): Promise<void>;
  /** Human-readable location (for messages): a directory or s3:// URI. */
  describe(key?: string): string;
}

export interface OutgoingMessage {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  html: string;
  text: string;
  /** Shown in the local outbox index; not sent as headers. */
  caseKeys: string[];
  kind: string;
  /** Where an answer by email goes (`notify.reply_to`, else FinOps), never the sending address. */
  replyTo: string[];
  /**
   * Threading (docs/emails.md "Threading"): the Message-ID header values (`<…>`) of the earlier
   * messages about the same cases, oldest first, and the newest of them, so a reminder and an
   * escalation file under their alert.
   */
  inReplyTo: string | null;
  references: string[];
}

export interface SendResult {
  providerMessageId: string;
  /** The Message-ID header the message went out with (`<…>`), for later messages to reply to; null when unknown. */
  messageIdHeader?: string | null;
}

export interface Mailer {
  readonly kind: 'mailer';
  /** Throws PermanentRejectionError (address refused) or UpstreamError (retry later). */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** After a batch of sends: bring any summary the backend keeps up to date (the local outbox index). */
  flush?(): Promise<void>;
}

export interface BusEvent {
  id: string;
  detailType: EventDetailType;
  time: string;
  detail: unknown;
}

export interface EventBus {
  readonly kind: 'events';
  publish(events: BusEvent[]): Promise<void>;
}

export interface Owner {
  accountId: string;
  ownerEmail: string;
  accountName: string | null;
  team: string | null;
  cc: string[];
  /** false when the account is not in the mapping and FinOps stands in. */
  routed: boolean;
}

export interface OwnerDirectory {
  readonly kind: 'owners';
  lookup(accountId: string): Owner;
  /** Each mapped account's `environment` and own `daily_cap_usd` (the budget's daily cap). */
  budgets(): { accountId: string; environment: string | null; dailyCapUsd: number | null }[];
  /** A mapping was given (an owners file); false: none, so a case keeps the owner it was opened with. */
  readonly configured: boolean;
}

/** The answer-link signing key (Secrets Manager, SENTINEL_SIGNING_KEY, or the local key file). */
export interface SigningKey {
  readonly kind: 'signing-key';
  /** The key bytes; read once and cached by the adapter. Throws ConfigError when none can be had. */
  load(): Promise<Buffer>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string | Date): Clock {
  const at = new Date(iso);
  return { now: () => new Date(at) };
}

export function utcDate(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

/**
 * One hour of Bedrock's usage metrics for one account and model id (docs/watch.md "Input"). A metric the
 * account did not publish for that hour (or that was not asked for) is null, never 0. An hour with no row
 * for an account × model is an idle hour (CloudWatch publishes nothing for an hour without invocations);
 * a row whose every metric is null is an hour the source could not read: unknown, not quiet.
 */
export interface HourlyUsage {
  account_id: string;
  /** CloudWatch's `ModelId` dimension: a model id, a cross-region profile id, or an application profile id. */
  model_id: string;
  /** The hour's start, UTC, `YYYY-MM-DDTHH:00:00Z`. */
  hour: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  invocations: number | null;
}

/** The metric columns of an HourlyUsage row. */
export type HourlyMetric =
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'invocations';

export const HOURLY_METRICS: readonly HourlyMetric[] = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'invocations',
];

export interface HourlyRange {
  /** First hour (inclusive) and end hour (exclusive), whole UTC hours in ISO form. */
  from: string;
  to: string;
  /** Accounts to read (null: every account the source can see). */
  accounts?: string[] | null;
  /**
   * Metrics to read (null: all). CloudWatch bills per metric requested: the watch's first stage asks
   * for input and output tokens only, and the rest only for the accounts whose cost rose
   * (docs/watch.md "Regions and cost"). Metrics not asked for come back null.
   */
  metrics?: readonly HourlyMetric[] | null;
  signal?: AbortSignal;
}

/** Bedrock's hourly usage metrics: CloudWatch (across linked accounts) or a JSON-lines/CSV file. */
export interface MetricsSource {
  readonly kind: 'metrics';
  hourly(range: HourlyRange): Promise<HourlyUsage[]>;
  /** What was read, for the run record and the summary ("CloudWatch, 3 linked accounts", a file path). */
  describe(): string;
  /** Counters for the run record: metric data queries requested (CloudWatch bills per metric). */
  stats?(): { requests: number; metrics_requested: number };
}

/** An IAM policy document (the kill switch's SCP). */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

/** One account the kill switch holds stopped (docs/kill-switch.md). */
export interface EngagedAccount {
  account_id: string;
  policy_id: string;
  case_key: string;
  engaged_at: string;
  /** The document as attached. */
  policy: PolicyDocument;
}

/** The per-account Bedrock stop: AWS Organizations SCPs, or a local file (docs/kill-switch.md). */
export interface KillSwitch {
  readonly kind: 'kill-switch';
  /** Creates or reuses the account's stop policy and attaches it; idempotent. */
  engage(input: {
    account_id: string;
    case_key: string;
    reason: string;
    policy: PolicyDocument;
  }): Promise<{ policy_id: string; engaged_at: string }>;
  /** Detaches and deletes the account's stop policy; releasing an account not engaged is not an error. */
  release(input: { account_id: string }): Promise<void>;
  /** Every account with our stop policy attached. */
  engaged(): Promise<EngagedAccount[]>;
  /**
   * What the decision needs of the organization (docs/kill-switch.md "When it engages"): its management
   * account, the accounts under each configured unit and the deployment's own account, as far as known.
   */
  organization(organizationalUnits: readonly string[]): Promise<OrganizationFacts>;
  describe(): string;
}

/**
 * Every port by its kind. A dry run replaces each port that acts on the world by its kind
 * (functions/core/dry-run.ts, docs/architecture.md "Dry run"): a new kind must say there what its dry
 * stand-in is, or the code does not compile.
 */
export interface PortsByKind {
  'query-engine': QueryEngine;
  store: BlobStore;
  mailer: Mailer;
  events: EventBus;
  owners: OwnerDirectory;
  'signing-key': SigningKey;
  metrics: MetricsSource;
  'kill-switch': KillSwitch;
}
export type PortKind = keyof PortsByKind;
