/**
 * Scenarios of the reliability suite on AWS's backends: each gets its own store prefix in one state
 * bucket, its own SES sender, its own event bus (a rule to a queue, so what the bus delivered can be
 * read) and owners file, and runs `run` or `follow-up` as a process of its own (aws-child.mjs) whose
 * SDK calls go through a fault proxy in front of moto. The proxy can answer a fault, or kill the
 * process at a call (before the call has an effect, or after it has one and before the answer).
 * `settled` checks what every scenario must end in: nothing lost, nothing sent twice outside the one
 * window docs/storage.md allows ("At least once").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { CaseEvent, CaseRecord, NotificationEntry } from '../../functions/core/cases/model.js';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import type { RunRecord } from '../../functions/core/runs.js';
import type { Finding } from '../../functions/core/types.js';
import { type Fault, type FaultyProxy, faultyProxy, type ProxiedRequest } from '../fixtures/faulty-proxy.js';
import {
  MOTO_REGION,
  motoData,
  motoEndpoint,
  motoEventBridge,
  motoS3,
  motoSecrets,
  motoSes,
  motoSqs,
  uniqueName,
} from '../fixtures/moto.js';

const CHILD = fileURLToPath(new URL('./aws-child.mjs', import.meta.url));

export const FINOPS = 'finops@example.com';
export const ESCALATION = 'finops-leads@example.com';

/** The signing key's value: it must appear in no log line. */
export const SIGNING_KEY = `sk-${randomBytes(24).toString('base64url')}`;

export interface Suite {
  bucket: string;
  secretArn: string;
  /** Every log line of every process, for the secrets check. */
  logs: string[];
  /** Closes the scenarios' proxies. */
  close(): Promise<void>;
  proxies: FaultyProxy[];
}

export async function openSuite(): Promise<Suite> {
  const bucket = uniqueName('sentinel-rel');
  await motoS3().send(new CreateBucketCommand({ Bucket: bucket }));
  const secret = await motoSecrets().send(
    new CreateSecretCommand({ Name: uniqueName('sentinel-signing'), SecretString: SIGNING_KEY }),
  );
  const suite: Suite = {
    bucket,
    secretArn: secret.ARN!,
    logs: [],
    proxies: [],
    close: async () => {
      for (const p of suite.proxies) await p.close();
    },
  };
  return suite;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Parsed from stdout when the process finished. */
  out?: {
    ms: number;
    run: RunRecord;
    leaseTaken: boolean;
    messages: { message_id: string; status: string }[];
  };
}

/** A write: what changes the world (S3 PUT/DELETE, SES SendEmail, EventBridge PutEvents). */
export const isWrite = (r: ProxiedRequest): boolean =>
  r.method === 'PUT' ||
  r.method === 'DELETE' ||
  r.target === 'AWSEvents.PutEvents' ||
  r.url.startsWith('/v2/email/outbound-emails');

/** What a proxied request is, in words: `S3 PUT cases/…`, `SES SendEmail`, `EventBridge PutEvents`. */
export function describeRequest(r: ProxiedRequest, prefix = ''): string {
  if (r.target)
    return r.target.replace(/^AWSEvents\./, 'EventBridge ').replace(/^secretsmanager\./, 'Secrets Manager ');
  if (r.url.startsWith('/v2/email/outbound-emails')) return 'SES SendEmail';
  const path = decodeURIComponent(r.url.split('?')[0] ?? '');
  const key = path.replace(/^\/[^/]+\//, '').replace(prefix, '');
  const kind = key.replace(/\/.*$/, '/…').replace(/^owners\.csv$/, 'owners.csv');
  return `S3 ${r.method} ${kind}`;
}

export interface ScenarioOptions {
  findings: Finding[];
  ownersCsv: string;
  /** Extra config (notify, events) merged over the scenario's. */
  config?: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  /** This scenario's fault proxy in front of moto (every call of its processes goes through it). */
  proxy: FaultyProxy;
  prefix: string;
  from: string;
  config: Record<string, unknown>;
  run(
    command: 'run' | 'follow-up',
    now: string,
    options?: {
      asOfDays?: string[];
      plan?: (r: ProxiedRequest, child: ChildProcess) => Fault | undefined;
      env?: Record<string, string>;
    },
  ): Promise<ChildResult>;
  cases(): Promise<CaseRecord[]>;
  notifications(): Promise<NotificationEntry[]>;
  caseEvents(): Promise<CaseEvent[]>;
  /** SES messages from this scenario's sender, each with the log entry it was sent for. */
  mail(): Promise<{ subject: string; to: string[]; cc: string[]; messageId: string | undefined }[]>;
  /** Distinct event ids the bus delivered, with how many times each. */
  delivered(): Promise<Map<string, number>>;
}

export async function openScenario(suite: Suite, name: string, options: ScenarioOptions): Promise<Scenario> {
  const s3 = motoS3();
  const proxy = await faultyProxy(motoEndpoint());
  suite.proxies.push(proxy);
  const tag = `${name
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase()
    .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  const prefix = `s/${tag}/`;
  const from = `sentinel-${tag}@example.com`;
  await motoSes().send(new CreateEmailIdentityCommand({ EmailIdentity: from }));
  const bus = `bus-${tag}`;
  const eventBridge = motoEventBridge();
  const sqs = motoSqs();
  await eventBridge.send(new CreateEventBusCommand({ Name: bus }));
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `q-${tag}` }))).QueueUrl!;
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  await eventBridge.send(
    new PutRuleCommand({
      Name: 'all',
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'q', Arn: queueArn }] }),
  );
  await s3.send(
    new PutObjectCommand({ Bucket: suite.bucket, Key: `${prefix}owners.csv`, Body: options.ownersCsv }),
  );
  const work = mkdtempSync(join(tmpdir(), 'sentinel-rel-'));
  const findingsFile = join(work, 'findings.json');
  writeFileSync(findingsFile, JSON.stringify(options.findings));
  const config = {
    out: `s3://${suite.bucket}/${prefix}state`,
    owners: `s3://${suite.bucket}/${prefix}owners.csv`,
    events: { transport: 'eventbridge', bus_name: bus },
    notify: {
      transport: 'ses',
      from,
      finops: FINOPS,
      escalation: [ESCALATION],
      ack_base_url: 'https://rel.example.com/ack',
    },
    ...options.config,
  };
  const deliveredCounts = new Map<string, number>();

  const list = async (sub: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: suite.bucket,
          Prefix: `${prefix}state/${sub}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  };
  const read = async <T>(key: string): Promise<T> =>
    JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: suite.bucket, Key: key }))
      ).Body!.transformToString(),
    ) as T;
  const all = async <T>(sub: string) => {
    const out: T[] = [];
    // Sequential: moto serves one request at a time anyway, and a burst of parallel reads only queues.
    for (const key of await list(sub)) out.push(await read<T>(key));
    return out;
  };

  const scenario: Scenario = {
    name,
    proxy,
    prefix,
    from,
    config,
    run(command, now, runOptions = {}) {
      const payload = JSON.stringify({
        command,
        now,
        config,
        findings: findingsFile,
        ...(runOptions.asOfDays ? { asOfDays: runOptions.asOfDays } : {}),
      });
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CHILD, payload], {
          env: {
            PATH: process.env.PATH ?? '',
            AWS_ENDPOINT_URL: proxy.url,
            AWS_REGION: MOTO_REGION,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            SENTINEL_SIGNING_SECRET_ARN: suite.secretArn,
            ...runOptions.env,
          },
        });
        const plan = runOptions.plan;
        proxy.plan = plan ? (r) => plan(r, child) : () => undefined;
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          proxy.plan = () => undefined;
          suite.logs.push(stdout, stderr);
          let out: ChildResult['out'];
          try {
            out = code === 0 ? JSON.parse(stdout.trim().split('\n').at(-1)!) : undefined;
          } catch {
            out = undefined;
          }
          resolve({ code, signal, stdout, stderr, ...(out ? { out } : {}) });
        });
      });
    },
    cases: () => all<CaseRecord>('cases/'),
    notifications: () => all<NotificationEntry>('notifications/'),
    caseEvents: () => all<CaseEvent>('case-events/'),
    async mail() {
      const log = await scenario.notifications();
      const data = await motoData();
      const sent = (
        (data.ses?.Message ?? []) as {
          source: string;
          subject: string;
          destinations: { ToAddresses?: string[]; CcAddresses?: string[] };
        }[]
      ).filter((m) => m.source === from);
      const key = (subject: string, to: string[], cc: string[]) =>
        `${subject}|${[...to].sort()}|${[...cc].sort()}`;
      const ids = new Map(log.map((e) => [key(e.subject, e.to, e.cc), e.message_id]));
      return sent.map((m) => {
        const to = m.destinations.ToAddresses ?? [];
        const cc = m.destinations.CcAddresses ?? [];
        return { subject: m.subject, to, cc, messageId: ids.get(key(m.subject, to, cc)) };
      });
    },
    async delivered() {
      for (;;) {
        const page = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
        );
        if (!page.Messages?.length) break;
        for (const m of page.Messages) {
          const id = String(
            (JSON.parse(m.Body!) as { detail: { event_id?: string; run_id?: string } }).detail.event_id ?? '',
          );
          if (id) deliveredCounts.set(id, (deliveredCounts.get(id) ?? 0) + 1);
        }
      }
      return deliveredCounts;
    },
  };
  return scenario;
}

export interface Settlement {
  /** Cases whose owner never got the alert (lost). */
  lost: string[];
  /** Messages SES accepted more than once. */
  duplicated: { messageId: string; times: number }[];
  /** Case events not in the store, or not delivered by the bus. */
  eventsMissing: string[];
  /** Items still due on a live case. */
  stillDue: string[];
  /** SES messages that match no log entry (sent outside the protocol). */
  unlogged: number;
  mails: number;
}

/** Where a scenario ended: every case alerted, every event stored and delivered, nothing left due. */
export async function settlement(scenario: Scenario): Promise<Settlement> {
  const cases = await scenario.cases();
  const log = await scenario.notifications();
  const mail = await scenario.mail();
  const events = await scenario.caseEvents();
  const delivered = await scenario.delivered();
  const times = new Map<string, number>();
  for (const m of mail) if (m.messageId) times.set(m.messageId, (times.get(m.messageId) ?? 0) + 1);
  const alerted = new Set(
    log
      .filter(
        (e) =>
          e.kind === 'owner-alert' &&
          (e.status === 'sent' || e.status === 'rejected') &&
          (times.get(e.message_id) ?? 0) > 0,
      )
      .flatMap((e) => e.cases.map((c) => c.case_key)),
  );
  const stored = new Set(events.map((e) => e.event_id));
  return {
    lost: cases.filter((c) => !alerted.has(c.case_key)).map((c) => c.case_key),
    duplicated: [...times].filter(([, n]) => n > 1).map(([messageId, n]) => ({ messageId, times: n })),
    eventsMissing: [
      ...events
        .filter((e) => !delivered.has(e.event_id))
        .map((e) => `${e.event_id} not delivered by the bus`),
      ...cases.flatMap((c) => c.events_due.map((e) => `${c.case_key}: ${e.event_id} still due`)),
      ...(stored.size < cases.length ? [`${cases.length - stored.size} case(s) without a stored event`] : []),
    ],
    stillDue: cases.flatMap((c) => c.due.map((d) => `${c.case_key}: ${d.kind} still due`)),
    unlogged: mail.filter((m) => !m.messageId).length,
    mails: mail.length,
  };
}

/** Runs `work` over `items`, `width` at a time (the machine has two CPUs; moto serves one call at a time). */
export async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}
