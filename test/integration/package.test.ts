/**
 * `npm run package` (osls + serverless-esbuild, offline) and the template check of DEPLOY.md: the
 * generated CloudFormation against the resource specification, the schedules, the /ack routes, the
 * policies, the zips; the same check fails on a broken template. The Glue tables are the DDL of
 * sql/ddl/, and each bundle imports in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../functions/core/events.js';
import { ATHENA_TABLES, tableDdl } from '../../functions/core/sql/ddl.js';
import {
  evaluate,
  type IamRequest,
  type PolicyDocument,
  resolveIntrinsics,
  roleArn,
  rolePolicy,
  type TemplateValues,
} from '../fixtures/iam-evaluation.js';
import {
  checkTemplate,
  type Expectations,
  extractZip,
  type Template,
  zipEntryNames,
} from './template-check.js';

const root = join(import.meta.dirname, '..', '..');
const packageScript: string = join(root, 'scripts', 'package.mjs');
const { EXAMPLE_PARAMS, packageOffline } = (await import(packageScript)) as {
  EXAMPLE_PARAMS: Record<string, string>;
  packageOffline: (args: string[], options: { quiet?: boolean; out?: string }) => number;
};
const artifactDir = join(root, '.serverless');
const EXPECT: Expectations = {
  functions: {
    detect: {
      handler: 'functions/handlers/detect.handler',
      timeout: 900,
      asyncRetries: 1,
      onFailure: 'FailedInvocationsQueue',
    },
    followUp: {
      handler: 'functions/handlers/follow-up.handler',
      asyncRetries: 0,
      onFailure: 'FailedInvocationsQueue',
    },
    ack: { handler: 'functions/handlers/ack.handler' },
  },
  // Daily by default (DEPLOY.md "What it costs").
  schedules: { detect: 'cron(0 6 * * ? *)', followUp: 'rate(1 hour)' },
  routes: { 'GET /ack': 'ack', 'POST /ack': 'ack' },
  errorAlarms: true,
  eventRules: [{ source: EVENT_SOURCE, detailTypes: ['Run Failed', 'Data Stale'] }],
  artifactDir,
};
const BUNDLES = { detect: 'detect', followUp: 'follow-up', ack: 'ack' } as const;

let template: Template;
const copy = (): Template => structuredClone(template);

beforeAll(() => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`npm run package failed:\n${run.stdout}\n${run.stderr}`);
  template = JSON.parse(readFileSync(join(artifactDir, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 120_000);

describe('npm run package', () => {
  it('produces a template that passes the check, and one zip under 1 MB per function', async () => {
    expect(await checkTemplate(template, EXPECT)).toEqual([]);
  });

  it('the check fails on a broken template, naming each fault', async () => {
    const broken = copy();
    const r = broken.Resources;
    (r.StateBucket!.Properties as Record<string, unknown>).BucketEncryptoin = {};
    delete (r.AthenaWorkGroup!.Properties as Record<string, unknown>).Name;
    r.Extra = { Type: 'AWS::Lambda::Functoin', Properties: {} };
    const role = r.AckRole!.Properties as { Policies: { PolicyDocument: { Statement: unknown[] } }[] };
    role.Policies[0]!.PolicyDocument.Statement.push({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    (r.FollowUpEventsRuleSchedule1!.Properties as Record<string, unknown>).ScheduleExpression = 'rate(1 day)';
    delete r.HttpApiRoutePostAck;
    (r.DetectLambdaFunction!.Properties as Record<string, unknown>).Runtime = 'nodejs20.x';
    (r.RunsTable!.Properties as Record<string, unknown>).DatabaseName = { Ref: 'NoSuchDatabase' };
    delete r.DetectLambdaEvConf;
    delete r.FollowUpErrorsAlarm;
    delete (r.FollowUpLambdaEvConf!.Properties as { DestinationConfig: Record<string, unknown> })
      .DestinationConfig.OnFailure;
    const topicPolicy = r.AlarmTopicPolicy!.Properties as {
      PolicyDocument: { Statement: { Sid: string }[] };
    };
    topicPolicy.PolicyDocument.Statement = topicPolicy.PolicyDocument.Statement.filter(
      (s) => s.Sid !== 'RunTroubleRulePublish',
    );
    const problems = await checkTemplate(broken, EXPECT);
    for (const fault of [
      /StateBucket .*BucketEncryptoin is not a property/,
      /AthenaWorkGroup .*required property Name is missing/,
      /Extra: AWS::Lambda::Functoin is not a CloudFormation resource type/,
      /AckRole policy ack statement \d+: wildcard action s3:\*/,
      /AckRole policy ack statement \d+: Allow on every resource/,
      /no enabled rule runs followUp on rate\(1 hour\)/,
      /route: POST \/ack does not reach the ack function/,
      /function detect: runtime nodejs20.x/,
      /RunsTable: Ref NoSuchDatabase names nothing/,
      /function detect: 2 asynchronous retries, not 1/,
      /function detect: no on-failure destination/,
      /function followUp: no on-failure destination/,
      /alarm: no alarm on the errors of followUp/,
      /event rule: RunTroubleRule publishes to AlarmTopic, whose policy does not let EventBridge publish/,
    ]) {
      expect(
        problems.some((p) => fault.test(p)),
        `${fault} in\n${problems.join('\n')}`,
      ).toBe(true);
    }
  });

  it('the check fails when trouble would reach no one: a rule without Data Stale, a topic CloudWatch may not publish to', async () => {
    const broken = copy();
    const r = broken.Resources;
    const rule = r.RunTroubleRule!.Properties as { EventPattern: { 'detail-type': string[] } };
    rule.EventPattern['detail-type'] = ['Run Failed'];
    const topicPolicy = r.AlarmTopicPolicy!.Properties as {
      PolicyDocument: { Statement: { Sid: string }[] };
    };
    topicPolicy.PolicyDocument.Statement = topicPolicy.PolicyDocument.Statement.filter(
      (s) => s.Sid !== 'StackAlarmsPublish',
    );
    const problems = await checkTemplate(broken, EXPECT);
    expect(problems).toContain('event rule: no enabled rule routes ai-spend-sentinel Run Failed, Data Stale');
    for (const alias of ['detect', 'followUp', 'ack']) {
      expect(problems).toContain(
        `alarm: ${alias[0]!.toUpperCase()}${alias.slice(1)}ErrorsAlarm notifies AlarmTopic, whose policy does not let CloudWatch alarms publish`,
      );
    }
  });

  it('the check fails on a zip over the size limit', async () => {
    const problems = await checkTemplate(template, { ...EXPECT, maxZipBytes: 1000 });
    expect(problems.filter((p) => /is \d+ bytes, over 1000/.test(p))).toHaveLength(3);
  });

  it('generates the findings, case_events and runs tables from the DDL in sql/ddl/', () => {
    const byName = new Map(
      Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Glue::Table')
        .map((r) => {
          const input = (r.Properties as { TableInput: GlueTableInput }).TableInput;
          return [input.Name, input] as const;
        }),
    );
    for (const table of ATHENA_TABLES) {
      const ddl = tableDdl(table, { database: 'sentinel_prod', location: 's3://bucket/state' });
      const input = byName.get(table);
      expect(input, table).toBeDefined();
      const [body, partitions] = ddl.split(/^PARTITIONED BY/m);
      const columnNames = [...body!.matchAll(/^ {2}`([a-z_0-9]+)` /gm)].map((m) => m[1]);
      expect(input!.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(columnNames);
      const partitionNames = partitions
        ? [...partitions.split('\n')[0]!.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1])
        : [];
      expect(input!.PartitionKeys.map((c) => c.Name)).toEqual(partitionNames);
      for (const [, key, value] of ddl.matchAll(/^\s*'([^']+)' = '([^']*)'/gm)) {
        const got = input!.Parameters[key!];
        const text = typeof got === 'string' ? got : got!['Fn::Sub'].replace(/\$\{StateBucket\}/, 'bucket');
        expect(text.replace(/\$\{!/g, '${'), key).toBe(value);
      }
    }
  });

  it('sets SENTINEL_CONFIG to a configuration the schema accepts: athena, s3://, ses, eventbridge', () => {
    const fn = template.Resources.DetectLambdaFunction!.Properties as {
      Environment: { Variables: { SENTINEL_CONFIG: { 'Fn::Sub': string } } };
    };
    const text = fn.Environment.Variables.SENTINEL_CONFIG['Fn::Sub']
      .replace(/\$\{StateBucket\}/g, 'state-bucket')
      .replace(/\$\{HttpApi\}/g, 'abc123')
      .replace(/\$\{AWS::Region\}/g, 'us-east-1')
      .replace(/\$\{AWS::URLSuffix\}/g, 'amazonaws.com');
    const config = parseConfig(JSON.parse(text), 'SENTINEL_CONFIG');
    expect(config.engine).toBe('athena');
    expect(config.out).toBe('s3://state-bucket/state');
    expect(config.notify.transport).toBe('ses');
    expect(config.events.transport).toBe('eventbridge');
    expect(config.notify.ack_base_url).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/ack');
    expect(config.notify.reply_to).toBe(EXAMPLE_PARAMS.replyTo);
    expect(config.notify.pilot).toBe(false);
    expect(config.schedule.detect).toBe('cron(0 6 * * ? *)');
    // The hourly function watches Bedrock's CloudWatch metrics (the deploy parameter `watch`, default on).
    expect(config.watch).toMatchObject({ enabled: true, source: 'cloudwatch' });
  });

  it('ships every file of sql/ and templates/ beside each bundle (the assets loader reads them there)', () => {
    const shipped = (dir: string): string[] =>
      readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name !== 'README.md')
        .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
    const wanted = [...shipped('sql'), ...shipped('templates')];
    expect(wanted).toContain('templates/pages/ack.html.hbs');
    for (const alias of Object.keys(BUNDLES)) {
      const names = new Set(zipEntryNames(readFileSync(join(artifactDir, `${alias}.zip`))));
      expect(
        wanted.filter((f) => !names.has(f)),
        alias,
      ).toEqual([]);
    }
  });

  it('each bundle imports in a fresh Node process, without DuckDB', () => {
    for (const [alias, file] of Object.entries(BUNDLES)) {
      const dir = mkdtempSync(join(tmpdir(), `sentinel-${alias}-`));
      try {
        extractZip(readFileSync(join(artifactDir, `${alias}.zip`)), dir);
        const bundle = readFileSync(join(dir, 'functions', 'handlers', `${file}.mjs`), 'utf8');
        expect(bundle).not.toMatch(/node-bindings|duckdb\.node/);
        // The IAM simulator is AGPL and test-only: no bundle carries it (docs/decisions/011-iam-by-evaluation.md).
        expect(bundle).not.toMatch(/cloud-copilot|iam-simulate/);
        const run = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import('./functions/handlers/${file}.mjs'); if (typeof m.handler !== 'function') process.exit(3);`,
          ],
          { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
        );
        expect(run.status, `${alias}: ${run.stderr}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('the roles (one per function, least privilege)', () => {
  type Statement = { Effect: string; Action: string[]; Resource: unknown };
  const grants = (role: string): { action: string; resource: string }[] => {
    const policies = (
      template.Resources[role]!.Properties as {
        Policies: { PolicyDocument: { Statement: Statement[] } }[];
      }
    ).Policies;
    return policies.flatMap((p) =>
      p.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
        [s.Resource]
          .flat()
          .flatMap((r) => s.Action.map((action) => ({ action, resource: JSON.stringify(r) }))),
      ),
    );
  };
  const on = (role: string, action: string) =>
    grants(role)
      .filter((g) => g.action === action)
      .map((g) => g.resource);

  it('grants "*" only to the watch: CloudWatch GetMetricData and ListMetrics, on the hourly function', () => {
    const everywhere = ['DetectRole', 'FollowUpRole', 'AckRole'].flatMap((role) =>
      grants(role)
        .filter((g) => g.resource === '"*"')
        .map((g) => `${role} ${g.action}`),
    );
    expect(everywhere.sort()).toEqual([
      'FollowUpRole cloudwatch:GetMetricData',
      'FollowUpRole cloudwatch:ListMetrics',
    ]);
  });

  it('the check allows "*" on that statement alone: another action beside them, or another statement, is refused', async () => {
    const broken = copy();
    const statements = (role: string) =>
      (broken.Resources[role]!.Properties as { Policies: { PolicyDocument: { Statement: Statement[] } }[] })
        .Policies[0]!.PolicyDocument.Statement as unknown as Record<string, unknown>[];
    const read = statements('FollowUpRole').find((s) => s.Sid === 'ReadBedrockMetrics')!;
    read.Action = ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics', 'cloudwatch:PutMetricData'];
    statements('AckRole').push({
      Sid: 'ReadBedrockMetrics',
      Effect: 'Allow',
      Action: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
      Resource: '*',
    });
    const problems = (await checkTemplate(broken, EXPECT)).filter((p) => /Allow on every resource/.test(p));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['FollowUpRole']);
    // The ack role's copy is the same statement: allowed by the check, refused by the roles test above.
    expect(await checkTemplate(template, EXPECT)).toEqual([]);
  });

  it('lets detect create and drop only sentinel_staging_* tables', () => {
    for (const action of ['glue:CreateTable', 'glue:DeleteTable', 'glue:UpdateTable']) {
      const tables = on('DetectRole', action).filter((r) => r.includes(':table/'));
      expect(tables, action).toEqual([expect.stringContaining(':table/sentinel_prod/sentinel_staging_*')]);
    }
  });

  it('lets detect write only the case store and the Athena result location of the state bucket', () => {
    const writes = on('DetectRole', 's3:PutObject');
    expect(writes).toHaveLength(2);
    for (const prefix of ['/state/*', '/athena-results/*']) {
      expect(
        writes.some((r) => /\$\{StateBucket\}/.test(r) && r.includes(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it('expires CTAS staging data where Athena writes it (<result location>/tables/), and names no prefix nothing writes', () => {
    const workgroup = template.Resources.AthenaWorkGroup!.Properties as {
      WorkGroupConfiguration: { ResultConfiguration: { OutputLocation: { 'Fn::Sub': string } } };
    };
    const results = workgroup.WorkGroupConfiguration.ResultConfiguration.OutputLocation['Fn::Sub'].replace(
      /^s3:\/\/\$\{StateBucket\}\//,
      '',
    );
    const rules = (
      template.Resources.StateBucket!.Properties as {
        LifecycleConfiguration: { Rules: { Id: string; Prefix?: string; ExpirationInDays?: number }[] };
      }
    ).LifecycleConfiguration.Rules;
    const ctas = rules.find((r) => r.Prefix === `${results}tables/`);
    expect(ctas, `a rule on ${results}tables/`).toBeDefined();
    expect(ctas!.ExpirationInDays).toBeLessThanOrEqual(2);
    // Every prefixed rule is under the result location (or the case store): none on a prefix nothing writes.
    for (const rule of rules.filter((r) => r.Prefix))
      expect(rule.Prefix!.startsWith(results), rule.Id).toBe(true);
    expect(JSON.stringify(template)).not.toContain('athena-staging');
  });

  it('keeps the state bucket versioned, noncurrent versions expiring after 30 days', () => {
    const bucket = template.Resources.StateBucket!.Properties as {
      VersioningConfiguration?: { Status: string };
      LifecycleConfiguration: {
        Rules: {
          Status: string;
          Prefix?: string;
          NoncurrentVersionExpiration?: { NoncurrentDays: number };
        }[];
      };
    };
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const noncurrent = bucket.LifecycleConfiguration.Rules.filter((r) => r.NoncurrentVersionExpiration);
    expect(noncurrent).toEqual([
      expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    ]);
    expect(noncurrent[0]!.Prefix).toBeUndefined();
  });

  it('throttles the public /ack stage (burst 20, 10 requests/s)', () => {
    const stage = Object.values(template.Resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    expect((stage!.Properties as { DefaultRouteSettings: unknown }).DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: 20,
      ThrottlingRateLimit: 10,
    });
  });

  it('lets CloudFormation name the signing secret, so a rolled-back first deploy can be retried', () => {
    const secret = template.Resources.SigningSecret!.Properties as Record<string, unknown>;
    expect(secret.Name).toBeUndefined();
    const fn = template.Resources.DetectLambdaFunction!.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Environment.Variables.SENTINEL_SIGNING_SECRET_ARN).toEqual({ Ref: 'SigningSecret' });
    // DEPLOY.md's commands take the secret from the stack's output, never from a fixed name.
    const deploy = readFileSync(join(root, 'DEPLOY.md'), 'utf8');
    expect(deploy).not.toMatch(/secret-id ai-spend-sentinel\//);
    expect(deploy).toMatch(/SigningSecretArn/);
  });

  it('lets detect and follow-up decrypt an SSE-KMS owners file with its key, through S3 only', () => {
    for (const role of ['DetectRole', 'FollowUpRole']) {
      expect(on(role, 'kms:Decrypt'), role).toContainEqual(JSON.stringify(EXAMPLE_PARAMS.ownersKmsKeyArn));
    }
    expect(on('AckRole', 'kms:Decrypt')).toEqual([]);
  });

  it('lets detect read the export prefix, decrypt with its key through S3, and run queries in its workgroup only', () => {
    expect(on('DetectRole', 's3:GetObject')).toContainEqual(
      expect.stringMatching(/s3:::example-focus-exports\/exports\/sentinel-focus\/data\/\*"/),
    );
    expect(on('DetectRole', 'kms:Decrypt')).toContainEqual(JSON.stringify(EXAMPLE_PARAMS.exportKmsKeyArn));
    expect(on('DetectRole', 'athena:StartQueryExecution')).toEqual([
      expect.stringContaining(':workgroup/ai-spend-sentinel-prod'),
    ]);
  });

  it('puts no action that carries no s3:prefix under an s3:prefix condition', () => {
    for (const role of ['DetectRole', 'FollowUpRole', 'AckRole']) {
      const policies = (
        template.Resources[role]!.Properties as {
          Policies: { PolicyDocument: { Statement: (Statement & { Condition?: object })[] } }[];
        }
      ).Policies;
      for (const st of policies.flatMap((p) => p.PolicyDocument.Statement)) {
        if (!JSON.stringify(st.Condition ?? {}).includes('s3:prefix')) continue;
        expect(st.Action, role).toEqual(['s3:ListBucket']);
      }
    }
  });

  it('gives follow-up no Athena, Glue or export access (KMS only for the owners file), and ack no mail, no Athena and no deletes', () => {
    const follow = grants('FollowUpRole').map((g) => g.action);
    expect(follow.filter((a) => /^(athena|glue):/.test(a))).toEqual([]);
    expect(on('FollowUpRole', 's3:GetObject').some((r) => r.includes('example-focus-exports/exports'))).toBe(
      false,
    );
    const ack = grants('AckRole').map((g) => g.action);
    expect(ack.filter((a) => /^(athena|glue|kms|ses):|DeleteObject/.test(a))).toEqual([]);
    expect(follow.filter((a) => a === 'kms:Decrypt')).toHaveLength(1);
    expect(on('AckRole', 's3:PutObject')).toEqual([
      expect.stringContaining('/state/cases/*'),
      expect.stringContaining('/state/case-events/*'),
    ]);
  });

  it('tells an account under Lake Formation the grant for each Glue action of the detect role (DEPLOY.md)', () => {
    // Lake Formation's permission for each Glue action the detect role may take (Athena asks both).
    const LAKE_FORMATION: Record<string, string> = {
      'glue:GetDatabase': 'DESCRIBE',
      'glue:GetTable': 'DESCRIBE',
      'glue:GetTables': 'DESCRIBE',
      'glue:GetPartition': 'SELECT',
      'glue:GetPartitions': 'SELECT',
      'glue:BatchGetPartition': 'SELECT',
      'glue:CreateTable': 'CREATE_TABLE',
      'glue:UpdateTable': 'ALTER',
      'glue:DeleteTable': 'DROP',
      'glue:BatchDeletePartition': 'DROP',
    };
    const deploy = readFileSync(join(root, 'DEPLOY.md'), 'utf8');
    const section = /^## Lake Formation\n([\s\S]*?)^## /m.exec(deploy)?.[1] ?? '';
    expect(section, 'a Lake Formation section in DEPLOY.md').toMatch(/aws lakeformation grant-permissions/);
    expect(section).toMatch(/ai-spend-sentinel-prod-detect-us-east-1/);
    const glue = [...new Set(grants('DetectRole').map((g) => g.action))].filter((a) => a.startsWith('glue:'));
    expect(glue.length).toBeGreaterThan(0);
    for (const action of glue) {
      const permission = LAKE_FORMATION[action];
      expect(permission, `${action} has a Lake Formation permission`).toBeDefined();
      expect(section, `${action} → ${permission}`).toContain(permission!);
    }
    // Neither follow-up nor ack touches Glue: the section says no grant is needed for them.
    for (const role of ['FollowUpRole', 'AckRole']) {
      expect(
        grants(role).filter((g) => g.action.startsWith('glue:')),
        role,
      ).toEqual([]);
    }
    expect(section).toMatch(/Follow-up and ack make no\s+Athena or Glue call/);
  });

  it('lets every function read the signing secret and publish to the one bus', () => {
    for (const role of ['DetectRole', 'FollowUpRole', 'AckRole']) {
      expect(on(role, 'secretsmanager:GetSecretValue'), role).toEqual([
        JSON.stringify({ Ref: 'SigningSecret' }),
      ]);
      expect(on(role, 'events:PutEvents'), role).toEqual([expect.stringContaining(':event-bus/default')]);
    }
  });
});

interface GlueTableInput {
  Name: string;
  Parameters: Record<string, string | { 'Fn::Sub': string }>;
  PartitionKeys: { Name: string }[];
  StorageDescriptor: { Columns: { Name: string }[] };
}

describe('deploy-time parameters', () => {
  const { derive, sentinelConfigOf } = createRequire(import.meta.url)('../../infra/parameters.cjs') as {
    derive: (raw: Record<string, unknown>, stage: string) => Record<string, unknown>;
    sentinelConfigOf: (p: Record<string, unknown>) => { 'Fn::Sub': string };
  };
  const valid = {
    exportLocation: 's3://cur-exports/focus/sentinel/data',
    from: 'sentinel@example.com',
    finops: 'finops@example.com',
    eventBus: 'default',
    detectSchedule: 'cron(0 6 * * ? *)',
    followUpSchedule: 'rate(1 hour)',
    bytesScannedCutoff: '107374182400',
    pilot: 'false',
    watch: 'true',
  };
  const configOf = (raw: Record<string, unknown>) =>
    parseConfig(
      JSON.parse(
        sentinelConfigOf(derive(raw, 'prod'))
          ['Fn::Sub'].replace(/\$\{StateBucket\}/g, 'state-bucket')
          .replace(/\$\{[^}]+\}/g, 'x'),
      ),
      'SENTINEL_CONFIG',
    );

  it('turns the watch off with watch=false (the hourly function then only follows up)', () => {
    const { sentinelConfigOf } = createRequire(import.meta.url)('../../infra/parameters.cjs') as {
      sentinelConfigOf: (p: unknown) => { 'Fn::Sub': string };
    };
    const config = (watch: string) =>
      JSON.parse(sentinelConfigOf(derive({ ...valid, watch }, 'prod'))['Fn::Sub']) as { watch: unknown };
    expect(config('false').watch).toEqual({ enabled: false, source: 'cloudwatch' });
    expect(config('true').watch).toEqual({ enabled: true, source: 'cloudwatch' });
  });

  it('accepts the required parameters alone and creates the FOCUS table', () => {
    expect(derive(valid, 'prod')).toMatchObject({
      database: 'sentinel_prod',
      focus: { database: 'sentinel_prod', table: 'focus', created: true },
      escalation: ['finops@example.com'],
    });
  });

  it.each([
    [{ exportLocation: null }, /parameter exportLocation: is required/],
    [{ exportLocation: 's3://cur-exports' }, /exportLocation: must name the export folder/],
    [{ from: 'not-an-address' }, /parameter from: 'not-an-address' is not an email address/],
    [{ focusTable: 'focus' }, /parameter focusTable: 'focus' is not database.table/],
    [{ owners: 's3://cur-exports/owners.txt' }, /parameter owners: .* must name a .csv or .yaml file/],
    [{ exportKmsKeyArn: 'alias/cur' }, /parameter exportKmsKeyArn: 'alias\/cur' is not a KMS key ARN/],
    [{ detectSchedule: 'weekly' }, /parameter detectSchedule: 'weekly' is not an EventBridge/],
    [{ bytesScannedCutoff: '5' }, /parameter bytesScannedCutoff: must be a whole number/],
    [{ pilot: 'yes' }, /parameter pilot: 'yes' is not true or false/],
    [{ replyTo: 'finops' }, /parameter replyTo: 'finops' is not an email address/],
    [{ alarmEmail: 'ops@' }, /parameter alarmEmail: 'ops@' is not an email address/],
    [{ alarmTopicArn: 'ops-alerts' }, /parameter alarmTopicArn: 'ops-alerts' is not an SNS topic ARN/],
    [
      { alarmEmail: 'ops@example.com', alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:ops-alerts' },
      /parameter alarmEmail: subscribes an address to the topic the stack creates/,
    ],
    [{ watch: 'maybe' }, /parameter watch: 'maybe' is not true or false/],
  ])('refuses %o naming the parameter', (change, message) => {
    expect(() => derive({ ...valid, ...change }, 'prod')).toThrow(message);
  });

  it('carries pilot and replyTo into SENTINEL_CONFIG (notify.pilot, notify.reply_to)', () => {
    expect(configOf(valid).notify).toMatchObject({ pilot: false, reply_to: null });
    expect(configOf({ ...valid, pilot: 'true', replyTo: 'finops-team@example.com' }).notify).toMatchObject({
      pilot: true,
      reply_to: 'finops-team@example.com',
    });
    // osls hands a YAML default over as a boolean.
    expect(configOf({ ...valid, pilot: true }).notify.pilot).toBe(true);
  });
});

describe('alarms: trouble reaches a person (DEPLOY.md "Alarms")', () => {
  const require = createRequire(import.meta.url);
  const { derive } = require('../../infra/parameters.cjs') as {
    derive: (raw: Record<string, unknown>, stage: string) => unknown;
  };
  const { alarmResources, RUN_TROUBLE_PATTERN } = require('../../infra/alarms.cjs') as {
    alarmResources: (p: unknown) => Template & { Outputs: Record<string, { Value: unknown }> };
    RUN_TROUBLE_PATTERN: { source: string[]; 'detail-type': string[]; detail: { command: string[] } };
  };
  const props = (id: string) => template.Resources[id]!.Properties as Record<string, unknown>;

  it("routes the scheduled detection's Run Failed and Data Stale to the topic, with the pattern DEPLOY.md shows", () => {
    const rule = props('RunTroubleRule');
    expect(rule.EventPattern).toEqual(RUN_TROUBLE_PATTERN);
    expect(RUN_TROUBLE_PATTERN.source).toEqual([EVENT_SOURCE]);
    for (const type of RUN_TROUBLE_PATTERN['detail-type']) expect(EVENT_DETAIL_TYPES).toContain(type);
    // The scheduled detection's own command (functions/handlers/detect.ts), the only one routed.
    expect(RUN_TROUBLE_PATTERN.detail.command).toEqual(['scheduled-detect']);
    expect(rule.EventBusName).toBe('default');
    expect(rule.Targets).toEqual([{ Id: 'alarm-topic', Arn: { Ref: 'AlarmTopic' } }]);
    const deploy = readFileSync(join(root, 'DEPLOY.md'), 'utf8');
    const section = /^## Alarms\n([\s\S]*?)^## /m.exec(deploy)?.[1] ?? '';
    const shown = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(shown, 'the rule pattern in DEPLOY.md "Alarms"').toContainEqual(RUN_TROUBLE_PATTERN);
  });

  it("lets only this rule and this stack's alarms publish to the topic it creates, and subscribes alarmEmail", () => {
    const topic = 'arn:aws:sns:us-east-1:111122223333:ai-spend-sentinel-prod-alarms';
    const rule = 'arn:aws:events:us-east-1:111122223333:rule/ai-spend-sentinel-prod-run-trouble';
    const policy = resolveIntrinsics(props('AlarmTopicPolicy').PolicyDocument, {
      ...VALUES,
      AlarmTopic: topic,
      'RunTroubleRule.Arn': rule,
    }) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: {
          ArnLike: {
            'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:ai-spend-sentinel-prod-*',
          },
          StringEquals: { 'aws:SourceAccount': '111122223333' },
        },
      }),
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: { ArnEquals: { 'aws:SourceArn': rule } },
      }),
    ]);
    for (const id of Object.keys(template.Resources).filter((k) => k.endsWith('Alarm'))) {
      expect(String(props(id).AlarmName), id).toMatch(/^ai-spend-sentinel-prod-/);
    }
    expect(props('AlarmEmailSubscription')).toEqual({
      TopicArn: { Ref: 'AlarmTopic' },
      Protocol: 'email',
      Endpoint: EXAMPLE_PARAMS.alarmEmail,
    });
  });

  it('keeps failed invocations 14 days and alarms while any is unread', () => {
    expect(props('FailedInvocationsQueue')).toMatchObject({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
    expect(props('FailedInvocationsAlarm')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('with an existing topic (alarmTopicArn): creates no topic and touches no policy; every alarm and the rule notify it', () => {
    const arn = 'arn:aws:sns:us-east-1:111122223333:ops-alerts';
    const fragment = alarmResources(
      derive(
        {
          exportLocation: 's3://cur-exports/focus/sentinel/data',
          from: 'sentinel@example.com',
          finops: 'finops@example.com',
          eventBus: 'sentinel',
          detectSchedule: 'cron(0 6 * * ? *)',
          followUpSchedule: 'rate(1 hour)',
          bytesScannedCutoff: '107374182400',
          pilot: 'false',
          watch: 'true',
          alarmTopicArn: arn,
        },
        'prod',
      ),
    );
    const types = Object.values(fragment.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::SNS::Topic');
    expect(types).not.toContain('AWS::SNS::TopicPolicy');
    expect(types).not.toContain('AWS::SNS::Subscription');
    const alarms = Object.values(fragment.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(4);
    for (const a of alarms) expect(a.Properties!.AlarmActions).toEqual([arn]);
    expect(fragment.Resources.RunTroubleRule!.Properties).toMatchObject({
      EventBusName: 'sentinel',
      Targets: [{ Id: 'alarm-topic', Arn: arn }],
    });
    expect(fragment.Outputs.AlarmTopicArn!.Value).toBe(arn);
  });
});

/** The example deployment's values for the template's pseudo parameters and resources. */
const VALUES: TemplateValues = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '111122223333',
  'AWS::URLSuffix': 'amazonaws.com',
  StateBucket: 'sentinel-state-example',
  SigningSecret: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:SigningSecret-Ab12Cd',
  HttpApi: 'abc123',
  'FailedInvocationsQueue.Arn':
    'arn:aws:sqs:us-east-1:111122223333:ai-spend-sentinel-prod-failed-invocations',
};

describe('the roles, evaluated as IAM would (iam-simulate)', () => {
  const decide = async (t: Template, role: string, request: Omit<IamRequest, 'why'>) => {
    const policy: PolicyDocument = rolePolicy(t, role, VALUES);
    const principal = { arn: roleArn(t, role, VALUES), account: VALUES['AWS::AccountId']! };
    const decision = await evaluate({ ...request, why: 'test' }, policy, principal);
    expect(decision.error, `${request.action} ${request.resource}`).toBeUndefined();
    return decision.allowed;
  };
  const identity = (name: string) => `arn:aws:ses:us-east-1:111122223333:identity/${name}`;

  it('lets detect and follow-up send from the from address to any recipient SES checks in the sandbox', async () => {
    for (const role of ['DetectRole', 'FollowUpRole']) {
      const send = (resource: string, from: string) =>
        decide(template, role, {
          action: 'ses:SendEmail',
          resource,
          context: { 'ses:FromAddress': from, 'ses:Recipients': ['dana.owner@example.org'] },
        });
      // The sender's identity, and (SES sandbox) the recipient's verified identity too.
      expect(await send(identity(EXAMPLE_PARAMS.from!), EXAMPLE_PARAMS.from!), role).toBe(true);
      expect(await send(identity('example.com'), EXAMPLE_PARAMS.from!), role).toBe(true);
      expect(await send(identity('dana.owner@example.org'), EXAMPLE_PARAMS.from!), role).toBe(true);
      // Never as anyone else.
      expect(await send(identity('dana.owner@example.org'), 'ceo@example.com'), role).toBe(false);
    }
    expect(
      await decide(template, 'AckRole', {
        action: 'ses:SendEmail',
        resource: identity(EXAMPLE_PARAMS.from!),
        context: { 'ses:FromAddress': EXAMPLE_PARAMS.from! },
      }),
    ).toBe(false);
  });

  it('lets detect and follow-up send a failed invocation to the failed-invocations queue, and nowhere else', async () => {
    const queue = VALUES['FailedInvocationsQueue.Arn']!;
    const other = 'arn:aws:sqs:us-east-1:111122223333:someone-elses-queue';
    for (const role of ['DetectRole', 'FollowUpRole']) {
      expect(await decide(template, role, { action: 'sqs:SendMessage', resource: queue }), role).toBe(true);
      expect(await decide(template, role, { action: 'sqs:SendMessage', resource: other }), role).toBe(false);
    }
    // ack is invoked synchronously by the HTTP API: it has no asynchronous destination.
    expect(await decide(template, 'AckRole', { action: 'sqs:SendMessage', resource: queue })).toBe(false);
  });

  // One more packaging, with the options off by default turned on: the user's own FOCUS table and the
  // kill switch (docs/kill-switch.md).
  describe('with a FOCUS table the user already has (partitions in the catalog) and the kill switch on', () => {
    let own: Template;
    let out: string;
    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'sentinel-package-focus-'));
      const params = {
        ...EXAMPLE_PARAMS,
        focusTable: 'cur.focus_export',
        killSwitch: 'enforce',
        killSwitchAccounts: '222233334444',
        breakGlassRole: 'arn:aws:iam::*:role/BreakGlass',
      };
      const status = packageOffline(
        Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
        { quiet: true, out },
      );
      if (status !== 0) throw new Error(`packaging with focusTable and killSwitch failed (${status})`);
      own = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    }, 120_000);
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('passes the template check: the Organizations reads that take no resource are the only "*"', async () => {
      expect(await checkTemplate(own, { ...EXPECT, artifactDir: out })).toEqual([]);
      const fn = own.Resources.FollowUpLambdaFunction!.Properties as {
        Environment: { Variables: Record<string, unknown> };
      };
      expect(fn.Environment.Variables.SENTINEL_ACCOUNT_ID).toEqual({ Ref: 'AWS::AccountId' });
      const text = (fn.Environment.Variables.SENTINEL_CONFIG as { 'Fn::Sub': string })['Fn::Sub'];
      expect(JSON.parse(text).kill_switch).toMatchObject({ mode: 'enforce', transport: 'organizations' });
    });

    it('lets detect list the table (information_schema) and read its catalog partitions', async () => {
      const glue = 'arn:aws:glue:us-east-1:111122223333';
      for (const action of ['glue:GetTables', 'glue:GetPartitions', 'glue:BatchGetPartition']) {
        for (const resource of [
          `${glue}:catalog`,
          `${glue}:database/cur`,
          `${glue}:table/cur/focus_export`,
        ]) {
          expect(await decide(own, 'DetectRole', { action, resource }), `${action} ${resource}`).toBe(true);
        }
      }
      // Only that table of the user's database.
      expect(
        await decide(own, 'DetectRole', { action: 'glue:GetTable', resource: `${glue}:table/cur/payroll` }),
      ).toBe(false);
    });
  });
});
