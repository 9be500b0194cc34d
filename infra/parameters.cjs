'use strict';
/**
 * The deploy-time parameters (serverless.yml `custom.sentinel`, set with `--param="name=value"`),
 * validated once and turned into the names, ARNs and `SENTINEL_CONFIG` the stack uses. Loaded by
 * osls's `${file(...)}` resolver, offline: nothing here calls AWS. CloudFormation values that exist
 * only at deploy time (the bucket name, account, region, API id) stay `${…}` inside `Fn::Sub`.
 */

const SERVICE = 'ai-spend-sentinel';
/** Prefix of the case store in the state bucket (findings/, runs/, cases/, case-events/, …). */
const STATE_PREFIX = 'state';
/** The workgroup's enforced result location (docs/architecture.md). */
const RESULTS_PREFIX = 'athena-results';
/**
 * Where Athena puts a CTAS table's data under an enforced result location: `<results>/tables/<query-id>/`
 * (no `external_location` is allowed there). The run's staging tables live here until the lifecycle
 * rule expires them; dropping a table leaves its data.
 */
const CTAS_PREFIX = `${RESULTS_PREFIX}/tables`;
const STAGING_TABLES = 'sentinel_staging_*';
/** The table the stack creates over `exportLocation` when no `focusTable` is given. */
const CREATED_FOCUS_TABLE = 'focus';

const EMAIL = /^[^\s@,${}]+@[^\s@,${}]+\.[^\s@,${}]+$/;
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[^\s${}]*)?$/;
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

class ParameterError extends Error {}

function fail(name, message) {
  throw new ParameterError(`parameter ${name}: ${message} (set it with --param="${name}=…"; see DEPLOY.md)`);
}

const present = (value) => value !== null && value !== undefined && String(value).trim() !== '';

function required(raw, name) {
  if (!present(raw[name])) fail(name, 'is required');
  return String(raw[name]).trim();
}

function optional(raw, name) {
  return present(raw[name]) ? String(raw[name]).trim() : null;
}

function email(name, value) {
  if (!EMAIL.test(value)) fail(name, `'${value}' is not an email address`);
  return value;
}

function s3Uri(name, value) {
  const m = S3_URI.exec(value);
  if (!m) fail(name, `'${value}' is not an s3://bucket/prefix URI`);
  return { bucket: m[1], key: (m[2] ?? '').replace(/^\/+/, '').replace(/\/+$/, '') };
}

const S3_ARN = 'arn:${AWS::Partition}:s3:::';

/** An optional KMS key ARN parameter (the key an SSE-KMS bucket encrypts with). */
function kmsKey(raw, name) {
  const arn = optional(raw, name);
  if (arn && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(arn)) {
    fail(name, `'${arn}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
  }
  return arn;
}

const KILL_SWITCH_MODES = ['off', 'dry-run', 'enforce'];

/** A comma-separated list parameter, each item checked against `pattern`. */
function list(raw, name, pattern, what) {
  const text = optional(raw, name);
  if (!text) return [];
  return text.split(',').map((item) => {
    const value = item.trim();
    if (!pattern.test(value)) fail(name, `'${value}' is not ${what}`);
    return value;
  });
}

/**
 * The kill switch (docs/kill-switch.md): off unless asked for. In a deployment it always runs on AWS
 * Organizations; the start-time checks of the configuration (docs/configuration.md) run again at cold start.
 */
function killSwitchOf(raw) {
  const mode = optional(raw, 'killSwitch') ?? 'off';
  if (!KILL_SWITCH_MODES.includes(mode))
    fail('killSwitch', `'${mode}' is not one of ${KILL_SWITCH_MODES.join(', ')}`);
  const accounts = list(raw, 'killSwitchAccounts', /^\d{12}$/, 'a 12-digit account id');
  const organizationalUnits = list(
    raw,
    'killSwitchOUs',
    /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
    'an organizational unit id such as ou-ab12-cd34ef56',
  );
  const breakGlassRole = optional(raw, 'breakGlassRole');
  if (breakGlassRole && !/^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@*/-]+$/.test(breakGlassRole)) {
    fail(
      'breakGlassRole',
      `'${breakGlassRole}' is not an IAM role ARN (pattern), such as arn:aws:iam::*:role/BreakGlass`,
    );
  }
  if (mode === 'enforce' && accounts.length === 0 && organizationalUnits.length === 0) {
    fail(
      'killSwitchAccounts',
      'killSwitch=enforce needs at least one account here or a unit in killSwitchOUs',
    );
  }
  return { mode, accounts, organizationalUnits, breakGlassRole };
}

/** Validates the raw parameters and derives every name the stack uses. Pure: tests call it directly. */
function derive(raw, stage) {
  if (!/^[a-z0-9][a-z0-9-]{0,15}$/.test(stage)) {
    fail('stage', `'${stage}' must be 1-16 lowercase letters, digits or hyphens (--stage)`);
  }
  const database = `sentinel_${stage.replace(/-/g, '_')}`;

  const exportLocation = s3Uri('exportLocation', required(raw, 'exportLocation'));
  if (exportLocation.key === '') fail('exportLocation', 'must name the export folder, not a whole bucket');

  const focusTable = optional(raw, 'focusTable');
  let focus;
  if (focusTable) {
    const parts = focusTable.split('.');
    if (parts.length !== 2 || !parts.every((p) => GLUE_NAME.test(p))) {
      fail('focusTable', `'${focusTable}' is not database.table (lowercase Glue names)`);
    }
    focus = { database: parts[0], table: parts[1], created: false };
  } else {
    focus = { database, table: CREATED_FOCUS_TABLE, created: true };
  }

  const kmsKeyArn = kmsKey(raw, 'exportKmsKeyArn');

  const ownersUri = optional(raw, 'owners');
  let owners = null;
  if (ownersUri) {
    owners = { uri: ownersUri, ...s3Uri('owners', ownersUri) };
    if (!/\.(csv|ya?ml)$/i.test(owners.key)) fail('owners', `'${ownersUri}' must name a .csv or .yaml file`);
  }
  const ownersKmsKeyArn = kmsKey(raw, 'ownersKmsKeyArn');
  if (ownersKmsKeyArn && !owners) fail('ownersKmsKeyArn', 'is the key of the owners file: give owners too');

  const from = email('from', required(raw, 'from'));
  const finops = email('finops', required(raw, 'finops'));
  const escalationText = optional(raw, 'escalation');
  const escalation = escalationText
    ? escalationText.split(',').map((address) => email('escalation', address.trim()))
    : [finops];
  const configurationSet = optional(raw, 'configurationSet');
  if (configurationSet && !/^[A-Za-z0-9_-]{1,64}$/.test(configurationSet)) {
    fail('configurationSet', `'${configurationSet}' is not an SES configuration set name`);
  }

  const eventBus = required(raw, 'eventBus');
  if (!/^[A-Za-z0-9._-]{1,256}$/.test(eventBus)) fail('eventBus', `'${eventBus}' is not an event bus name`);

  for (const name of ['detectSchedule', 'followUpSchedule']) {
    if (!/^(rate|cron)\(.+\)$/.test(required(raw, name))) {
      fail(name, `'${raw[name]}' is not an EventBridge rate(…) or cron(…) expression`);
    }
  }

  const watchText = required(raw, 'watch').toLowerCase();
  if (watchText !== 'true' && watchText !== 'false') fail('watch', `'${raw.watch}' is not true or false`);
  const watch = watchText === 'true';

  const cutoff = Number(required(raw, 'bytesScannedCutoff'));
  if (!Number.isInteger(cutoff) || cutoff < 10_000_000) {
    fail('bytesScannedCutoff', 'must be a whole number of bytes, at least 10000000 (Athena minimum)');
  }

  const pilotText = String(required(raw, 'pilot')).toLowerCase();
  if (pilotText !== 'true' && pilotText !== 'false') fail('pilot', `'${raw.pilot}' is not true or false`);
  const replyToText = optional(raw, 'replyTo');
  const replyTo = replyToText ? email('replyTo', replyToText) : null;
  const alarmEmailText = optional(raw, 'alarmEmail');
  const alarmEmail = alarmEmailText ? email('alarmEmail', alarmEmailText) : null;
  const alarmTopicArn = optional(raw, 'alarmTopicArn');
  if (alarmTopicArn && !SNS_TOPIC_ARN.test(alarmTopicArn)) {
    fail(
      'alarmTopicArn',
      `'${alarmTopicArn}' is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`,
    );
  }
  // An existing topic is someone else's: the stack neither subscribes to it nor replaces its policy.
  if (alarmTopicArn && alarmEmail) {
    fail(
      'alarmEmail',
      'subscribes an address to the topic the stack creates: with alarmTopicArn, subscribe to that topic instead',
    );
  }
  const killSwitch = killSwitchOf(raw);

  const sesArn = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';
  return {
    service: SERVICE,
    stage,
    database,
    workgroup: `${SERVICE}-${stage}`,
    statePrefix: STATE_PREFIX,
    resultsPrefix: RESULTS_PREFIX,
    ctasPrefix: CTAS_PREFIX,
    stagingTables: STAGING_TABLES,
    functionName: (alias) => `${SERVICE}-${stage}-${alias}`,
    exportLocation,
    focus,
    kmsKeyArn,
    owners,
    ownersKmsKeyArn,
    from,
    finops,
    escalation,
    configurationSet,
    eventBus,
    schedule: { detect: raw.detectSchedule, follow_up: raw.followUpSchedule },
    /** The hourly watch over Bedrock's CloudWatch metrics runs in the follow-up function (docs/watch.md). */
    watch,
    bytesScannedCutoff: cutoff,
    pilot: pilotText === 'true',
    replyTo,
    alarms: { email: alarmEmail, topicArn: alarmTopicArn },
    killSwitch,
    arns: {
      exportBucket: `${S3_ARN}${exportLocation.bucket}`,
      exportObjects: `${S3_ARN}${exportLocation.bucket}/${exportLocation.key}/*`,
      ownersObject: owners ? `${S3_ARN}${owners.bucket}/${owners.key}` : null,
      // Every identity, the sender pinned by ses:FromAddress: SES authorizes the from identity and, while
      // the account is in the SES sandbox, each recipient's verified identity too (iam.cjs, DEPLOY.md).
      sesIdentities: `${sesArn}:identity/*`,
      sesConfigurationSet: configurationSet ? `${sesArn}:configuration-set/${configurationSet}` : null,
      eventBus: `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${eventBus}`,
    },
  };
}

/** SENTINEL_CONFIG (docs/configuration.md) as JSON text; `${…}` are CloudFormation values filled in at deploy. */
function sentinelConfigOf(p) {
  const config = {
    engine: 'athena',
    focus: `${p.focus.database}.${p.focus.table}`,
    out: `s3://\${StateBucket}/${p.statePrefix}`,
    owners: p.owners ? p.owners.uri : null,
    schedule: p.schedule,
    athena: {
      workgroup: p.workgroup,
      database: p.focus.database,
      output_location: `s3://\${StateBucket}/${p.resultsPrefix}/`,
      sentinel_database: p.database,
    },
    events: { transport: 'eventbridge', bus_name: p.eventBus },
    watch: { enabled: p.watch, source: 'cloudwatch' },
    notify: {
      transport: 'ses',
      from: p.from,
      finops: p.finops,
      escalation: p.escalation,
      configuration_set: p.configurationSet,
      reply_to: p.replyTo,
      pilot: p.pilot,
      ack_base_url: 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/ack',
    },
    ...(p.killSwitch.mode === 'off'
      ? {}
      : {
          kill_switch: {
            mode: p.killSwitch.mode,
            transport: 'organizations',
            accounts: p.killSwitch.accounts,
            organizational_units: p.killSwitch.organizationalUnits,
            break_glass_role: p.killSwitch.breakGlassRole,
          },
        }),
  };
  return { 'Fn::Sub': JSON.stringify(config) };
}

let cached;
/**
 * The parameters as osls resolves them (`custom.sentinel`, `provider.stage`), validated once. A
 * failed read is not kept: osls calls again once the variables it waited for are resolved.
 */
async function load({ resolveConfigurationProperty }) {
  if (cached) return cached;
  const raw = await resolveConfigurationProperty(['custom', 'sentinel']);
  const stage = await resolveConfigurationProperty(['provider', 'stage']);
  cached = derive(raw ?? {}, String(stage));
  return cached;
}

/** Plain names for `${self:custom.names.*}` in the YAML fragments. */
async function names(context) {
  const p = await load(context);
  return {
    database: p.database,
    workgroup: p.workgroup,
    statePrefix: p.statePrefix,
    resultsPrefix: p.resultsPrefix,
    ctasPrefix: p.ctasPrefix,
    bytesScannedCutoff: p.bytesScannedCutoff,
    focusTable: `${p.focus.database}.${p.focus.table}`,
  };
}

async function sentinelConfig(context) {
  return sentinelConfigOf(await load(context));
}

/** The bus a handler reports `Run Failed` to when SENTINEL_CONFIG itself cannot be read. */
async function eventBusName(context) {
  return (await load(context)).eventBus;
}

module.exports = { names, sentinelConfig, eventBusName, load, derive, sentinelConfigOf, ParameterError };
