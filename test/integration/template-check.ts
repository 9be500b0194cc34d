/**
 * Checks the generated CloudFormation template (DEPLOY.md): every resource type and property exists
 * in the resource specification (`@aws-cdk/aws-service-spec`) and required properties are set;
 * every Ref and GetAtt points at something that exists; the two schedules and the two /ack routes
 * reach their functions; no Allow statement of any policy has a wildcard action or resource (but for
 * actions that take no resource: the watch's read of CloudWatch metrics, the kill switch's listing of
 * its policies); each
 * function runs nodejs22.x on arm64; each zip is under 1 MB and carries no native binding; a failure
 * reaches a person (DEPLOY.md "Alarms"): an alarm on each function's errors, the asynchronous
 * functions' on-failure destination, and rules that route the service's trouble events to a topic
 * whose policy lets EventBridge (and the alarms CloudWatch) publish.
 * Returns the problems found, one sentence each (empty: the template passes).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';

type Json = unknown;
interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
}
export interface Template {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json }>;
  Parameters?: Record<string, Json>;
  Conditions?: Record<string, Json>;
}

export interface Expectations {
  /** Function logical name (serverless alias) → handler path (`functions/handlers/x.handler`). */
  functions: Record<
    string,
    {
      handler: string;
      timeout?: number;
      asyncRetries?: number;
      /** Logical id of the resource its failed asynchronous invocations go to. */
      onFailure?: string;
    }
  >;
  /** Each function has an alarm on its `Errors` metric that notifies a topic. */
  errorAlarms?: boolean;
  /** Event rules that must route the service's events (`source`, these detail-types) to an SNS topic. */
  eventRules?: { source: string; detailTypes: string[] }[];
  /** Function alias → its schedule expression. */
  schedules: Record<string, string>;
  /** Route keys (`GET /ack`) → function alias. */
  routes: Record<string, string>;
  /** Where the zips are (the .serverless folder); omitted: zips not checked. */
  artifactDir?: string;
  maxZipBytes?: number;
}

type PropertyType = {
  type: string;
  reference?: { $ref: string };
  element?: PropertyType;
  types?: PropertyType[];
};
interface SpecProperty {
  type: PropertyType;
  required?: boolean;
}

const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

type SpecDatabase = Awaited<ReturnType<typeof loadAwsServiceSpec>>;
let spec: Promise<SpecDatabase> | undefined;
const specDb = () => (spec ??= loadAwsServiceSpec());

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{ Ref }` or `{ Fn::… }`: a value CloudFormation computes; its shape is checked by references(). */
const isIntrinsic = (v: Json): boolean =>
  isObject(v) &&
  Object.keys(v).length === 1 &&
  (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0]!.startsWith('Fn::'));

export async function checkTemplate(template: Template, expect: Expectations): Promise<string[]> {
  const db = await specDb();
  const problems: string[] = [];
  const resources = template.Resources ?? {};

  const typeMatches = (value: Json, type: PropertyType, path: string, out: string[]): void => {
    if (isIntrinsic(value)) return;
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string') out.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
        return;
      case 'number':
      case 'integer':
        if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
          out.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
          out.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
        }
        return;
      case 'json':
      case 'tag':
      case 'date-time':
      case 'null':
        return;
      case 'array':
        if (!Array.isArray(value)) {
          out.push(`${path}: expected a list`);
          return;
        }
        for (const [i, item] of value.entries()) typeMatches(item, type.element!, `${path}[${i}]`, out);
        return;
      case 'map':
        if (!isObject(value)) {
          out.push(`${path}: expected a map`);
          return;
        }
        for (const [k, v] of Object.entries(value)) typeMatches(v, type.element!, `${path}.${k}`, out);
        return;
      case 'ref': {
        if (!isObject(value)) {
          out.push(`${path}: expected an object`);
          return;
        }
        const def = db.get('typeDefinition', type.reference!.$ref);
        checkProperties(value, def.properties as Record<string, SpecProperty>, path, out);
        return;
      }
      case 'union': {
        const attempts = type.types!.map((t) => {
          const o: string[] = [];
          typeMatches(value, t, path, o);
          return o;
        });
        if (!attempts.some((o) => o.length === 0)) out.push(...attempts[0]!);
        return;
      }
      default:
        return;
    }
  };

  const checkProperties = (
    value: Record<string, Json>,
    properties: Record<string, SpecProperty>,
    path: string,
    out: string[],
  ): void => {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) out.push(`${path}: required property ${name} is missing`);
    }
    for (const [name, v] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        out.push(`${path}: ${name} is not a property of this type`);
        continue;
      }
      typeMatches(v, property.type, `${path}.${name}`, out);
    }
  };

  // 1. Types and properties against the specification.
  for (const [id, resource] of Object.entries(resources)) {
    const found = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (found.length !== 1) {
      problems.push(`${id}: ${resource.Type} is not a CloudFormation resource type`);
      continue;
    }
    const def = found[0]!;
    checkProperties(
      resource.Properties ?? {},
      def.properties as Record<string, SpecProperty>,
      `${id} (${resource.Type})`,
      problems,
    );
  }

  // 2. Every Ref / GetAtt / Fn::Sub reference points at a resource, attribute, parameter or pseudo parameter.
  const attributeExists = (logicalId: string, attribute: string) => {
    const target = resources[logicalId];
    if (!target) return false;
    const def = db.lookup('resource', 'cloudFormationType', 'equals', target.Type)[0];
    return !def || attribute in def.attributes || attribute.split('.')[0]! in def.attributes;
  };
  const refExists = (name: string) =>
    name in resources || PSEUDO.has(name) || name in (template.Parameters ?? {});
  const walk = (value: Json, where: string): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, where);
      return;
    }
    if (!isObject(value)) return;
    if ('Ref' in value && typeof value.Ref === 'string' && !refExists(value.Ref)) {
      problems.push(`${where}: Ref ${value.Ref} names nothing in the template`);
    }
    if ('Fn::GetAtt' in value) {
      const ga = value['Fn::GetAtt'];
      const [logicalId, attribute] = Array.isArray(ga) ? ga : String(ga).split(/\.(.+)/);
      if (!attributeExists(String(logicalId), String(attribute))) {
        problems.push(`${where}: GetAtt ${logicalId}.${attribute} names no attribute of a resource here`);
      }
    }
    if ('Fn::Sub' in value) {
      const sub = value['Fn::Sub'];
      const [text, vars] = Array.isArray(sub)
        ? [String(sub[0]), (sub[1] ?? {}) as object]
        : [String(sub), {}];
      for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = m[1]!;
        if (name in vars) continue;
        const [logicalId, attribute] = name.split(/\.(.+)/);
        const ok = attribute ? attributeExists(logicalId!, attribute) : refExists(logicalId!);
        if (!ok) problems.push(`${where}: Fn::Sub \${${name}} names nothing in the template`);
      }
    }
    for (const v of Object.values(value)) walk(v, where);
  };
  for (const [id, resource] of Object.entries(resources)) {
    walk(resource.Properties, id);
    for (const dep of [resource.DependsOn ?? []].flat()) {
      if (!(dep in resources)) problems.push(`${id}: DependsOn ${dep} names no resource`);
    }
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) walk(output.Value, `output ${id}`);

  // 3. Functions, schedules and routes.
  const lambdaId = (alias: string) => `${alias[0]!.toUpperCase()}${alias.slice(1)}LambdaFunction`;
  const functionArnOf = (v: Json): string | undefined => {
    if (!isObject(v) || !('Fn::GetAtt' in v)) return undefined;
    const ga = v['Fn::GetAtt'];
    return Array.isArray(ga) && ga[1] === 'Arn' ? String(ga[0]) : undefined;
  };
  for (const [alias, want] of Object.entries(expect.functions)) {
    const fn = resources[lambdaId(alias)];
    if (fn?.Type !== 'AWS::Lambda::Function') {
      problems.push(`function ${alias}: no AWS::Lambda::Function ${lambdaId(alias)}`);
      continue;
    }
    const p = fn.Properties ?? {};
    if (p.Runtime !== 'nodejs22.x')
      problems.push(`function ${alias}: runtime ${String(p.Runtime)}, not nodejs22.x`);
    if (JSON.stringify(p.Architectures) !== '["arm64"]') problems.push(`function ${alias}: not arm64`);
    if (p.Handler !== want.handler)
      problems.push(`function ${alias}: handler ${String(p.Handler)}, not ${want.handler}`);
    if (want.timeout !== undefined && p.Timeout !== want.timeout) {
      problems.push(`function ${alias}: timeout ${String(p.Timeout)}, not ${want.timeout}`);
    }
    if (want.asyncRetries !== undefined) {
      const config = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventInvokeConfig' &&
          JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: lambdaId(alias) }),
      );
      const retries = config?.Properties?.MaximumRetryAttempts ?? 2;
      if (retries !== want.asyncRetries) {
        problems.push(`function ${alias}: ${String(retries)} asynchronous retries, not ${want.asyncRetries}`);
      }
    }
    if (want.onFailure !== undefined) {
      const config = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventInvokeConfig' &&
          JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: lambdaId(alias) }),
      );
      const destination = (config?.Properties?.DestinationConfig as { OnFailure?: { Destination?: Json } })
        ?.OnFailure?.Destination;
      const target = arnOf(destination);
      if (!target)
        problems.push(`function ${alias}: no on-failure destination (a failed invocation is lost)`);
      else if (target !== want.onFailure || !resources[target]) {
        problems.push(`function ${alias}: failed invocations go to ${target}, not ${want.onFailure}`);
      }
    }
    if (expect.artifactDir) {
      const key = isObject(p.Code) ? String(p.Code.S3Key ?? '') : '';
      const zip = join(expect.artifactDir, key.split('/').pop() ?? '');
      let size = -1;
      try {
        size = statSync(zip).size;
      } catch {
        problems.push(`function ${alias}: artifact ${zip} is missing`);
      }
      const max = expect.maxZipBytes ?? 1024 * 1024;
      if (size > max) problems.push(`function ${alias}: ${zip} is ${size} bytes, over ${max}`);
      if (size > 0) {
        const names = zipEntryNames(readFileSync(zip));
        const bad = names.filter(
          (n) => n.endsWith('.node') || n.startsWith('node_modules/') || /duckdb/i.test(n),
        );
        if (bad.length) problems.push(`function ${alias}: the zip carries ${bad.join(', ')}`);
      }
    }
  }
  const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
  for (const [alias, expression] of Object.entries(expect.schedules)) {
    const hit = rules.find(([, r]) => {
      const targets = (r.Properties?.Targets ?? []) as Json[];
      return (
        r.Properties?.ScheduleExpression === expression &&
        r.Properties?.State !== 'DISABLED' &&
        targets.some((t) => isObject(t) && functionArnOf(t.Arn) === lambdaId(alias))
      );
    });
    if (!hit) problems.push(`schedule: no enabled rule runs ${alias} on ${expression}`);
    const permission = Object.values(resources).some(
      (r) =>
        r.Type === 'AWS::Lambda::Permission' &&
        r.Properties?.Principal === 'events.amazonaws.com' &&
        functionArnOf(r.Properties?.FunctionName) === lambdaId(alias),
    );
    if (!permission)
      problems.push(`schedule: EventBridge may not invoke ${alias} (no AWS::Lambda::Permission)`);
  }
  for (const [routeKey, alias] of Object.entries(expect.routes)) {
    const route = Object.values(resources).find(
      (r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties?.RouteKey === routeKey,
    );
    const target = JSON.stringify(route?.Properties?.Target ?? '');
    const integration = Object.entries(resources).find(
      ([id, r]) =>
        r.Type === 'AWS::ApiGatewayV2::Integration' &&
        target.includes(`"${id}"`) &&
        functionArnOf(r.Properties?.IntegrationUri) === lambdaId(alias),
    );
    if (!route || !integration) problems.push(`route: ${routeKey} does not reach the ${alias} function`);
  }

  // 4. Trouble reaches a person: alarms on errors, and event rules, into topics that let them publish.
  const alarmsOn = (alias: string) =>
    Object.entries(resources).filter(([, r]) => {
      const p = r.Properties ?? {};
      return (
        r.Type === 'AWS::CloudWatch::Alarm' &&
        p.Namespace === 'AWS/Lambda' &&
        p.MetricName === 'Errors' &&
        JSON.stringify(p.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: lambdaId(alias) } }]) &&
        p.ActionsEnabled !== false
      );
    });
  if (expect.errorAlarms) {
    for (const alias of Object.keys(expect.functions)) {
      const found = alarmsOn(alias);
      if (found.length === 0) problems.push(`alarm: no alarm on the errors of ${alias}`);
      for (const [id, r] of found) {
        const actions = (r.Properties?.AlarmActions ?? []) as Json[];
        if (actions.length === 0) problems.push(`alarm: ${id} notifies no one (no AlarmActions)`);
        for (const action of actions) {
          const topic = isObject(action) && typeof action.Ref === 'string' ? action.Ref : undefined;
          if (topic && !topicAllows(resources, topic, 'cloudwatch.amazonaws.com')) {
            problems.push(
              `alarm: ${id} notifies ${topic}, whose policy does not let CloudWatch alarms publish`,
            );
          }
        }
      }
    }
  }
  for (const want of expect.eventRules ?? []) {
    const rule = rules.find(([, r]) => {
      const pattern = (r.Properties?.EventPattern ?? {}) as Record<string, Json>;
      const listed = (key: string) => [pattern[key] ?? []].flat() as Json[];
      return (
        r.Properties?.State !== 'DISABLED' &&
        listed('source').includes(want.source) &&
        want.detailTypes.every((t) => listed('detail-type').includes(t))
      );
    });
    if (!rule) {
      problems.push(`event rule: no enabled rule routes ${want.source} ${want.detailTypes.join(', ')}`);
      continue;
    }
    const [ruleId, r] = rule;
    const targets = ((r.Properties?.Targets ?? []) as Json[]).filter(isObject);
    if (targets.length === 0) problems.push(`event rule: ${ruleId} has no target`);
    for (const target of targets) {
      const topic = isObject(target.Arn) && typeof target.Arn.Ref === 'string' ? target.Arn.Ref : undefined;
      if (topic && resources[topic]?.Type !== 'AWS::SNS::Topic') {
        problems.push(`event rule: ${ruleId} targets ${topic}, not an SNS topic`);
      } else if (topic && !topicAllows(resources, topic, 'events.amazonaws.com', ruleId)) {
        problems.push(
          `event rule: ${ruleId} publishes to ${topic}, whose policy does not let EventBridge publish`,
        );
      }
    }
  }

  // 5. Policies: no Allow with a wildcard action (or NotAction) or a bare "*" resource.
  for (const [id, document] of policyDocuments(resources)) {
    const statements = [(isObject(document) ? document.Statement : []) ?? []].flat() as Json[];
    statements.forEach((s, i) => {
      if (!isObject(s) || s.Effect !== 'Allow') return;
      const where = `${id} statement ${i}${typeof s.Sid === 'string' ? ` (${s.Sid})` : ''}`;
      if ('NotAction' in s) problems.push(`${where}: Allow with NotAction`);
      for (const action of [s.Action ?? []].flat()) {
        if (typeof action === 'string' && action.includes('*')) {
          problems.push(`${where}: wildcard action ${action}`);
        }
      }
      const actions = [s.Action ?? []].flat();
      const starOnly = actions.length > 0 && actions.every((a) => RESOURCE_STAR_ONLY.has(String(a)));
      for (const resource of [s.Resource ?? []].flat()) {
        if (resource === '*' && !starOnly) problems.push(`${where}: Allow on every resource ("*")`);
      }
    });
  }
  return problems;
}

/** The logical id an `{Fn::GetAtt: [id, Arn]}` or `{Ref: id}` names. */
function arnOf(value: Json): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const ga = value['Fn::GetAtt'];
  if (Array.isArray(ga)) return String(ga[0]);
  if (typeof ga === 'string') return ga.split('.')[0];
  return undefined;
}

/**
 * Whether a topic policy of the template lets `service` publish to the topic (when the topic has a
 * policy at all: without one, SNS's default policy lets only the account's own principals publish,
 * which EventBridge is not). With `sourceRule`, the grant must be limited to that rule.
 */
function topicAllows(
  resources: Record<string, CfnResource>,
  topic: string,
  service: string,
  sourceRule?: string,
): boolean {
  const policies = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::SNS::TopicPolicy' &&
      ((r.Properties?.Topics ?? []) as Json[]).some((t) => arnOf(t) === topic),
  );
  if (policies.length === 0) return service === 'cloudwatch.amazonaws.com' && !sourceRule;
  return policies.some((r) => {
    const document = r.Properties?.PolicyDocument;
    const statements = [(isObject(document) ? document.Statement : []) ?? []].flat() as Json[];
    return statements.some((s) => {
      if (!isObject(s) || s.Effect !== 'Allow') return false;
      const principal = isObject(s.Principal) ? [s.Principal.Service ?? []].flat() : [];
      const actions = [s.Action ?? []].flat().map((a) => String(a).toLowerCase());
      const onTopic = [s.Resource ?? []].flat().some((res) => arnOf(res) === topic);
      const limited = !sourceRule || JSON.stringify(s.Condition ?? {}).includes(`["${sourceRule}","Arn"]`);
      return principal.includes(service) && actions.includes('sns:publish') && onTopic && limited;
    });
  });
}

/**
 * Actions the Service Authorization Reference gives no resource type, so IAM accepts only "*" for them
 * (docs/decisions/011-iam-by-evaluation.md): the watch's read of Bedrock's usage metrics, and the kill
 * switch's listing of SCPs (limited by `organizations:PolicyType`) and reading the organization
 * (docs/kill-switch.md "IAM scope"). A statement of these alone may name "*".
 */
const RESOURCE_STAR_ONLY = new Set([
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'organizations:ListPolicies',
  'organizations:DescribeOrganization',
]);

/** Every policy document in the template, with where it is. */
function policyDocuments(resources: Record<string, CfnResource>): [string, Json][] {
  const out: [string, Json][] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      out.push([`${id} trust policy`, p.AssumeRolePolicyDocument]);
      for (const policy of (p.Policies ?? []) as { PolicyName?: string; PolicyDocument: Json }[]) {
        out.push([`${id} policy ${policy.PolicyName ?? ''}`.trim(), policy.PolicyDocument]);
      }
    }
    if (['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type)) out.push([id, p.PolicyDocument]);
    if (['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy'].includes(r.Type)) {
      out.push([id, p.PolicyDocument]);
    }
  }
  return out;
}

/** File names in a zip, from its central directory (no unzip tool needed). */
export function zipEntryNames(zip: Buffer): string[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

/** Writes a zip's files under `dir` (stored or deflated entries, as serverless-esbuild writes them). */
export function extractZip(zip: Buffer, dir: string): void {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extra + comment;
    if (name.endsWith('/')) continue;
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressed);
    const target = join(dir, name);
    if (!target.startsWith(dir)) throw new Error(`zip entry outside the folder: ${name}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, method === 8 ? inflateRawSync(data) : data);
  }
}
