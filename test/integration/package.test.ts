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
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ATHENA_TABLES, tableDdl } from '../../functions/core/sql/ddl.js';
import {
  checkTemplate,
  type Expectations,
  extractZip,
  type Template,
  zipEntryNames,
} from './template-check.js';

const root = join(import.meta.dirname, '..', '..');
const artifactDir = join(root, '.serverless');
const EXPECT: Expectations = {
  functions: {
    detect: { handler: 'functions/handlers/detect.handler', timeout: 900, asyncRetries: 0 },
    followUp: { handler: 'functions/handlers/follow-up.handler', asyncRetries: 0 },
    ack: { handler: 'functions/handlers/ack.handler' },
  },
  schedules: { detect: 'cron(0 6 ? * MON *)', followUp: 'rate(1 hour)' },
  routes: { 'GET /ack': 'ack', 'POST /ack': 'ack' },
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
      /function detect: 2 asynchronous retries, not 0/,
    ]) {
      expect(
        problems.some((p) => fault.test(p)),
        `${fault} in\n${problems.join('\n')}`,
      ).toBe(true);
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

  it('lets detect create and drop only sentinel_staging_* tables', () => {
    for (const action of ['glue:CreateTable', 'glue:DeleteTable', 'glue:UpdateTable']) {
      const tables = on('DetectRole', action).filter((r) => r.includes(':table/'));
      expect(tables, action).toEqual([expect.stringContaining(':table/sentinel_prod/sentinel_staging_*')]);
    }
  });

  it('lets detect write only the case store and the Athena result prefixes of the state bucket', () => {
    const writes = on('DetectRole', 's3:PutObject');
    expect(writes).toHaveLength(3);
    for (const prefix of ['/state/*', '/athena-results/*', '/athena-staging/*']) {
      expect(
        writes.some((r) => /\$\{StateBucket\}/.test(r) && r.includes(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it('lets detect read the export prefix, decrypt with its key through S3, and run queries in its workgroup only', () => {
    expect(on('DetectRole', 's3:GetObject')).toContainEqual(
      expect.stringMatching(/s3:::example-focus-exports\/exports\/sentinel-focus\/data\/\*"/),
    );
    expect(on('DetectRole', 'kms:Decrypt')).toEqual([
      JSON.stringify('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ]);
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

  it('gives follow-up no Athena, Glue or export access, and ack no mail, no Athena and no deletes', () => {
    const follow = grants('FollowUpRole').map((g) => g.action);
    expect(follow.filter((a) => /^(athena|glue|kms):/.test(a))).toEqual([]);
    expect(on('FollowUpRole', 's3:GetObject').some((r) => r.includes('example-focus-exports/exports'))).toBe(
      false,
    );
    const ack = grants('AckRole').map((g) => g.action);
    expect(ack.filter((a) => /^(athena|glue|kms|ses):|DeleteObject/.test(a))).toEqual([]);
    expect(on('AckRole', 's3:PutObject')).toEqual([
      expect.stringContaining('/state/cases/*'),
      expect.stringContaining('/state/case-events/*'),
    ]);
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
  const { derive } = createRequire(import.meta.url)('../../infra/parameters.cjs') as {
    derive: (raw: Record<string, unknown>, stage: string) => Record<string, unknown>;
  };
  const valid = {
    exportLocation: 's3://cur-exports/focus/sentinel/data',
    from: 'sentinel@example.com',
    finops: 'finops@example.com',
    eventBus: 'default',
    detectSchedule: 'cron(0 6 ? * MON *)',
    followUpSchedule: 'rate(1 hour)',
    bytesScannedCutoff: '107374182400',
  };

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
  ])('refuses %o naming the parameter', (change, message) => {
    expect(() => derive({ ...valid, ...change }, 'prod')).toThrow(message);
  });
});
