/**
 * Benchmark-sized exports (millions of rows) in bounded memory. The labelled organization still
 * comes from the TypeScript model; the remaining accounts are synthesized inside DuckDB from
 * `range()` and seeded hashes, one billing period at a time, straight into Parquet.
 * Filler Bedrock spend is steady (no incident may hide in it): every labelled incident stays the
 * only thing a detector should report.
 */

import { DAY_MS, msOf } from './calendar.js';
import { REGIONS } from './catalog.js';
import { planOrganization, type SyntheticOrganization } from './organization.js';
import {
  type FocusExportOptions,
  type FocusExportSummary,
  loadFocusRows,
  openFocusSession,
  sqlString,
  type WrittenPeriod,
  writeExportPeriods,
} from './write-export.js';

export interface ScaleExportOptions extends FocusExportOptions {
  seed: number;
  /** Target row count of the whole export. */
  rows: number;
  /** Accounts in the organization (default 500). */
  accounts: number;
  days: number;
  end: string;
  /** Accounts modelled in TypeScript, incidents included (default 40). */
  modelledAccounts?: number;
  memoryLimit?: string;
  onPeriod?: (period: WrittenPeriod) => void;
}

export interface ScaleExportResult {
  organization: Omit<SyntheticOrganization, 'rows'>;
  summary: FocusExportSummary;
  modelledRows: number;
  fillerRows: number;
  bedrockFillerRows: number;
}

export const DEFAULT_MODELLED_ACCOUNTS = 40;
/** One account in this many filler accounts uses Bedrock, with a steady cached workload. */
const BEDROCK_FILLER_EVERY = 5;
const BEDROCK_FILLER_CLASSES = 4;

export function minimumScaleRows(modelledRows: number, fillerAccounts: number, days: number): number {
  return (
    modelledRows + bedrockFillerAccounts(fillerAccounts) * days * BEDROCK_FILLER_CLASSES + fillerAccounts
  );
}

function bedrockFillerAccounts(fillerAccounts: number): number {
  return Math.ceil(fillerAccounts / BEDROCK_FILLER_EVERY);
}

export async function writeScaleExport(dir: string, options: ScaleExportOptions): Promise<ScaleExportResult> {
  const modelledAccounts = Math.min(options.accounts, options.modelledAccounts ?? DEFAULT_MODELLED_ACCOUNTS);
  const fillerAccounts = options.accounts - modelledAccounts;
  const { accountRows, ...organization } = planOrganization({
    seed: options.seed,
    accounts: modelledAccounts,
    days: options.days,
    end: options.end,
  });
  const bedrockFillerRows = bedrockFillerAccounts(fillerAccounts) * options.days * BEDROCK_FILLER_CLASSES;

  const session = await openFocusSession({ memoryLimit: options.memoryLimit ?? '400MB' });
  try {
    // Row order inside a file carries no meaning; letting DuckDB write in parallel is what makes 10 M rows fast.
    await session.connection.run('SET preserve_insertion_order = false');
    // One modelled account at a time, so the JavaScript heap never holds the whole organization.
    let modelledRows = 0;
    for (let i = 0; i < organization.accounts.length; i++) {
      const rows = accountRows(i);
      modelledRows += rows.length;
      await loadFocusRows(session.connection, rows);
    }
    const fillerRows = options.rows - modelledRows - bedrockFillerRows;
    if (fillerAccounts > 0 && fillerRows < fillerAccounts) {
      throw new RangeError(
        `rows must be at least ${minimumScaleRows(modelledRows, fillerAccounts, options.days)} for ${options.accounts} accounts over ${options.days} days`,
      );
    }
    const plan: FillerPlan = {
      seed: options.seed >>> 0,
      start: organization.start,
      days: options.days,
      fillerAccounts,
      fillerRows: Math.max(0, fillerRows),
      payerAccountId: organization.payerAccountId,
    };
    const periods = monthsBetween(organization.start, organization.end);
    const summary = await writeExportPeriods(
      session.connection,
      dir,
      periods,
      (period) => {
        const selects = [`SELECT * FROM focus_staging WHERE billing_period = ${sqlString(period)}`];
        if (fillerAccounts > 0) {
          selects.push(everydayFillerSql(plan, period), bedrockFillerSql(plan, period));
        }
        return selects.join('\nUNION ALL\n');
      },
      { payerAccountId: organization.payerAccountId, ...options },
      options.onPeriod,
    );
    return {
      organization,
      summary,
      modelledRows,
      fillerRows: Math.max(0, fillerRows),
      bedrockFillerRows: fillerAccounts > 0 ? bedrockFillerRows : 0,
    };
  } finally {
    session.close();
  }
}

interface FillerPlan {
  seed: number;
  start: string;
  days: number;
  fillerAccounts: number;
  fillerRows: number;
  payerAccountId: string;
}

export function monthsBetween(start: string, end: string): string[] {
  const out: string[] = [];
  let year = Number(start.slice(0, 4));
  let month = Number(start.slice(5, 7));
  const last = end.slice(0, 7);
  for (;;) {
    const period = `${year}-${String(month).padStart(2, '0')}`;
    out.push(period);
    if (period >= last) return out;
    month++;
    if (month > 12) {
      month = 1;
      year++;
    }
  }
}

/** Day indices [first, last] of `period` inside the generated range. */
function periodDayIndices(plan: FillerPlan, period: string): [number, number] {
  const startMs = msOf(plan.start);
  const periodStart = msOf(`${period}-01`);
  const [y, m] = period.split('-').map(Number) as [number, number];
  const periodEnd = Date.UTC(y, m, 1);
  const first = Math.max(0, Math.round((periodStart - startMs) / DAY_MS));
  const last = Math.min(plan.days - 1, Math.round((periodEnd - startMs) / DAY_MS) - 1);
  return [first, last];
}

/** Shared per-account attributes of filler accounts, all derived from the seed. */
function fillerAccountsSql(plan: FillerPlan): string {
  const teams = sqlList([
    'search',
    'payments',
    'data',
    'support',
    'growth',
    'ml',
    'identity',
    'mobile',
    'risk',
    'ops',
  ]);
  const envs = sqlList(['prod', 'prod', 'staging', 'dev']);
  const regions = sqlList(['us-east-1', 'us-east-1', 'us-east-1', 'us-west-2', 'eu-central-1']);
  return `SELECT a AS acct,
      CAST(500000000000 + hash(a, ${plan.seed}, 'account') % 499999999999 AS VARCHAR) AS account_id,
      list_extract(${teams}, CAST(1 + hash(a, ${plan.seed}, 'team') % 10 AS INTEGER)) AS team,
      list_extract(${envs}, CAST(1 + hash(a, ${plan.seed}, 'env') % 4 AS INTEGER)) AS env,
      list_extract(${regions}, CAST(1 + hash(a, ${plan.seed}, 'region') % 5 AS INTEGER)) AS region,
      'cc-' || CAST(1000 + hash(a, ${plan.seed}, 'cc') % 9000 AS VARCHAR) AS cost_center,
      CASE WHEN hash(a, ${plan.seed}, 'edp') % 2 = 0 THEN 0.06 ELSE 0.0 END AS discount
    FROM range(0, ${plan.fillerAccounts}) AS accounts(a)`;
}

const REGION_PREFIX_SQL = `CASE region ${Object.values(REGIONS)
  .map((r) => `WHEN '${r.id}' THEN '${r.prefix}'`)
  .join(' ')} END`;

interface FillerService {
  weight: number;
  servicename: string;
  category: string;
  code: string;
  usage: string;
  operation: string;
  unit: string;
  price: number;
  qmin: number;
  qmax: number;
  /** {r} region, {a} account, {id} hex id. */
  arn: string;
  description: string;
}

const FILLER_SERVICES: FillerService[] = [
  {
    weight: 22,
    servicename: 'Amazon Elastic Compute Cloud',
    category: 'Compute',
    code: 'AmazonEC2',
    usage: 'BoxUsage:m6i.xlarge',
    operation: 'RunInstances',
    unit: 'Hrs',
    price: 0.192,
    qmin: 1,
    qmax: 24,
    arn: 'arn:aws:ec2:{r}:{a}:instance/i-0{id}',
    description: '$0.192 per On Demand Linux m6i.xlarge Instance Hour',
  },
  {
    weight: 8,
    servicename: 'Amazon Elastic Compute Cloud',
    category: 'Compute',
    code: 'AmazonEC2',
    usage: 'SpotUsage:c6g.2xlarge',
    operation: 'RunInstances:SV001',
    unit: 'Hrs',
    price: 0.1088,
    qmin: 1,
    qmax: 24,
    arn: 'arn:aws:ec2:{r}:{a}:instance/i-0{id}',
    description: '$0.1088 per Spot Linux c6g.2xlarge Instance Hour',
  },
  {
    weight: 12,
    servicename: 'Amazon Elastic Compute Cloud',
    category: 'Storage',
    code: 'AmazonEC2',
    usage: 'EBS:VolumeUsage.gp3',
    operation: 'CreateVolume-Gp3',
    unit: 'GB-Mo',
    price: 0.08,
    qmin: 0.5,
    qmax: 40,
    arn: 'arn:aws:ec2:{r}:{a}:volume/vol-0{id}',
    description: '$0.08 per GB-month of General Purpose (gp3) provisioned storage',
  },
  {
    weight: 14,
    servicename: 'Amazon Simple Storage Service',
    category: 'Storage',
    code: 'AmazonS3',
    usage: 'TimedStorage-ByteHrs',
    operation: 'StandardStorage',
    unit: 'GB-Mo',
    price: 0.023,
    qmin: 1,
    qmax: 600,
    arn: 'arn:aws:s3:::acme-{id}-{a}-{r}',
    description: '$0.023 per GB - first 50 TB / month of storage used',
  },
  {
    weight: 6,
    servicename: 'Amazon Simple Storage Service',
    category: 'Storage',
    code: 'AmazonS3',
    usage: 'Requests-Tier2',
    operation: 'GetObject',
    unit: 'Requests',
    price: 0.0000004,
    qmin: 1000,
    qmax: 5000000,
    arn: 'arn:aws:s3:::acme-{id}-{a}-{r}',
    description: '$0.0004 per 1,000 GET and all other requests',
  },
  {
    weight: 9,
    servicename: 'AWS Lambda',
    category: 'Compute',
    code: 'AWSLambda',
    usage: 'Lambda-GB-Second',
    operation: 'Invoke',
    unit: 'Lambda-GB-Second',
    price: 0.0000166667,
    qmin: 100,
    qmax: 900000,
    arn: 'arn:aws:lambda:{r}:{a}:function:svc-{id}-handler',
    description: 'AWS Lambda - Total Compute - 0.0000166667 USD per GB-Second',
  },
  {
    weight: 8,
    servicename: 'AmazonCloudWatch',
    category: 'Management and Governance',
    code: 'AmazonCloudWatch',
    usage: 'DataProcessing-Bytes',
    operation: 'PutLogEvents',
    unit: 'GB',
    price: 0.5,
    qmin: 0.01,
    qmax: 6,
    arn: 'arn:aws:logs:{r}:{a}:log-group:/aws/lambda/svc-{id}-handler',
    description: '$0.50 per GB custom log data ingested',
  },
  {
    weight: 6,
    servicename: 'AWS Data Transfer',
    category: 'Networking',
    code: 'AWSDataTransfer',
    usage: 'DataTransfer-Out-Bytes',
    operation: 'InterZone-Out',
    unit: 'GB',
    price: 0.09,
    qmin: 0.1,
    qmax: 90,
    arn: 'arn:aws:ec2:{r}:{a}:natgateway/nat-0{id}',
    description: '$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier',
  },
  {
    weight: 5,
    servicename: 'Amazon Relational Database Service',
    category: 'Databases',
    code: 'AmazonRDS',
    usage: 'InstanceUsage:db.r6g.large',
    operation: 'CreateDBInstance:0016',
    unit: 'Hrs',
    price: 0.225,
    qmin: 24,
    qmax: 24,
    arn: 'arn:aws:rds:{r}:{a}:db:orders-{id}',
    description: '$0.225 per RDS db.r6g.large Single-AZ instance hour (or partial hour) running PostgreSQL',
  },
  {
    weight: 4,
    servicename: 'Amazon DynamoDB',
    category: 'Databases',
    code: 'AmazonDynamoDB',
    usage: 'ReadRequestUnits',
    operation: 'PayPerRequestThroughput',
    unit: 'ReadRequestUnits',
    price: 0.000000125,
    qmin: 10000,
    qmax: 90000000,
    arn: 'arn:aws:dynamodb:{r}:{a}:table/sessions-{id}',
    description: '$0.125 per million read request units',
  },
  {
    weight: 4,
    servicename: 'Amazon Elastic Container Service',
    category: 'Compute',
    code: 'AmazonECS',
    usage: 'Fargate-vCPU-Hours:perCPU',
    operation: 'FargateTask',
    unit: 'hours',
    price: 0.04048,
    qmin: 1,
    qmax: 400,
    arn: 'arn:aws:ecs:{r}:{a}:service/app-cluster/api-{id}',
    description: 'AWS Fargate - vCPU - per hour',
  },
  {
    weight: 2,
    servicename: 'Amazon SageMaker',
    category: 'AI and Machine Learning',
    code: 'AmazonSageMaker',
    usage: 'Host:ml.g5.xlarge',
    operation: 'RunInstance',
    unit: 'Hrs',
    price: 1.408,
    qmin: 1,
    qmax: 24,
    arn: 'arn:aws:sagemaker:{r}:{a}:endpoint/embeddings-{id}',
    description: '$1.408 per Hosting ml.g5.xlarge hour',
  },
];

function fillerServicesSql(): string {
  let bucket = 0;
  const rows = FILLER_SERVICES.map((s, i) => {
    const lo = bucket;
    bucket += s.weight;
    return `(${i}, ${lo}, ${bucket}, ${[s.servicename, s.category, s.code, s.usage, s.operation, s.unit].map(sqlString).join(', ')}, ${s.price}, ${s.qmin}, ${s.qmax}, ${sqlString(s.arn)}, ${sqlString(s.description)})`;
  });
  return `SELECT svc, bucket, servicename, category, code, usage, operation, unit, price, qmin, qmax, arn, description
    FROM (VALUES ${rows.join(',\n')}) AS v(svc, lo, hi, servicename, category, code, usage, operation, unit, price, qmin, qmax, arn, description)
    JOIN range(0, ${bucket}) AS b(bucket) ON b.bucket >= v.lo AND b.bucket < v.hi`;
}

const FILLER_SERVICE_BUCKETS = FILLER_SERVICES.reduce((sum, s) => sum + s.weight, 0);

/**
 * Everyday rows of filler accounts: row i of the whole range falls on day floor(i·days/rows), so
 * each period is an independent slice and memory stays bounded whatever the total.
 */
function everydayFillerSql(plan: FillerPlan, period: string): string {
  const [firstDay, lastDay] = periodDayIndices(plan, period);
  const n = plan.fillerRows;
  // Rows i with floor(i·days/n) in [firstDay, lastDay].
  const lo = Math.ceil((firstDay * n) / plan.days);
  const hi = Math.ceil(((lastDay + 1) * n) / plan.days);
  const seed = plan.seed;
  return `SELECT ${sqlString(plan.payerAccountId)} AS billingaccountid,
      date_trunc('month', ts) AS billingperiodstart,
      date_trunc('month', ts) + INTERVAL 1 MONTH AS billingperiodend,
      ts AS chargeperiodstart,
      ts + INTERVAL 1 DAY AS chargeperiodend,
      account_id AS subaccountid,
      'acme-' || team || '-' || env || '-' || CAST(acct AS VARCHAR) AS subaccountname,
      servicename, category AS servicecategory, code AS x_servicecode, operation AS x_operation,
      CASE WHEN region = 'us-east-1' THEN usage ELSE ${REGION_PREFIX_SQL} || '-' || usage END AS usagetype,
      'Usage' AS chargecategory,
      CAST(NULL AS VARCHAR) AS chargeclass,
      description || ' (' || region || ')' AS chargedescription,
      quantity * price AS billedcost,
      quantity * price * (1 - discount) AS effectivecost,
      quantity * price AS listcost,
      quantity AS consumedquantity, unit AS consumedunit, unit AS pricingunit, quantity AS pricingquantity,
      region AS regionid,
      replace(replace(replace(arn, '{r}', region), '{a}', account_id), '{id}', resource_hex) AS resourceid,
      MAP {'team': team, 'env': env, 'cost-center': cost_center,
           'Name': team || '-' || lower(code) || '-' || CAST(resource_no AS VARCHAR),
           'owner': team || '-oncall@example.com'} AS tags,
      'AWS' AS providername, 'Amazon Web Services, Inc.' AS publishername, 'USD' AS billingcurrency,
      ${sqlString(period)} AS billing_period
    FROM (
      SELECT g.*, a.* EXCLUDE (acct), s.* EXCLUDE (bucket),
        s.qmin + (s.qmax - s.qmin) * g.u AS quantity,
        lower(hex(hash(a.account_id, s.svc, g.resource_no, ${seed}))) AS resource_hex
      FROM (
        SELECT i,
          CAST(DATE ${sqlString(plan.start)} + CAST(i * ${plan.days} // ${n} AS INTEGER) AS TIMESTAMP) AS ts,
          hash(i, ${seed}, 'acct') % ${plan.fillerAccounts} AS acct,
          hash(i, ${seed}, 'svc') % ${FILLER_SERVICE_BUCKETS} AS bucket,
          hash(i, ${seed}, 'res') % 24 AS resource_no,
          (hash(i, ${seed}, 'qty') % 1000000) / 1000000.0 AS u
        FROM range(${lo}, ${hi}) AS r(i)
      ) AS g
      JOIN (${fillerAccountsSql(plan)}) AS a USING (acct)
      JOIN (${fillerServicesSql()}) AS s USING (bucket)
    ) AS x`;
}

/**
 * Steady cached Bedrock spend of every fifth filler account: 4 rows a day (input, cache read,
 * cache write, output), ±8% day-to-day noise, a quieter weekend, a fixed hit ratio. Nothing in
 * it can reach docs/detection.md "Runaway inference" and "Cache miss" thresholds.
 */
function bedrockFillerSql(plan: FillerPlan, period: string): string {
  const [firstDay, lastDay] = periodDayIndices(plan, period);
  const seed = plan.seed;
  // model: key, usage-type model part, unit, tokens per unit, regional $/M for input, read, write, output
  const models = `(VALUES
      (0, 'Claude4.5Sonnet', '1K tokens', 1000.0, 3.3, 0.33, 4.125, 16.5, 'anthropic.claude-sonnet-4-5-20250929-v1:0'),
      (1, 'Claude4.5Haiku', '1M tokens', 1000000.0, 1.1, 0.11, 1.375, 5.5, 'anthropic.claude-haiku-4-5-20251001-v1:0'),
      (2, 'NovaPro', '1K tokens', 1000.0, 0.8, 0.2, 0.0, 3.2, 'amazon.nova-pro-v1:0')
    ) AS m(model_no, model_key, unit, unit_tokens, p_in, p_read, p_write, p_out, profile)`;
  const classes = `(VALUES
      (0, 'input-tokens'), (1, 'cache-read-input-token-count'), (2, 'cache-write-input-token-count'), (3, 'output-tokens')
    ) AS c(cls, class_part)`;
  return `SELECT ${sqlString(plan.payerAccountId)} AS billingaccountid,
      date_trunc('month', ts) AS billingperiodstart,
      date_trunc('month', ts) + INTERVAL 1 MONTH AS billingperiodend,
      ts AS chargeperiodstart, ts + INTERVAL 1 DAY AS chargeperiodend,
      account_id AS subaccountid,
      'acme-' || team || '-' || env || '-' || CAST(acct AS VARCHAR) AS subaccountname,
      'Amazon Bedrock' AS servicename, 'AI and Machine Learning' AS servicecategory,
      'AmazonBedrock' AS x_servicecode,
      CASE WHEN ts < TIMESTAMP '2026-01-01' THEN 'Usage' ELSE 'InvokeModelStreamingInference' END AS x_operation,
      ${REGION_PREFIX_SQL} || '-' || model_key || '-' || class_part AS usagetype,
      'Usage' AS chargecategory, CAST(NULL AS VARCHAR) AS chargeclass,
      model_key || ' ' || replace(class_part, '-', ' ') || ' in ' || region AS chargedescription,
      tokens * price / 1e6 AS billedcost,
      tokens * price / 1e6 * (1 - discount) AS effectivecost,
      tokens * price / 1e6 AS listcost,
      tokens / unit_tokens AS consumedquantity, unit AS consumedunit, unit AS pricingunit,
      tokens / unit_tokens AS pricingquantity,
      region AS regionid,
      'arn:aws:bedrock:' || region || ':' || account_id || ':inference-profile/'
        || CASE WHEN region LIKE 'eu-%' THEN 'eu.' ELSE 'us.' END || profile AS resourceid,
      MAP {'team': team, 'env': env, 'cost-center': cost_center, 'app': team || '-assistant'} AS tags,
      'AWS' AS providername, 'Amazon Web Services, Inc.' AS publishername, 'USD' AS billingcurrency,
      ${sqlString(period)} AS billing_period
    FROM (
      SELECT *,
        round(prompt_tokens * CASE cls WHEN 0 THEN 1 - hit_ratio - write_share WHEN 1 THEN hit_ratio
                                       WHEN 2 THEN write_share ELSE output_share END) AS tokens,
        CASE cls WHEN 0 THEN p_in WHEN 1 THEN p_read WHEN 2 THEN p_write ELSE p_out END AS price
      FROM (
        SELECT *,
          usd * 1e6 / ((1 - hit_ratio - write_share) * p_in + hit_ratio * p_read + write_share * p_write
                       + output_share * p_out) AS prompt_tokens
        FROM (
          SELECT *,
            CASE WHEN model_no = 2 THEN 0.0 ELSE 0.04 END AS write_share,
            0.04 AS output_share,
            level_usd * wobble * CASE WHEN dayofweek(ts) IN (0, 6) THEN 0.7 ELSE 1 END AS usd
          FROM (
            SELECT a.*, d,
              CAST(DATE ${sqlString(plan.start)} + CAST(d AS INTEGER) AS TIMESTAMP) AS ts,
              hash(a.acct, ${seed}, 'model') % 3 AS model_no,
              exp(ln(2) + (ln(80) - ln(2)) * (hash(a.acct, ${seed}, 'level') % 1000) / 1000.0) AS level_usd,
              0.5 + 0.3 * (hash(a.acct, ${seed}, 'hit') % 1000) / 1000.0 AS hit_ratio,
              1 + 0.08 * (2 * (hash(a.acct, d, ${seed}, 'noise') % 1000) / 1000.0 - 1) AS wobble
            FROM (${fillerAccountsSql(plan)}) AS a
            CROSS JOIN range(${firstDay}, ${lastDay + 1}) AS days(d)
            WHERE a.acct % ${BEDROCK_FILLER_EVERY} = 0
          ) AS account_days
          JOIN ${models} USING (model_no)
        ) AS levels
      ) AS volumes
      CROSS JOIN ${classes}
    ) AS token_rows
    WHERE tokens > 0`;
}

function sqlList(values: string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}
