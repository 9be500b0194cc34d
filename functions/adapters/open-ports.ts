/**
 * The composition root (SPEC §2 "Doors"): the only place that builds adapters from config. Each
 * port's adapter is named by config, never guessed from another (SPEC §11): `out` (local dir |
 * s3://), `notify.transport` (outbox | ses), `events.transport` (jsonl | eventbridge), `engine`
 * (duckdb | athena | trino). Backends are loaded by dynamic import, so a Lambda bundle carries no
 * DuckDB binding and no local-only adapter. CLI commands and Lambda handlers call these openers,
 * then one command of functions/core/commands/.
 */
import { join } from 'node:path';
import { engineDetection } from '../core/commands/detect.js';
import type { RunPorts } from '../core/commands/run.js';
import type { SentinelConfig } from '../core/config.js';
import { FAULT_POINTS, type FaultPoint, type NotifyPorts } from '../core/deliver/ports.js';
import type { EngineOpener, OpenedEngine } from '../core/detect/contract.js';
import { BadInputError, ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { buildAnswerActions } from '../core/notify/answer-links.js';
import { renderMessage } from '../core/notify/render.js';
import type { BlobStore, Clock, EventBus, Mailer, OwnerDirectory, SigningKey } from '../core/ports.js';

export interface OpenOptions {
  clock: Clock;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (a terminal); elsewhere left out. */
  progress?: (step: string) => void;
}

const isS3 = (uri: string) => /^s3:\/\//i.test(uri);

/** What a Lambda reads from its environment (SPEC §12): the config source, the secret, the log level. */
export interface LambdaEnvironment {
  raw: NodeJS.ProcessEnv;
  config: string | undefined;
  signingSecretArn: string | undefined;
  logLevel: string | undefined;
}

export const lambdaEnvironment = (raw: NodeJS.ProcessEnv): LambdaEnvironment => ({
  raw,
  config: raw.SENTINEL_CONFIG,
  signingSecretArn: raw.SENTINEL_SIGNING_SECRET_ARN,
  logLevel: raw.SENTINEL_LOG_LEVEL,
});

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

export const s3Client = () => client('s3', async () => new (await import('@aws-sdk/client-s3')).S3Client({}));

/** `SENTINEL_CONFIG` (YAML/JSON text or an s3:// URI), validated with the one schema. */
export async function loadLambdaConfig(env: LambdaEnvironment) {
  if (env.config === undefined || env.config.trim() === '') {
    throw new ConfigError('SENTINEL_CONFIG is not set', {
      hint: 'the deployment sets it from its parameters: YAML/JSON text or an s3:// URI',
    });
  }
  const { loadConfigSource } = await import('./config-source.js');
  return loadConfigSource(env.config, /^s3:\/\//i.test(env.config.trim()) ? await s3Client() : undefined);
}

export async function openStore(config: SentinelConfig): Promise<BlobStore> {
  if (isS3(config.out)) {
    throw new ConfigError(`out ${config.out}: the S3 store is not in this build`, {
      hint: 'use a local directory for --out',
    });
  }
  const { LocalDirBlobStore } = await import('./blob-store/local-dir.js');
  return new LocalDirBlobStore(config.out);
}

async function openMailer(config: SentinelConfig, clock: Clock): Promise<Mailer> {
  const { OutboxMailer } = await import('./mailer/outbox.js');
  // The Date header follows the clock, so `--now` runs (and the demo's time travel) read true.
  return new OutboxMailer(join(config.out, 'outbox'), { now: () => clock.now() });
}

async function openEventBus(config: SentinelConfig): Promise<EventBus> {
  const { JsonlEventBus } = await import('./event-bus/jsonl.js');
  return new JsonlEventBus(join(config.out, 'events.jsonl'));
}

async function openOwners(config: SentinelConfig): Promise<OwnerDirectory> {
  const { loadOwnerDirectory } = await import('./owners/file.js');
  return loadOwnerDirectory(config.owners, config.notify.finops);
}

/** The answer-link key: the Lambda's secret, else SENTINEL_SIGNING_KEY or the local key file. */
export async function openSigningKey(config: SentinelConfig, env: NodeJS.ProcessEnv): Promise<SigningKey> {
  const { loadLocalSigningKey } = await import('./signing-key/local.js');
  let key: Promise<Buffer> | undefined;
  return { load: () => (key ??= loadLocalSigningKey({ out: config.out, env })) };
}

/** The configured engine and FOCUS table, opened when a run has days to evaluate. */
export function engineOpener(config: SentinelConfig): EngineOpener {
  return async (log: Logger): Promise<OpenedEngine> => {
    if (config.engine !== 'duckdb') {
      throw new ConfigError(`engine ${config.engine}: this engine is not in this build`, {
        hint: 'run locally with --engine duckdb over the export files; `sentinel sql --dialect athena` prints the Athena SQL',
      });
    }
    const { openDuckDbFocus } = await import('./query-engine/duckdb-focus.js');
    return openDuckDbFocus(config, log);
  };
}

/**
 * Crash tests: `SENTINEL_FAULT=crash-after:<point>` kills this process with SIGKILL at that point of
 * the notify protocol (no cleanup, no finally blocks), as a real crash would.
 */
export function faultHook(value: string | undefined): ((point: FaultPoint) => void) | undefined {
  if (!value) return undefined;
  const match = /^crash-after:(.+)$/.exec(value);
  if (!match || !(FAULT_POINTS as readonly string[]).includes(match[1]!)) {
    throw new BadInputError(`SENTINEL_FAULT '${value}' is not a fault point`, {
      hint: `use crash-after:<point>, point one of ${FAULT_POINTS.join(', ')}`,
    });
  }
  const at = match[1];
  return (point) => {
    if (point === at) process.kill(process.pid, 'SIGKILL');
  };
}

/** Ports of `follow-up`, `ack` and the notify half of `run`. */
export async function openNotifyPorts(config: SentinelConfig, options: OpenOptions): Promise<NotifyPorts> {
  const { clock, log } = options;
  const env = options.env ?? process.env;
  const [store, mailer, events, owners] = await Promise.all([
    openStore(config),
    openMailer(config, clock),
    openEventBus(config),
    openOwners(config),
  ]);
  const ackBaseUrl = config.notify.ack_base_url;
  const signingKey = ackBaseUrl ? await openSigningKey(config, env) : undefined;
  const key = signingKey ? await signingKey.load() : undefined;
  const fault = faultHook(env.SENTINEL_FAULT);
  return {
    store,
    mailer,
    events,
    owners,
    clock,
    log,
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
    ...(fault ? { fault } : {}),
  };
}

/** Ports of `run` and the scheduled detection. */
export async function openRunPorts(config: SentinelConfig, options: OpenOptions): Promise<RunPorts> {
  const notify = await openNotifyPorts(config, options);
  return {
    ...notify,
    detect: engineDetection(engineOpener(config), config, options.clock),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}

/** Ports of a manual `detect`: no mail, no owners. */
export async function openDetectPorts(config: SentinelConfig, options: OpenOptions) {
  const [store, events] = await Promise.all([openStore(config), openEventBus(config)]);
  return {
    store,
    events,
    clock: options.clock,
    log: options.log,
    detect: engineDetection(engineOpener(config), config, options.clock),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}

/** Ports of `ack`: the case store and the bus. */
export async function openAckPorts(config: SentinelConfig, options: OpenOptions) {
  const [store, events] = await Promise.all([openStore(config), openEventBus(config)]);
  return { store, events, clock: options.clock };
}
