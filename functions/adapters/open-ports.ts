/**
 * The composition root (docs/architecture.md "Doors"): the only place that builds adapters from config. Each
 * port's adapter is named by config, never guessed from another (docs/cli.md): `out` (local dir |
 * s3://), `notify.transport` (outbox | ses), `events.transport` (jsonl | eventbridge), `engine`
 * (duckdb | athena | trino). Backends are loaded by dynamic import, so a Lambda bundle carries no
 * DuckDB binding and no local-only adapter. CLI commands and Lambda handlers call these openers,
 * then one command of functions/core/commands/.
 */
import { join } from 'node:path';
import { engineDetection } from '../core/commands/detect.js';
import type { KillSwitchCommandPorts } from '../core/commands/kill-switch.js';
import type { RunPorts } from '../core/commands/run.js';
import type { WatchPorts } from '../core/commands/watch.js';
import type { SentinelConfig } from '../core/config.js';
import type { NotifyPorts, ReleaseActionFor } from '../core/deliver/ports.js';
import type { EngineOpener, OpenedEngine } from '../core/detect/contract.js';
import { checkFocusColumns } from '../core/detect/focus-columns.js';
import { PRICES_KEY, type PriceTable } from '../core/detect/prices.js';
import { athenaFocusTable, focusTableName } from '../core/detect/statement-plan.js';
import { BadInputError, ConfigError } from '../core/errors.js';
import { accountsListedWrongly } from '../core/kill-switch/decide.js';
import type { Logger } from '../core/log.js';
import { buildAnswerActions, buildReleaseAction } from '../core/notify/answer-links.js';
import type {
  BlobStore,
  Clock,
  EventBus,
  KillSwitch,
  Mailer,
  MetricsSource,
  OwnerDirectory,
  QueryEngine,
  SigningKey,
} from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import { refusedConfigRecord, runEvents } from '../core/runs.js';
import type { RunCommand } from '../core/types.js';
import { type SentinelEnvironment, sentinelEnvironment } from './environment.js';

export interface OpenOptions {
  clock: Clock;
  log: Logger;
  /** What the door read from its environment; default: this process's (adapters/environment.ts). */
  environment?: SentinelEnvironment;
  /** Progress lines (a terminal); elsewhere left out. */
  progress?: (step: string) => void;
}

const isS3 = (uri: string) => /^s3:\/\//i.test(uri);
const environmentOf = (options: { environment?: SentinelEnvironment }): SentinelEnvironment =>
  options.environment ?? sentinelEnvironment(process.env);

/** One SDK client per service per cold start, created on first use (handlers load no SDK they do not use). */
const clients = new Map<string, Promise<unknown>>();
function client<T>(name: string, make: () => Promise<T>): Promise<T> {
  let found = clients.get(name) as Promise<T> | undefined;
  if (!found) {
    found = make();
    clients.set(name, found);
  }
  return found;
}

/*
 * Region, credentials and endpoint come from the SDK's own configuration (the Lambda runtime's
 * environment and role; AWS_REGION, AWS_ENDPOINT_URL and the credential chain elsewhere). The SDK's
 * own retries are on (throttling, 5xx, a reset connection after a Lambda thaw), except for SES,
 * whose adapter retries itself because only it tells a daily quota from throttling
 * (docs/decisions/012-aws-clients.md).
 */
export const s3Client = (environment: SentinelEnvironment) =>
  client(`s3${environment.s3PathStyle ? ':path-style' : ''}`, async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    return new S3Client({
      retryMode: 'standard',
      maxAttempts: 4,
      // An owners file or SENTINEL_CONFIG in a bucket of another region (S3 answers 301 with the region).
      followRegionRedirects: true,
      ...(environment.s3PathStyle ? { forcePathStyle: true } : {}),
    });
  });
const sesClient = () =>
  client('sesv2', async () => new (await import('@aws-sdk/client-sesv2')).SESv2Client({ maxAttempts: 1 }));
const eventBridgeClient = () =>
  client(
    'eventbridge',
    async () =>
      new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient({
        retryMode: 'standard',
        maxAttempts: 4,
      }),
  );
const athenaClient = () =>
  client(
    'athena',
    async () =>
      // Adaptive: Athena's API limits are per account; the client slows itself down when throttled.
      new (await import('@aws-sdk/client-athena')).AthenaClient({ retryMode: 'adaptive', maxAttempts: 6 }),
  );
const secretsClient = () =>
  client(
    'secrets',
    async () =>
      new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({
        retryMode: 'standard',
        maxAttempts: 3,
      }),
  );

/**
 * A refused SENTINEL_CONFIG has no bus to name: `Run Failed` goes to SENTINEL_EVENT_BUS (set by
 * the deployment), else the default bus, with the function and the error (never the config text).
 */
export async function publishConfigFailure(env: SentinelEnvironment, command: RunCommand, error: string) {
  const { EventBridgeBus } = await import('./event-bus/eventbridge.js');
  const bus = new EventBridgeBus(await eventBridgeClient(), {
    busName: env.eventBus ?? 'default',
    retry: { attempts: 2 },
  });
  await bus.publish(runEvents(refusedConfigRecord(command, error, systemClock), { completed: false }));
}

/** `SENTINEL_CONFIG` (YAML/JSON text or an s3:// URI), validated with the one schema. */
export async function loadLambdaConfig(env: SentinelEnvironment) {
  if (env.config === undefined || env.config.trim() === '') {
    throw new ConfigError('SENTINEL_CONFIG is not set', {
      hint: 'the deployment sets it from its parameters: YAML/JSON text or an s3:// URI',
    });
  }
  const { loadConfigSource } = await import('./config-source.js');
  return loadConfigSource(env.config, isS3(env.config.trim()) ? await s3Client(env) : undefined);
}

export async function openStore(
  config: SentinelConfig,
  environment: SentinelEnvironment = sentinelEnvironment(process.env),
): Promise<BlobStore> {
  if (isS3(config.out)) {
    const { S3BlobStore } = await import('./blob-store/s3.js');
    return new S3BlobStore(await s3Client(environment), config.out);
  }
  const { LocalDirBlobStore } = await import('./blob-store/local-dir.js');
  return new LocalDirBlobStore(config.out);
}

/** The outbox and the events file live beside a local case store; an s3:// out takes SES and EventBridge. */
function besideLocalStore(config: SentinelConfig, file: string, key: string, awsChoice: string): string {
  if (isS3(config.out)) {
    throw new ConfigError(`${key} writes ${file} beside out, but out is ${config.out}`, {
      hint: `set ${key} to ${awsChoice} with an s3:// out, or use a local directory for out`,
    });
  }
  return join(config.out, file);
}

async function openMailer(
  config: SentinelConfig,
  clock: Clock,
  environment: SentinelEnvironment,
): Promise<Mailer> {
  if (config.notify.transport === 'ses') {
    const { SesMailer } = await import('./mailer/ses.js');
    return new SesMailer(await sesClient(), { configurationSet: config.notify.configuration_set });
  }
  const { OutboxMailer } = await import('./mailer/outbox.js');
  const folder = besideLocalStore(config, 'outbox', 'notify.transport outbox', 'ses');
  // The Date header follows the clock, so `--now` runs (and the demo's time travel) read true.
  return new OutboxMailer(folder, { now: () => clock.now(), refuse: environment.outboxRefuse });
}

async function openEventBus(config: SentinelConfig): Promise<EventBus> {
  if (config.events.transport === 'eventbridge') {
    const { EventBridgeBus } = await import('./event-bus/eventbridge.js');
    return new EventBridgeBus(await eventBridgeClient(), { busName: config.events.bus_name });
  }
  const { JsonlEventBus } = await import('./event-bus/jsonl.js');
  return new JsonlEventBus(besideLocalStore(config, 'events.jsonl', 'events.transport jsonl', 'eventbridge'));
}

async function openOwners(config: SentinelConfig, environment: SentinelEnvironment): Promise<OwnerDirectory> {
  if (config.owners !== null && isS3(config.owners)) {
    const { loadS3OwnerDirectory } = await import('./owners/s3.js');
    return loadS3OwnerDirectory(config.owners, config.notify.finops, await s3Client(environment));
  }
  if (config.owners === null) {
    // No mapping: FinOps owns every case, and no CSV or YAML parser is loaded (start-up is part of every run).
    const { MappedOwnerDirectory } = await import('./owners/directory.js');
    return new MappedOwnerDirectory([], config.notify.finops, false);
  }
  const { loadOwnerDirectory } = await import('./owners/file.js');
  return loadOwnerDirectory(config.owners, config.notify.finops);
}

/** Organizations has one endpoint, in us-east-1; its adapter retries by itself (docs/kill-switch.md). */
const organizationsClient = () =>
  client(
    'organizations',
    async () =>
      new (await import('@aws-sdk/client-organizations')).OrganizationsClient({
        region: 'us-east-1',
        maxAttempts: 1,
      }),
  );

/**
 * The kill switch (docs/kill-switch.md "Modes and transports"): `kill_switch.transport` names it. With
 * mode `off` it is opened only over a local directory, where reading it costs nothing (a stop left from
 * before is still released when its case closes); a deployment with the switch off holds no
 * Organizations permissions, so it opens none.
 */
export async function openKillSwitch(
  config: SentinelConfig,
  store: BlobStore,
  clock: Clock,
  environment: SentinelEnvironment,
): Promise<KillSwitch | undefined> {
  const ownAccountId = environment.accountId ?? null;
  if (config.kill_switch.mode === 'off' && (isS3(config.out) || config.kill_switch.transport !== 'local')) {
    return undefined;
  }
  let killSwitch: KillSwitch;
  if (config.kill_switch.transport === 'organizations') {
    const { OrganizationsKillSwitch } = await import('./kill-switch/organizations.js');
    killSwitch = new OrganizationsKillSwitch(await organizationsClient(), { clock, ownAccountId });
  } else {
    const { LocalKillSwitch } = await import('./kill-switch/local.js');
    killSwitch = new LocalKillSwitch(store, { clock, ownAccountId });
  }
  await refuseWrongAccounts(config, killSwitch, ownAccountId);
  return killSwitch;
}

/**
 * At start, `kill_switch.accounts` naming the deployment's own account or the management account is refused
 * with the key named (exit 2). The management account takes one Organizations call; when it cannot be read,
 * every run's decision still refuses to stop it (`organization-unknown`, `management-account`).
 */
async function refuseWrongAccounts(
  config: SentinelConfig,
  killSwitch: KillSwitch,
  ownAccountId: string | null,
): Promise<void> {
  const ks = config.kill_switch;
  if (ks.mode === 'off' || ks.accounts.length === 0) return;
  let management: string | null = null;
  if (ks.transport === 'organizations') {
    management = await killSwitch
      .organization([])
      .then((facts) => facts.management_account_id)
      .catch(() => null);
  }
  const problem = accountsListedWrongly(ks, {
    own_account_id: ownAccountId,
    management_account_id: management,
  });
  if (problem) {
    throw new ConfigError(`the configuration is not valid:\n  kill_switch.accounts: ${problem}`, {
      hint: 'docs/kill-switch.md "When it engages"',
    });
  }
}

/** The digest's release link for an engaged account: signed with the answer-link key, or the CLI line. */
function releaseActionOf(
  config: SentinelConfig,
  clock: Clock,
  key: Uint8Array | undefined,
): ReleaseActionFor {
  return ({ accountId, caseKey }) =>
    buildReleaseAction({
      accountId,
      caseKey,
      ackBaseUrl: config.notify.ack_base_url,
      ...(key ? { key } : {}),
      expiresAt: new Date(clock.now().getTime() + config.notify.link_ttl_days * 86_400_000),
      out: config.out,
    });
}

const signingKeys = new Map<string, SigningKey>();

/**
 * The answer-link key (docs/configuration.md): the Secrets Manager secret named by SENTINEL_SIGNING_SECRET_ARN
 * (Lambda), else SENTINEL_SIGNING_KEY or the local key file; loaded once per process.
 */
export async function openSigningKey(
  config: SentinelConfig,
  environment: SentinelEnvironment = sentinelEnvironment(process.env),
): Promise<SigningKey> {
  const { signingSecretArn } = environment;
  const id = signingSecretArn ? `secret:${signingSecretArn}` : `local:${config.out}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingSecretArn) {
      const { SecretsManagerSigningKey } = await import('./signing-key/secrets-manager.js');
      key = new SecretsManagerSigningKey(await secretsClient(), signingSecretArn);
    } else {
      const { LocalSigningKey } = await import('./signing-key/local.js');
      key = new LocalSigningKey({ out: config.out, key: environment.signingKey });
    }
    signingKeys.set(id, key);
  }
  return key;
}

/** The configured engine and FOCUS table, opened when a run has days to evaluate. */
export function engineOpener(
  config: SentinelConfig,
  environment: SentinelEnvironment = sentinelEnvironment(process.env),
): EngineOpener {
  return async (log: Logger): Promise<OpenedEngine> => {
    if (config.engine === 'duckdb') {
      const { openDuckDbFocus } = await import('./query-engine/duckdb-focus.js');
      return openDuckDbFocus(config, log);
    }
    const engine =
      config.engine === 'athena'
        ? new (await import('./query-engine/athena.js')).AthenaQueryEngine(await athenaClient(), {
            workgroup: config.athena.workgroup,
            database: config.athena.database,
            outputLocation: config.athena.output_location,
          })
        : await trinoEngine(config, environment);
    return { engine, focus: await checkedFocusTable(engine, config) };
  };
}

async function trinoEngine(config: SentinelConfig, environment: SentinelEnvironment): Promise<QueryEngine> {
  const { server, catalog, schema, user } = config.trino;
  if (!server) {
    throw new ConfigError('engine trino needs trino.server', {
      hint: 'set trino: { server: https://host:port, catalog, schema, user } in the config file',
    });
  }
  const { TrinoQueryEngine } = await import('./query-engine/trino.js');
  const password = environment.trinoPassword;
  return TrinoQueryEngine.connect({ server, catalog, schema, user, ...(password ? { password } : {}) });
}

/**
 * The FOCUS table on Athena or Trino, after its columns are checked against what the detectors
 * read (docs/detection.md "Input"): a missing column stops the run naming it, before any scan is paid for.
 */
async function checkedFocusTable(engine: QueryEngine, config: SentinelConfig) {
  const { database, table } = focusTableName(config);
  const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const rows = await engine.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = ${literal(database.toLowerCase())} AND table_name = ${literal(table.toLowerCase())}`,
    { label: 'FOCUS table columns' },
  );
  if (rows.length === 0) {
    throw new BadInputError(`focus ${database}.${table}: no such table (or it has no columns)`, {
      hint: 'set focus to the FOCUS export table as DATABASE.TABLE (the deployment can create it: DEPLOY.md)',
    });
  }
  const usage = checkFocusColumns(
    rows.map((r) => String(r.column_name)),
    config.cost_column,
    `focus ${database}.${table}`,
  );
  // One scan per run (docs/architecture.md): the run's CTAS staging tables live beside the findings tables.
  // Athena runs DDL (the DROP of those tables) through Hive's grammar: backticks, not double quotes.
  return config.engine === 'trino'
    ? {
        ...athenaFocusTable(config, usage),
        stagingSchema: config.trino.sentinel_schema,
        ddl: 'trino' as const,
      }
    : {
        ...athenaFocusTable(config, usage),
        stagingSchema: config.athena.sentinel_database,
        ddl: 'hive' as const,
      };
}

/** Ports of `follow-up`, `ack` and the notify half of `run`. */
export async function openNotifyPorts(config: SentinelConfig, options: OpenOptions): Promise<NotifyPorts> {
  const { clock, log } = options;
  const environment = environmentOf(options);
  const [store, mailer, events, owners] = await Promise.all([
    openStore(config, environment),
    openMailer(config, clock, environment),
    openEventBus(config),
    openOwners(config, environment),
  ]);
  const ackBaseUrl = config.notify.ack_base_url;
  const signingKey = ackBaseUrl ? await openSigningKey(config, environment) : undefined;
  const key = signingKey ? await signingKey.load() : undefined;
  // Loaded here, not at the top: `detect` opens its ports from this module and renders no email.
  const { renderMessage } = await import('../core/notify/render.js');
  const killSwitch = await openKillSwitch(config, store, clock, environment);
  return {
    store,
    mailer,
    events,
    owners,
    clock,
    log,
    ...(killSwitch ? { killSwitch, releaseAction: releaseActionOf(config, clock, key) } : {}),
    render: renderMessage,
    answerActions: ({ caseKey, epoch }) =>
      buildAnswerActions({
        caseKey,
        epoch,
        ackBaseUrl,
        ...(key ? { key } : {}),
        expiresAt: new Date(clock.now().getTime() + config.notify.link_ttl_days * 86_400_000),
        out: config.out,
      }),
  };
}

/** Ports of `run` and the scheduled detection. */
export async function openRunPorts(config: SentinelConfig, options: OpenOptions): Promise<RunPorts> {
  const notify = await openNotifyPorts(config, options);
  return {
    ...notify,
    detect: engineDetection(engineOpener(config, environmentOf(options)), config, options.clock),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}

/** Ports of a manual `detect`: no mail, no owners. */
export async function openDetectPorts(config: SentinelConfig, options: OpenOptions) {
  const environment = environmentOf(options);
  // The owners file gives the budget its daily caps (docs/detection.md "Budget"); no mail is sent.
  const [store, events, owners] = await Promise.all([
    openStore(config, environment),
    openEventBus(config),
    openOwners(config, environment),
  ]);
  return {
    store,
    events,
    owners,
    clock: options.clock,
    log: options.log,
    detect: engineDetection(engineOpener(config, environment), config, options.clock),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}

/** Ports of `ack`: the case store, the bus, and the kill switch an answer may lift. */
export async function openAckPorts(config: SentinelConfig, options: OpenOptions) {
  const environment = environmentOf(options);
  const [store, events] = await Promise.all([openStore(config, environment), openEventBus(config)]);
  const killSwitch = await openKillSwitch(config, store, options.clock, environment);
  return { store, events, clock: options.clock, log: options.log, ...(killSwitch ? { killSwitch } : {}) };
}

/** Ports of `sentinel kill-switch` (and the digest's release link): the switch, the case store, the bus. */
export async function openKillSwitchPorts(
  config: SentinelConfig,
  options: OpenOptions,
): Promise<KillSwitchCommandPorts> {
  const environment = environmentOf(options);
  const [store, events] = await Promise.all([openStore(config, environment), openEventBus(config)]);
  const killSwitch = await openKillSwitch(config, store, options.clock, environment);
  if (!killSwitch) {
    throw new ConfigError(
      `kill_switch.mode is off and kill_switch.transport is ${config.kill_switch.transport}: there is no kill switch to read here`,
      {
        hint: 'set kill_switch.mode to dry-run or enforce (docs/kill-switch.md), or run against a local out',
      },
    );
  }
  return { store, events, clock: options.clock, log: options.log, killSwitch };
}

/**
 * The hourly watch's metrics (docs/watch.md): the file `watch.metrics` names, or CloudWatch in the regions
 * the bill shows Bedrock spend in (kept with the prices) plus `watch.regions` — else the function's own
 * region. The account id labels the metrics of a monitoring account without cross-account links.
 */
export async function openMetricsSource(
  config: SentinelConfig,
  store: BlobStore,
  options: { log: Logger; environment?: SentinelEnvironment; accountId?: string },
): Promise<MetricsSource> {
  if (config.watch.source === 'file') {
    const { FileMetricsSource } = await import('./metrics/file.js');
    return new FileMetricsSource(config.watch.metrics);
  }
  const environment = environmentOf(options);
  const accountId = options.accountId ?? environment.accountId;
  if (!accountId || !/^\d{12}$/.test(accountId)) {
    throw new ConfigError('watch.source cloudwatch needs the account the metrics are read in', {
      hint: 'set SENTINEL_ACCOUNT_ID to its 12-digit id (the Lambda functions take it from their own ARN)',
    });
  }
  const held = await store.get(PRICES_KEY);
  let billRegions: string[] = [];
  try {
    billRegions = held ? ((JSON.parse(held.body) as PriceTable).regions ?? []) : [];
  } catch {
    // An unreadable price table: the watch itself says so; read the configured regions meanwhile.
  }
  const regions = [...new Set([...billRegions, ...config.watch.regions])].sort();
  if (regions.length === 0 && environment.region) regions.push(environment.region);
  if (regions.length === 0) {
    throw new ConfigError('the watch has no region to read CloudWatch in', {
      hint: 'run a detection first (its prices name the regions with Bedrock spend), or set watch.regions',
    });
  }
  const { CloudWatchMetricsSource, cloudWatchClients } = await import('./metrics/cloudwatch.js');
  return new CloudWatchMetricsSource({
    clients: cloudWatchClients(regions),
    accountId,
    recentlyActive: false,
    warn: (message) => options.log.warn(message),
  });
}

/** Ports of `watch` and of the hourly function's watch step: the notify ports and the metrics. */
export async function openWatchPorts(
  config: SentinelConfig,
  options: OpenOptions & { accountId?: string },
  /** The notify ports already open in this invocation (the hourly function's), shared. */
  opened?: NotifyPorts,
): Promise<WatchPorts> {
  const notify = opened ?? (await openNotifyPorts(config, options));
  const metrics = await openMetricsSource(config, notify.store, options);
  return {
    ...notify,
    metrics,
    listPrices: async () => (await import('./list-prices.js')).loadListPrices(),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}
