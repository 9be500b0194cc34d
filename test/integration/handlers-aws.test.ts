/**
 * The three handlers end to end on the AWS backends, in process, with the environment the packaged
 * template gives them: S3, SES, EventBridge and Secrets Manager on the moto server of this run, and
 * Athena's API answered by the real Trino of this run (Athena-shaped pages of real results, every
 * statement first parsed by the grammar Athena would use: test/fixtures/athena-on-trino.ts) over a Hive
 * table of a generated export. Scheduled detect → findings, cases and run record in S3 → owner emails
 * in SES → GET then POST an answer link on the ack handler → the case is acknowledged → the events
 * reach an SQS queue through a rule; a rerun sends nothing; the hourly function's watch reads a loop put
 * into CloudWatch (PutMetricData) and opens a case whose owner email says it is an estimate; a follow-up at
 * +49 h sends the reminders.
 * Every AWS call is recorded and, at the end, evaluated against its function's role in the packaged
 * template (docs/decisions/011-iam-by-evaluation.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import type { PriceTable } from '../../functions/core/detect/prices.js';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import type { RunRecord } from '../../functions/core/runs.js';
import { writeSyntheticOrganization } from '../../functions/synthetic/write-organization.js';
import { athenaOnTrino } from '../fixtures/athena-on-trino.js';
import { type CallRecorder, recordAwsCalls } from '../fixtures/aws-call-recorder.js';
import {
  type Decision,
  evaluate,
  type PolicyDocument,
  resolveIntrinsics,
  roleArn,
  rolePolicy,
  type TemplateValues,
  unusedGrants,
} from '../fixtures/iam-evaluation.js';
import { type Deployment, GRANTS_NOT_RECORDED, modelRequests } from '../fixtures/iam-requests.js';
import {
  awsEnvironmentOnMoto,
  MOTO_REGION,
  motoCloudWatch,
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
const ownersBucket = uniqueName('sentinel-owners');
const hex = randomBytes(3).toString('hex');
/** The deployment's stage: its Glue database is sentinel_<stage>, its workgroup ai-spend-sentinel-<stage>. */
const stage = `e2e-${hex}`;
/** The FOCUS table the user already has (focusTable), in a database of its own. */
const schema = `e2e_${hex}`;
const sentinelDatabase = `sentinel_e2e_${hex}`;
const sender = `${uniqueName('sentinel')}@example.com`;
const busName = uniqueName('sentinel-bus');
const PARAMS = {
  exportLocation: 's3://example-focus-exports/exports/sentinel-focus/data',
  exportKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  focusTable: `${schema}.focus_export`,
  owners: `s3://${ownersBucket}/sentinel/owners.csv`,
  ownersKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/5678efgh-56ef-78gh-90ij-567890abcdef',
  from: sender,
  finops: 'finops@example.com',
  escalation: 'finops-leads@example.com',
  eventBus: busName,
};
const ACCOUNT = '123456789012';
let template: Parameters<typeof rolePolicy>[0];
let values: TemplateValues;
let recorder: CallRecorder;
let queueUrl: string;
let athena: ReturnType<typeof athenaOnTrino>;
let handlers: {
  detect: (
    event: unknown,
    context: Context,
  ) => Promise<{ run_id: string; outcome: string; findings: number }>;
  followUp: (
    event: unknown,
    context: Context,
  ) => Promise<{
    run_id: string;
    cases_moved: number;
    watch: { run_id: string; findings: number; hours: number } | null;
  }>;
  ack: (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
};

const context = {
  awsRequestId: 'e2e',
  getRemainingTimeInMillis: () => 900_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ai-spend-sentinel-e2e',
} as unknown as Context;

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
    const match = new RegExp(
      `https://e2eapi\\.execute-api\\.us-east-1\\.amazonaws\\.com/ack\\?[^"]*answer(=|&#x3D;)${answer}[^"]*`,
    ).exec(m.body);
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

/** Packages the stack offline with this deployment's parameters (scripts/package.mjs). */
async function packagedTemplate(): Promise<Parameters<typeof rolePolicy>[0]> {
  const packageScript: string = join(import.meta.dirname, '..', '..', 'scripts', 'package.mjs');
  const { packageOffline } = (await import(packageScript)) as {
    packageOffline: (args: string[], options: { quiet?: boolean; out?: string }) => number;
  };
  const out = mkdtempSync(join(tmpdir(), 'sentinel-e2e-package-'));
  try {
    const args = ['--stage', stage, ...Object.entries(PARAMS).map(([k, v]) => `--param=${k}=${v}`)];
    if (packageOffline(args, { quiet: true, out }) !== 0) throw new Error('npm run package failed');
    return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  template = await packagedTemplate();
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
    // The stack's Glue database, where a run creates (and drops) its CTAS staging tables.
    await createManagedSchema(trinoEngine(schema), sentinelDatabase);
  } finally {
    await duckdb.close();
  }
  const server = trinoServer();
  athena = athenaOnTrino({ server: server.url, catalog: server.catalog, schema });

  // The deployment's resources, on moto.
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: ownersBucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: ownersBucket,
      Key: 'sentinel/owners.csv',
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

  // The environment the template gives the functions, its CloudFormation values filled in.
  values = {
    'AWS::Partition': 'aws',
    'AWS::Region': MOTO_REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    StateBucket: bucket,
    HttpApi: 'e2eapi',
    SigningSecret: secret.ARN!,
    'FailedInvocationsQueue.Arn': `arn:aws:sqs:${MOTO_REGION}:${ACCOUNT}:ai-spend-sentinel-${stage}-failed-invocations`,
  };
  const detect = template.Resources.DetectLambdaFunction!.Properties as {
    Environment: { Variables: Record<string, unknown> };
  };
  const environment = resolveIntrinsics(detect.Environment.Variables, values) as Record<string, string>;
  for (const [name, value] of Object.entries(environment)) process.env[name] = value;
  expect(JSON.parse(environment.SENTINEL_CONFIG!)).toMatchObject({
    engine: 'athena',
    focus: PARAMS.focusTable,
    athena: { workgroup: `ai-spend-sentinel-${stage}`, sentinel_database: sentinelDatabase },
  });
  delete process.env.SENTINEL_SIGNING_KEY;
  awsEnvironmentOnMoto();
  recorder = recordAwsCalls([
    S3Client,
    SESv2Client,
    EventBridgeClient,
    SecretsManagerClient,
    AthenaClient,
    CloudWatchClient,
  ]);
  const handler =
    <R>(fn: string, h: unknown) =>
    (event: unknown, ctx: Context) =>
      recorder.during(fn, () => (h as (e: unknown, c: Context) => Promise<R>)(event, ctx));
  // Each function is a process of its own in Lambda: a fresh module graph per handler, so no client,
  // key or config one of them loaded is there for another (the recorded calls are each function's own).
  const fresh = async (load: () => Promise<{ handler: unknown }>) => {
    vi.resetModules();
    return (await load()).handler;
  };
  handlers = {
    detect: handler('detect', await fresh(() => import('../../functions/handlers/detect.js'))),
    followUp: handler('followUp', await fresh(() => import('../../functions/handlers/follow-up.js'))),
    ack: handler('ack', await fresh(() => import('../../functions/handlers/ack.js'))),
  };
});

afterAll(() => {
  recorder?.restore();
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

  it("parses every statement it sent to Athena with Athena's grammar (the DROP in Hive's) and drops its staging table", async () => {
    const executions = [...athena.executions.values()];
    expect(executions.filter((e) => e.error !== null).map((e) => `${e.grammar}: ${e.error}`)).toEqual([]);
    const drops = executions.filter((e) => e.sql.startsWith('DROP TABLE'));
    expect(drops.map((e) => e.grammar)).toEqual(['hive']);
    expect(drops[0]!.sql).toMatch(
      /^DROP TABLE IF EXISTS `sentinel_e2e_[0-9a-f]{6}`\.`sentinel_staging_\d{14}_[0-9a-f]{8}`$/,
    );
    expect(executions.filter((e) => e.sql.startsWith('CREATE TABLE')).map((e) => e.grammar)).toEqual([
      'trino',
    ]);
    const left = await trinoEngine(schema).query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${sentinelDatabase}'`,
    );
    expect(left).toEqual([]);
    const [runKey] = await keys('runs/');
    expect(JSON.stringify(await json<RunRecord>(runKey!))).not.toMatch(/could not drop/);
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

  it("the hourly function's watch reads a loop from CloudWatch and opens its case; the owner email says estimate", async () => {
    // The bill's model id, as CloudWatch names it: the last part of a model or profile ARN the bill shows.
    const prices = await json<PriceTable>('state/prices/latest.json');
    expect(prices.run_id).toMatch(/scheduled-detect/);
    const modelId = prices.resources[0]!.resource_id.split('/').pop()!;
    const at = new Date(NOW.getTime() + 30 * 3_600_000); // Wed 4 Mar 14:00 UTC
    const loopFrom = at.getTime() - 3 * 3_600_000;
    // moto keeps every metric in its own account: the deployment's, as a monitoring account without links.
    const data: { MetricName: string; Timestamp: Date; Value: number }[] = [];
    for (let t = at.getTime() - 17 * 86_400_000; t < at.getTime(); t += 3_600_000) {
      const scale = t >= loopFrom ? 130 : 1;
      const stamp = new Date(t + 10 * 60_000);
      data.push(
        { MetricName: 'InputTokenCount', Timestamp: stamp, Value: 100_000 * scale },
        { MetricName: 'OutputTokenCount', Timestamp: stamp, Value: 10_000 * scale },
        { MetricName: 'Invocations', Timestamp: stamp, Value: 20 * scale },
      );
    }
    const cloudWatch = motoCloudWatch();
    for (let i = 0; i < data.length; i += 500) {
      await cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/Bedrock',
          MetricData: data
            .slice(i, i + 500)
            .map((d) => ({ ...d, Dimensions: [{ Name: 'ModelId', Value: modelId }], Unit: 'Count' })),
        }),
      );
    }
    const before = (await sentMail()).length;
    vi.setSystemTime(at);
    const result = await handlers.followUp({}, context);
    vi.setSystemTime(NOW);
    expect(result.watch).toMatchObject({ hours: 48 });
    expect(result.watch!.findings).toBeGreaterThan(0);
    // The watch's run: every metric of the look-back read once and kept, the running day in two stages.
    const watchRun = await json<RunRecord>(`state/runs/${result.watch!.run_id}.json`);
    expect(watchRun).toMatchObject({ command: 'watch', outcome: 'succeeded' });
    expect(watchRun.watch!.requests).toBeGreaterThan(0);
    expect(watchRun.watch!.metrics_requested).toBeGreaterThan(0);
    expect(watchRun.watch!.screen_flagged_accounts).toBe(1);
    expect((await keys('watch/hours/')).length).toBeGreaterThanOrEqual(15);
    expect(await keys('findings/detector=runaway-watch/as_of=2026-03-04/')).toHaveLength(1);
    // One case, opened by the metrics as the account's runaway case; its alert went out with the
    // follow-up's delivery (one lease), not the watch's.
    const opened = (await cases()).find((c) => c.account_id === ACCOUNT)!;
    expect(opened).toMatchObject({ detector: 'runaway-inference', kind: 'runaway', state: 'open' });
    expect(opened.latest.source).toBe('metrics');
    expect(watchRun.counts.messages_sent).toBeUndefined();
    const followUpRun = await json<RunRecord>(`state/runs/${result.run_id}.json`);
    expect(followUpRun.counts.messages_sent).toBe(1);
    const mail = (await sentMail()).slice(before);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toContain(ACCOUNT);
    expect(mail[0]!.body).toContain("An estimate from Bedrock's usage metrics");
    expect(mail[0]!.body).toContain('will confirm it');
    const types = await events();
    expect(types).toContain('Watch Run Completed');
    expect(seen.some((e) => e['detail-type'] === 'Finding Detected' && e.detail.source === 'metrics')).toBe(
      true,
    );
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

  it('made only calls its role allows (SES sandbox included), and its roles grant nothing unused without a reason', async () => {
    const deployment: Deployment = {
      partition: 'aws',
      region: MOTO_REGION,
      account: ACCOUNT,
      urlSuffix: 'amazonaws.com',
      stateBucket: bucket,
      resultsPrefix: 'athena-results/',
      focus: { database: schema, table: 'focus_export', partitionsInCatalog: true },
      exportLocation: { bucket: 'example-focus-exports', key: 'exports/sentinel-focus/data' },
      exportKmsKeyArn: PARAMS.exportKmsKeyArn,
      owners: { bucket: ownersBucket, key: 'sentinel/owners.csv' },
      ownersKmsKeyArn: PARAMS.ownersKmsKeyArn,
      sesSandbox: true,
    };
    const { requests, unknown } = modelRequests(recorder.calls, deployment);
    expect(
      unknown.map((c) => `${c.fn}: ${c.service} ${c.command}`),
      'calls the IAM model does not know',
    ).toEqual([]);
    const bucketPolicy = resolveIntrinsics(
      (template.Resources.StateBucketPolicy!.Properties as { PolicyDocument: unknown }).PolicyDocument,
      { ...values, 'StateBucket.Arn': `arn:aws:s3:::${bucket}` },
    ) as PolicyDocument;
    const roles = { detect: 'DetectRole', followUp: 'FollowUpRole', ack: 'AckRole' } as const;
    const denied: string[] = [];
    const unused: string[] = [];
    const reasonsUsed = new Set<string>();
    for (const [fn, role] of Object.entries(roles)) {
      const policy = rolePolicy(template, role, values);
      const principal = { arn: roleArn(template, role, values), account: ACCOUNT };
      const decisions: Decision[] = [];
      // One evaluation per distinct request (a run repeats many).
      const distinct = new Map(
        requests
          .filter((r) => r.fn === fn)
          .map((r) => [`${r.action} ${r.resource} ${JSON.stringify(r.context ?? {})}`, r]),
      );
      expect(distinct.size, `${fn} made calls`).toBeGreaterThan(0);
      for (const request of distinct.values()) {
        const onState = request.resource.startsWith(`arn:aws:s3:::${bucket}`);
        const decision = await evaluate(request, policy, principal, onState ? bucketPolicy : undefined);
        decisions.push(decision);
        if (!decision.allowed) {
          denied.push(
            `${fn}: ${request.action} on ${request.resource} (${request.why})${decision.error ? ` — ${decision.error}` : ''}`,
          );
        }
      }
      for (const grant of unusedGrants(policy, decisions)) {
        const reason = GRANTS_NOT_RECORDED.find(
          (g) => g.sid === grant.sid && g.action === grant.action && (!g.roles || g.roles.includes(role)),
        );
        if (reason) reasonsUsed.add(`${reason.sid} ${reason.action}`);
        else unused.push(`${role} ${grant.sid}: ${grant.action} on ${grant.resource}`);
      }
    }
    expect(denied, 'calls the packaged roles do not allow').toEqual([]);
    expect(unused, 'grants no recorded call used and no reason names').toEqual([]);
    // Every reason still names a grant nothing recorded uses (a stale reason is a finding too).
    expect(
      GRANTS_NOT_RECORDED.map((g) => `${g.sid} ${g.action}`).filter((k) => !reasonsUsed.has(k)),
      'reasons for grants that are used or gone',
    ).toEqual([]);
  });
});
