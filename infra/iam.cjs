'use strict';
/**
 * One least-privilege role per function (DEPLOY.md): no wildcard actions; resources scoped to the
 * state bucket prefixes, the workgroup, the Glue database and tables, the secret, the SES identities
 * (sending only from the configured address), the event bus, the export prefix (and its KMS key when
 * given) and the owners file (and its KMS key when given). Every action here is either made by a
 * recorded call of the end-to-end tests or listed with its reason (docs/decisions/011-iam-by-evaluation.md).
 */
const { load } = require('./parameters.cjs');
const { killSwitchStatements } = require('./kill-switch-iam.cjs');

const sub = (text) => ({ 'Fn::Sub': text });
const BUCKET = 'arn:${AWS::Partition}:s3:::${StateBucket}';
const GLUE = 'arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}';

function logs(functionName) {
  return {
    Sid: 'OwnLogGroup',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: sub(
      `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`,
    ),
  };
}

/** ListBucket on the state bucket, for the given prefixes (S3 answers 404, not 403, on a missing key). */
function listState(sid, prefixes) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: sub(BUCKET),
    Condition: { StringLike: { 's3:prefix': prefixes.flatMap((prefix) => [prefix, `${prefix}*`]) } },
  };
}

function stateObjects(sid, actions, prefixes) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: actions,
    Resource: prefixes.map((prefix) => sub(`${BUCKET}/${prefix}*`)),
  };
}

function common(p) {
  return [
    {
      Sid: 'SigningKey',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: { Ref: 'SigningSecret' },
    },
    {
      Sid: 'PublishEvents',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: sub(p.arns.eventBus),
    },
  ];
}

/**
 * SES authorizes SendEmail against the from identity, the configuration set and, in the SES sandbox,
 * each recipient's verified identity as well: a grant on the from identity alone fails every send of
 * a first deploy. Every identity is allowed, with the sender pinned by `ses:FromAddress`.
 */
function sendEmail(p) {
  const resources = [p.arns.sesIdentities, p.arns.sesConfigurationSet].filter(Boolean).map(sub);
  return {
    Sid: 'SendEmail',
    Effect: 'Allow',
    Action: ['ses:SendEmail'],
    Resource: resources,
    Condition: { StringEquals: { 'ses:FromAddress': p.from } },
  };
}

/**
 * Lambda sends the record of an asynchronous invocation that failed every attempt to the on-failure
 * destination with the function's own role (serverless.yml `destinations`, DEPLOY.md "Alarms").
 */
function failureDestination() {
  return {
    Sid: 'FailureDestination',
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] },
  };
}

/** kms:Decrypt on a bucket's key, only through S3 in this region (an SSE-KMS object read). */
function decryptThroughS3(sid, keyArn) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: keyArn,
    Condition: { StringLike: { 'kms:ViaService': sub('s3.${AWS::Region}.${AWS::URLSuffix}') } },
  };
}

function readOwners(p) {
  if (!p.arns.ownersObject) return [];
  return [
    { Sid: 'ReadOwners', Effect: 'Allow', Action: ['s3:GetObject'], Resource: sub(p.arns.ownersObject) },
    ...(p.ownersKmsKeyArn ? [decryptThroughS3('DecryptOwners', p.ownersKmsKeyArn)] : []),
  ];
}

function detectStatements(p) {
  const state = `${p.statePrefix}/`;
  const results = `${p.resultsPrefix}/`;
  const exportPrefix = `${p.exportLocation.key}/`;
  const focusDb = p.focus.database;
  const statements = [
    listState('ListState', [state, results]),
    stateObjects('CaseStore', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [state]),
    // Athena writes query results, and the CTAS staging data under `<results>/tables/<query-id>/`
    // (an enforced result location allows no other place), with the caller's permissions.
    stateObjects(
      'AthenaResults',
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [results],
    ),
    {
      Sid: 'AthenaResultsBucket',
      Effect: 'Allow',
      Action: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      Resource: sub(BUCKET),
    },
    {
      Sid: 'Workgroup',
      Effect: 'Allow',
      Action: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      Resource: sub(
        `arn:\${AWS::Partition}:athena:\${AWS::Region}:\${AWS::AccountId}:workgroup/${p.workgroup}`,
      ),
    },
    // Glue authorizes a table action on the table and each ancestor (catalog, database), a database
    // action on the database and the catalog: one statement per level, so nothing is granted on a
    // resource it cannot apply to.
    {
      Sid: 'ReadDatabases',
      Effect: 'Allow',
      Action: ['glue:GetDatabase'],
      Resource: [
        sub(`${GLUE}:catalog`),
        ...[...new Set([focusDb, p.database])].map((db) => sub(`${GLUE}:database/${db}`)),
      ],
    },
    {
      // Athena reads the table and, for a table that keeps its partitions in the catalog (a focusTable
      // the user already has), its partitions; the column check lists it through information_schema.
      Sid: 'ReadFocusTable',
      Effect: 'Allow',
      Action: [
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
      ],
      Resource: [
        sub(`${GLUE}:catalog`),
        sub(`${GLUE}:database/${focusDb}`),
        sub(`${GLUE}:table/${focusDb}/${p.focus.table}`),
      ],
    },
    {
      // Finding a crashed run's staging tables to drop them (docs/architecture.md).
      Sid: 'ListSentinelTables',
      Effect: 'Allow',
      Action: ['glue:GetTables'],
      Resource: [
        sub(`${GLUE}:catalog`),
        sub(`${GLUE}:database/${p.database}`),
        sub(`${GLUE}:table/${p.database}/*`),
      ],
    },
    {
      Sid: 'StagingTables',
      Effect: 'Allow',
      Action: [
        'glue:CreateTable',
        'glue:DeleteTable',
        'glue:GetTable',
        'glue:UpdateTable',
        'glue:GetPartitions',
        'glue:BatchDeletePartition',
      ],
      Resource: [
        sub(`${GLUE}:catalog`),
        sub(`${GLUE}:database/${p.database}`),
        sub(`${GLUE}:table/${p.database}/${p.stagingTables}`),
      ],
    },
    {
      Sid: 'ListExport',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: sub(p.arns.exportBucket),
      Condition: { StringLike: { 's3:prefix': [exportPrefix, `${exportPrefix}*`] } },
    },
    // Its own statement: a GetBucketLocation request carries no s3:prefix to match a condition.
    {
      Sid: 'LocateExport',
      Effect: 'Allow',
      Action: ['s3:GetBucketLocation'],
      Resource: sub(p.arns.exportBucket),
    },
    { Sid: 'ReadExport', Effect: 'Allow', Action: ['s3:GetObject'], Resource: sub(p.arns.exportObjects) },
    sendEmail(p),
    ...readOwners(p),
    ...killSwitch(p),
    ...common(p),
    failureDestination(),
  ];
  if (p.kmsKeyArn) statements.push(decryptThroughS3('DecryptExport', p.kmsKeyArn));
  return statements;
}

/**
 * The hourly watch reads Bedrock's usage metrics (docs/watch.md). CloudWatch's GetMetricData and
 * ListMetrics authorize no resource but "*": the one statement the template check allows it on
 * (docs/decisions/011-iam-by-evaluation.md). Read-only; only with the `watch` parameter on.
 */
function readBedrockMetrics(p) {
  if (!p.watch) return [];
  return [
    {
      Sid: 'ReadBedrockMetrics',
      Effect: 'Allow',
      Action: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
      Resource: '*',
    },
  ];
}

function followUpStatements(p) {
  const state = `${p.statePrefix}/`;
  return [
    listState('ListState', [state]),
    stateObjects('CaseStore', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [state]),
    sendEmail(p),
    ...readOwners(p),
    ...readBedrockMetrics(p),
    ...killSwitch(p),
    ...common(p),
    failureDestination(),
  ];
}

/**
 * The kill switch's Organizations grants (docs/kill-switch.md "IAM scope"), when it is not off: limited to
 * the SCPs tagged as ours and to accounts as targets. Granted also in dry-run, which engages nothing but
 * must still lift a stop left from an earlier `enforce`.
 */
function killSwitch(p) {
  return p.killSwitch.mode === 'off' ? [] : killSwitchStatements();
}

/**
 * The answer endpoint reads and updates one case and appends its case events; it sends no email. With the
 * kill switch, an answer (or a release link) lifts the stop at once: the action log and the delivery lease.
 */
function ackStatements(p) {
  const cases = `${p.statePrefix}/cases/`;
  const events = `${p.statePrefix}/case-events/`;
  const stops =
    p.killSwitch.mode === 'off' ? [] : [`${p.statePrefix}/kill-switch/`, `${p.statePrefix}/locks/`];
  return [
    listState('ListState', [cases, events, ...stops]),
    stateObjects('CaseStore', ['s3:GetObject', 's3:PutObject'], [cases, events, ...stops]),
    ...(stops.length > 0
      ? [stateObjects('DeliveryLease', ['s3:DeleteObject'], [`${p.statePrefix}/locks/`])]
      : []),
    ...killSwitch(p),
    ...common(p),
  ];
}

function role(p, alias, statements) {
  const functionName = p.functionName(alias);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      // A fixed name, so an export bucket in another account can grant it before it is looked up.
      RoleName: sub(`${functionName}-\${AWS::Region}`),
      Description: `${functionName}: least privilege for the ${alias} function`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: ['sts:AssumeRole'],
          },
        ],
      },
      Policies: [
        {
          PolicyName: `${alias}`,
          PolicyDocument: { Version: '2012-10-17', Statement: [logs(functionName), ...statements] },
        },
      ],
    },
  };
}

/** The three roles for derived parameters (tests evaluate them without packaging). */
function roles(p) {
  return {
    DetectRole: role(p, 'detect', detectStatements(p)),
    FollowUpRole: role(p, 'followUp', followUpStatements(p)),
    AckRole: role(p, 'ack', ackStatements(p)),
  };
}

async function iam(context) {
  return { Resources: roles(await load(context)) };
}

module.exports = iam;
module.exports.roles = roles;
