/**
 * The three handlers end to end on the AWS backends, in process: S3, SES, EventBridge and Secrets
 * Manager on the moto server of this run, and Athena's API answered by the real Trino of this run
 * (Athena-shaped pages of real results, test/fixtures/athena-on-trino.ts) over a Hive table of a
 * generated export. Scheduled detect → findings, cases and run record in S3 → owner emails in SES
 * → GET then POST an answer link on the ack handler → the case is acknowledged → the events reach
 * an SQS queue through a rule; a rerun sends nothing; a follow-up at +49 h sends the reminders.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
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
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import type { RunRecord } from '../../functions/core/runs.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';
import { athenaOnTrino } from '../fixtures/athena-on-trino.js';
import {
  awsEnvironmentOnMoto,
  motoData,
  motoEventBridge,
  motoS3,
  motoSecrets,
  motoSes,
  motoSqs,
  uniqueName,
} from '../fixtures/moto.js';
import {
  createManagedSchema,
  hiveTableOverParquet,
  localDir,
  trinoEngine,
  trinoServer,
} from '../sql/trino-tables.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

const NOW = new Date('2026-03-03T08:00:00Z');
const s3 = motoS3();
const sqs = motoSqs();
const bucket = uniqueName('sentinel-state');
const schema = `e2e_${randomBytes(3).toString('hex')}`;
const sender = `${uniqueName('sentinel')}@example.com`;
let queueUrl: string;
let athena: ReturnType<typeof athenaOnTrino>;
let handlers: {
  detect: (
    event: unknown,
    context: Context,
  ) => Promise<{ run_id: string; outcome: string; findings: number }>;
  followUp: (event: unknown, context: Context) => Promise<{ run_id: string; cases_moved: number }>;
  ack: (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
};

const context = { awsRequestId: 'e2e', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `state/${prefix}`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}
const json = async <T>(key: string): Promise<T> =>
  JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString(),
  ) as T;
const cases = async (): Promise<CaseRecord[]> =>
  Promise.all((await keys('cases/')).map((k) => json<CaseRecord>(k)));

/** The messages SES accepted from this file's sender (moto keeps them in its data view). */
async function sentMail(): Promise<
  { subject: string; body: string; destinations: { ToAddresses?: string[] } }[]
> {
  const data = await motoData();
  const messages = (data.ses?.Message ?? []) as {
    source: string;
    subject: string;
    body: string;
    destinations: { ToAddresses?: string[] };
  }[];
  return messages.filter((m) => m.source === sender);
}

const seen: { 'detail-type': string; detail: Record<string, unknown> }[] = [];
async function events(): Promise<string[]> {
  for (;;) {
    const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!page.Messages?.length) break;
    seen.push(...page.Messages.map((m) => JSON.parse(m.Body!)));
  }
  return seen.map((e) => e['detail-type']);
}

const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
async function answerLink(answer: string): Promise<URL> {
  for (const m of await sentMail()) {
    const match = new RegExp(`https://ack\\.example\\.test/ack\\?[^"]*answer(=|&#x3D;)${answer}[^"]*`).exec(
      m.body,
    );
    if (match) return new URL(decode(match[0]));
  }
  throw new Error(`no ${answer} link in the mail SES accepted`);
}

function httpEvent(method: 'GET' | 'POST', params: Record<string, string>): APIGatewayProxyEventV2 {
  const query = new URLSearchParams(params).toString();
  return {
    version: '2.0',
    routeKey: `${method} /ack`,
    rawPath: '/ack',
    rawQueryString: method === 'GET' ? query : '',
    headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    queryStringParameters: method === 'GET' ? params : undefined,
    requestContext: { http: { method, path: '/ack' } } as APIGatewayProxyEventV2['requestContext'],
    body: method === 'POST' ? query : undefined,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  // The export, as a Hive table Trino (standing in for Athena) reads.
  const work = mkdtempSync(join(localDir(), 'e2e-'));
  const org = await writeSyntheticOrganization(join(work, 'gen'), {
    seed: 7,
    accounts: 12,
    days: 75,
    end: '2026-03-01',
  });
  const duckdb = await DuckDbQueryEngine.open();
  try {
    await hiveTableOverParquet(trinoEngine(schema), duckdb, {
      schema,
      table: 'focus_export',
      dataDir: join(org.exportDir, 'data'),
    });
    // Where a run creates (and drops) its CTAS staging tables.
    await createManagedSchema(trinoEngine(schema), `${schema}_sentinel`);
  } finally {
    await duckdb.close();
  }
  const server = trinoServer();
  athena = athenaOnTrino({ server: server.url, catalog: server.catalog, schema });

  // The deployment's resources, on moto.
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { readFileSync } = await import('node:fs');
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'config/owners.csv',
      Body: readFileSync(org.ownersFile, 'utf8'),
    }),
  );
  await motoSes().send(new CreateEmailIdentityCommand({ EmailIdentity: sender }));
  const secret = await motoSecrets().send(
    new CreateSecretCommand({
      Name: uniqueName('sentinel-signing'),
      SecretString: randomBytes(32).toString('base64url'),
    }),
  );
  const busName = uniqueName('sentinel-bus');
  const eventBridge = motoEventBridge();
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sentinel-e2e') }));
  queueUrl = queue.QueueUrl!;
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  await eventBridge.send(
    new PutRuleCommand({
      Name: 'all',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'all', EventBusName: busName, Targets: [{ Id: 'q', Arn: arn }] }),
  );

  process.env.SENTINEL_CONFIG = JSON.stringify({
    engine: 'athena',
    focus: `${schema}.focus_export`,
    athena: { workgroup: 'sentinel', database: schema, sentinel_database: `${schema}_sentinel` },
    out: `s3://${bucket}/state`,
    owners: `s3://${bucket}/config/owners.csv`,
    notify: {
      transport: 'ses',
      from: sender,
      finops: 'finops@example.com',
      escalation: ['finops-leads@example.com'],
      ack_base_url: 'https://ack.example.test/ack',
    },
    events: { transport: 'eventbridge', bus_name: busName },
  });
  process.env.SENTINEL_SIGNING_SECRET_ARN = secret.ARN!;
  delete process.env.SENTINEL_SIGNING_KEY;
  awsEnvironmentOnMoto();
  handlers = {
    detect: (await import('../../functions/handlers/detect.js')).handler as never,
    followUp: (await import('../../functions/handlers/follow-up.js')).handler as never,
    ack: (await import('../../functions/handlers/ack.js')).handler as never,
  };
});

afterAll(() => {
  athena?.mock.restore();
  vi.useRealTimers();
});

describe('handlers on S3, SES, EventBridge and Secrets Manager (moto) with Athena answered by Trino', () => {
  it('scheduled detect: findings, cases and the run record in S3, owner emails through SES, events on the bus', async () => {
    const result = await handlers.detect({}, context);
    expect(result.outcome).toBe('succeeded');
    expect(result.findings).toBeGreaterThan(0);
    const [runKey] = await keys('runs/');
    const run = await json<RunRecord>(runKey!);
    expect(run).toMatchObject({
      command: 'scheduled-detect',
      engine: 'athena',
      evaluated_days: ['2026-03-01'],
    });
    expect(run.query_ids.length).toBe(run.statements);
    const sent = athena.mock
      .commandCalls(StartQueryExecutionCommand)
      .map((c) => c.args[0].input.QueryString!);
    expect(run.statements).toBe(sent.length);
    // One scan per run: the export is read by the staging CTAS only; coverage, the detectors and the
    // context read the run's staging table, which the run drops.
    const scans = sent.filter((sql) => sql.includes(`"${schema}"."focus_export"`));
    expect(scans).toHaveLength(1);
    expect(scans[0]).toMatch(/^CREATE TABLE "[^"]+"\."sentinel_staging_\d{14}_[0-9a-f]{8}" WITH/);
    expect(sent.filter((sql) => sql.startsWith('CREATE TABLE'))).toHaveLength(1);
    expect(sent.filter((sql) => sql.startsWith('DROP TABLE IF EXISTS'))).toHaveLength(1);
    expect((await keys('findings/')).length).toBeGreaterThan(0);
    expect((await cases()).length).toBeGreaterThan(0);
    expect((await sentMail()).length).toBeGreaterThan(0);
    const types = await events();
    expect(types).toContain('Case Opened');
    expect(types).toContain('Detection Run Completed');
  });

  it('a rerun sends no new email', async () => {
    const before = (await sentMail()).length;
    await handlers.detect({}, context);
    expect((await sentMail()).length).toBe(before);
  });

  it('GET shows the confirmation and changes nothing; POST records the answer; the event reaches the queue', async () => {
    const link = await answerLink('investigating');
    const params = Object.fromEntries(link.searchParams);
    const caseKey = params.case!;
    const before = (await cases()).find((c) => c.case_key === caseKey)!;
    const page = await handlers.ack(httpEvent('GET', params), context);
    expect(page.statusCode).toBe(200);
    expect((await cases()).find((c) => c.case_key === caseKey)).toEqual(before);
    const posted = await handlers.ack(
      httpEvent('POST', { ...params, note: 'rolled back the agent' }),
      context,
    );
    expect(posted.statusCode).toBe(200);
    const after = (await cases()).find((c) => c.case_key === caseKey)!;
    expect(after.state).toBe('acknowledged');
    expect(await events()).toContain('Case Acknowledged');
  });

  it('a follow-up at +49 h sends the reminders through SES', async () => {
    const before = (await sentMail()).length;
    vi.setSystemTime(new Date(NOW.getTime() + 49 * 3_600_000));
    const result = await handlers.followUp({}, context);
    vi.setSystemTime(NOW);
    expect(result.cases_moved).toBeGreaterThan(0);
    expect((await sentMail()).length).toBeGreaterThan(before);
    expect((await cases()).some((c) => c.state === 'reminded')).toBe(true);
    expect(await events()).toContain('Case Reminded');
  });
});
