/**
 * What the synthetic bill is made of: Bedrock models with list prices and the exact usage-type
 * spellings AWS bills them under, regions, and the everyday services (EC2, S3, Lambda, ...) whose
 * rows make up most of a real export.
 */

export type TokenClass = 'input' | 'output' | 'cache_read' | 'cache_write';
export const TOKEN_CLASSES: readonly TokenClass[] = ['input', 'cache_read', 'cache_write', 'output'];

/** How a request reached the model; each is billed under its own usage-type suffix. */
export type Variant = 'regional' | 'global' | 'batch';

export type TokenUnit = '1K tokens' | '1M tokens' | 'Units';

export interface Region {
  id: string;
  /** Usage-type prefix AWS uses for the region. */
  prefix: string;
  name: string;
}

export const REGIONS = {
  'us-east-1': { id: 'us-east-1', prefix: 'USE1', name: 'US East (N. Virginia)' },
  'us-west-2': { id: 'us-west-2', prefix: 'USW2', name: 'US West (Oregon)' },
  'eu-central-1': { id: 'eu-central-1', prefix: 'EUC1', name: 'EU (Frankfurt)' },
} as const satisfies Record<string, Region>;
export type RegionId = keyof typeof REGIONS;

export interface BedrockModel {
  /** docs/detection.md "Input" model key: first-party usage-type model part, or the Marketplace service name without its suffix. */
  key: string;
  channel: 'first-party' | 'marketplace';
  displayName: string;
  provider: string;
  /** Inference-profile id suffix (`us.<profileId>` / `global.<profileId>`). */
  profileId: string;
  unit: TokenUnit;
  /** Regional list price in USD per million tokens; null where the class is not billed. */
  regionalPerMillion: Record<TokenClass, number | null>;
  supportsGlobal: boolean;
  /** Marketplace product code (opaque x_servicecode). */
  productCode?: string;
}

const anthropicPrices = (input: number, output: number) => ({
  input,
  output,
  cache_read: round6(input * 0.1),
  cache_write: round6(input * 1.25),
});

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export const MODELS = {
  opus: {
    key: 'Claude4.6Opus',
    channel: 'first-party',
    displayName: 'Claude Opus 4.6',
    provider: 'Anthropic',
    profileId: 'anthropic.claude-opus-4-6-v1',
    unit: '1K tokens',
    regionalPerMillion: anthropicPrices(5.5, 27.5),
    supportsGlobal: true,
  },
  sonnet: {
    key: 'Claude4.5Sonnet',
    channel: 'first-party',
    displayName: 'Claude Sonnet 4.5',
    provider: 'Anthropic',
    profileId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    unit: '1K tokens',
    regionalPerMillion: anthropicPrices(3.3, 16.5),
    supportsGlobal: true,
  },
  haiku: {
    key: 'Claude4.5Haiku',
    channel: 'first-party',
    displayName: 'Claude Haiku 4.5',
    provider: 'Anthropic',
    profileId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    unit: '1M tokens',
    regionalPerMillion: anthropicPrices(1.1, 5.5),
    supportsGlobal: true,
  },
  novaPro: {
    key: 'NovaPro',
    channel: 'first-party',
    displayName: 'Amazon Nova Pro',
    provider: 'Amazon',
    profileId: 'amazon.nova-pro-v1:0',
    unit: '1K tokens',
    // Nova bills cache reads at 0.25x input and does not bill cache writes.
    regionalPerMillion: { input: 0.8, output: 3.2, cache_read: 0.2, cache_write: null },
    supportsGlobal: false,
  },
  llama: {
    key: 'Llama4Maverick',
    channel: 'first-party',
    displayName: 'Llama 4 Maverick',
    provider: 'Meta',
    profileId: 'meta.llama4-maverick-17b-instruct-v1:0',
    unit: '1M tokens',
    // No prompt caching on this model: nobody in the organization shows cache tokens for it.
    regionalPerMillion: { input: 0.24, output: 0.97, cache_read: null, cache_write: null },
    supportsGlobal: false,
  },
  marketplaceOpus: {
    key: 'Claude Opus 4.6',
    channel: 'marketplace',
    displayName: 'Claude Opus 4.6',
    provider: 'Anthropic',
    profileId: 'anthropic.claude-opus-4-6-v1',
    unit: 'Units',
    regionalPerMillion: anthropicPrices(5.5, 27.5),
    supportsGlobal: true,
    productCode: 'prod-b2zk4wq7ehx3m',
  },
} as const satisfies Record<string, BedrockModel>;
export type ModelName = keyof typeof MODELS;

/** USD per million tokens for a class on a variant (global endpoints are 10% cheaper, batch half price). */
export function pricePerMillion(
  model: BedrockModel,
  tokenClass: TokenClass,
  variant: Variant,
): number | null {
  const regional = model.regionalPerMillion[tokenClass];
  if (regional === null) return null;
  if (variant === 'global') return round6(regional / 1.1);
  if (variant === 'batch') return round6(regional / 2);
  return regional;
}

const FIRST_PARTY_CLASS_PART: Record<TokenClass, string> = {
  input: 'input-tokens',
  output: 'output-tokens',
  cache_read: 'cache-read-input-token-count',
  cache_write: 'cache-write-input-token-count',
};

const MARKETPLACE_CLASS_PART: Record<TokenClass, string> = {
  input: 'InputTokenCount',
  output: 'OutputTokenCount',
  cache_read: 'CacheReadInputTokenCount',
  cache_write: 'CacheWriteInputTokenCount',
};

/** The usage type exactly as AWS spells it, e.g. `USE1-Claude4.6Opus-input-tokens-cross-region-global`. */
export function bedrockUsageType(
  model: BedrockModel,
  region: Region,
  tokenClass: TokenClass,
  variant: Variant,
): string {
  if (model.channel === 'marketplace') {
    const suffix = variant === 'global' ? '_Global' : variant === 'batch' ? '_Batch' : '';
    return `${region.prefix}-MP:${region.prefix}_${MARKETPLACE_CLASS_PART[tokenClass]}${suffix}-Units`;
  }
  const suffix = variant === 'global' ? '-cross-region-global' : variant === 'batch' ? '-batch' : '';
  return `${region.prefix}-${model.key}-${FIRST_PARTY_CLASS_PART[tokenClass]}${suffix}`;
}

export function tokensPerUnit(unit: TokenUnit): number {
  return unit === '1K tokens' ? 1_000 : 1_000_000;
}

export function bedrockServiceName(model: BedrockModel): string {
  return model.channel === 'marketplace' ? `${model.displayName} (Amazon Bedrock Edition)` : 'Amazon Bedrock';
}

export function bedrockServiceCode(model: BedrockModel): string {
  return model.channel === 'marketplace' ? (model.productCode ?? 'prod-unknown') : 'AmazonBedrock';
}

export function inferenceProfileArn(
  model: BedrockModel,
  region: Region,
  accountId: string,
  variant: Variant,
) {
  const scope = variant === 'global' ? 'global' : region.id.startsWith('eu-') ? 'eu' : 'us';
  return `arn:aws:bedrock:${region.id}:${accountId}:inference-profile/${scope}.${model.profileId}`;
}

const CLASS_WORDS: Record<TokenClass, string> = {
  input: 'input tokens',
  output: 'output tokens',
  cache_read: 'cache read input tokens',
  cache_write: 'cache write input tokens',
};

export function bedrockChargeDescription(
  model: BedrockModel,
  region: Region,
  tokenClass: TokenClass,
  variant: Variant,
  usdPerMillion: number,
): string {
  const perUnit = usdPerMillion / (1_000_000 / tokensPerUnit(model.unit));
  const unitWords = model.unit === 'Units' ? 'million' : model.unit === '1K tokens' ? '1K' : '1M';
  const how =
    variant === 'global' ? ' (global cross-region inference)' : variant === 'batch' ? ' (batch)' : '';
  return `$${perUnit.toPrecision(4)} per ${unitWords} ${CLASS_WORDS[tokenClass]} for ${model.displayName}${how} in ${region.name}`;
}

/** An everyday (non-Bedrock) resource: one row per day. */
export interface ServiceKind {
  servicename: string;
  servicecategory: string;
  servicecode: string;
  usageSuffix: string;
  operation: string;
  unit: string;
  unitPrice: number;
  /** Typical daily quantity range. */
  quantity: [number, number];
  resource: (accountId: string, region: Region, id: string) => string;
  description: (region: Region) => string;
}

export const SERVICE_KINDS = {
  ec2Instance: {
    servicename: 'Amazon Elastic Compute Cloud',
    servicecategory: 'Compute',
    servicecode: 'AmazonEC2',
    usageSuffix: 'BoxUsage:m6i.xlarge',
    operation: 'RunInstances',
    unit: 'Hrs',
    unitPrice: 0.192,
    quantity: [24, 24],
    resource: (a, r, id) => `arn:aws:ec2:${r.id}:${a}:instance/i-0${id.slice(0, 16)}`,
    description: (r) => `$0.192 per On Demand Linux m6i.xlarge Instance Hour in ${r.name}`,
  },
  ec2Gpu: {
    servicename: 'Amazon Elastic Compute Cloud',
    servicecategory: 'Compute',
    servicecode: 'AmazonEC2',
    usageSuffix: 'BoxUsage:g5.2xlarge',
    operation: 'RunInstances',
    unit: 'Hrs',
    unitPrice: 1.212,
    quantity: [6, 24],
    resource: (a, r, id) => `arn:aws:ec2:${r.id}:${a}:instance/i-0${id.slice(0, 16)}`,
    description: (r) => `$1.212 per On Demand Linux g5.2xlarge Instance Hour in ${r.name}`,
  },
  ebs: {
    servicename: 'Amazon Elastic Compute Cloud',
    servicecategory: 'Storage',
    servicecode: 'AmazonEC2',
    usageSuffix: 'EBS:VolumeUsage.gp3',
    operation: 'CreateVolume-Gp3',
    unit: 'GB-Mo',
    unitPrice: 0.08,
    quantity: [3, 60],
    resource: (a, r, id) => `arn:aws:ec2:${r.id}:${a}:volume/vol-0${id.slice(0, 16)}`,
    description: (r) => `$0.08 per GB-month of General Purpose (gp3) provisioned storage - ${r.name}`,
  },
  s3: {
    servicename: 'Amazon Simple Storage Service',
    servicecategory: 'Storage',
    servicecode: 'AmazonS3',
    usageSuffix: 'TimedStorage-ByteHrs',
    operation: 'StandardStorage',
    unit: 'GB-Mo',
    unitPrice: 0.023,
    quantity: [10, 400],
    resource: (a, r, id) => `arn:aws:s3:::acme-${id.slice(0, 6)}-data-${a}-${r.id}`,
    description: () => '$0.023 per GB - first 50 TB / month of storage used',
  },
  s3Requests: {
    servicename: 'Amazon Simple Storage Service',
    servicecategory: 'Storage',
    servicecode: 'AmazonS3',
    usageSuffix: 'Requests-Tier1',
    operation: 'PutObject',
    unit: 'Requests',
    unitPrice: 0.000005,
    quantity: [20_000, 900_000],
    resource: (a, r, id) => `arn:aws:s3:::acme-${id.slice(0, 6)}-events-${a}-${r.id}`,
    description: () => '$0.005 per 1,000 PUT, COPY, POST, or LIST requests',
  },
  lambda: {
    servicename: 'AWS Lambda',
    servicecategory: 'Compute',
    servicecode: 'AWSLambda',
    usageSuffix: 'Lambda-GB-Second-ARM',
    operation: 'Invoke',
    unit: 'Lambda-GB-Second',
    unitPrice: 0.0000133334,
    quantity: [20_000, 1_500_000],
    resource: (a, r, id) => `arn:aws:lambda:${r.id}:${a}:function:svc-${id.slice(0, 8)}-handler`,
    description: () => 'AWS Lambda - Total Compute - US East (N. Virginia) - 0.0000133334 USD per GB-Second',
  },
  fargate: {
    servicename: 'Amazon Elastic Container Service',
    servicecategory: 'Compute',
    servicecode: 'AmazonECS',
    usageSuffix: 'Fargate-vCPU-Hours:perCPU',
    operation: 'FargateTask',
    unit: 'hours',
    unitPrice: 0.04048,
    quantity: [48, 480],
    resource: (a, r, id) => `arn:aws:ecs:${r.id}:${a}:service/app-cluster/api-${id.slice(0, 8)}`,
    description: (r) => `AWS Fargate - vCPU - ${r.name}`,
  },
  sagemaker: {
    servicename: 'Amazon SageMaker',
    servicecategory: 'AI and Machine Learning',
    servicecode: 'AmazonSageMaker',
    usageSuffix: 'Host:ml.g5.xlarge',
    operation: 'RunInstance',
    unit: 'Hrs',
    unitPrice: 1.408,
    quantity: [24, 24],
    resource: (a, r, id) => `arn:aws:sagemaker:${r.id}:${a}:endpoint/embeddings-${id.slice(0, 8)}`,
    description: (r) => `$1.408 per Hosting ml.g5.xlarge hour in ${r.name}`,
  },
  cloudwatch: {
    servicename: 'AmazonCloudWatch',
    servicecategory: 'Management and Governance',
    servicecode: 'AmazonCloudWatch',
    usageSuffix: 'DataProcessing-Bytes',
    operation: 'PutLogEvents',
    unit: 'GB',
    unitPrice: 0.5,
    quantity: [0.5, 12],
    resource: (a, r, id) => `arn:aws:logs:${r.id}:${a}:log-group:/aws/lambda/svc-${id.slice(0, 8)}-handler`,
    description: () => '$0.50 per GB custom log data ingested',
  },
  dataTransfer: {
    servicename: 'AWS Data Transfer',
    servicecategory: 'Networking',
    servicecode: 'AWSDataTransfer',
    usageSuffix: 'DataTransfer-Out-Bytes',
    operation: 'InterZone-Out',
    unit: 'GB',
    unitPrice: 0.09,
    quantity: [1, 80],
    resource: (a, r, id) => `arn:aws:ec2:${r.id}:${a}:natgateway/nat-0${id.slice(0, 16)}`,
    description: (r) =>
      `$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier (${r.name})`,
  },
  dynamodb: {
    servicename: 'Amazon DynamoDB',
    servicecategory: 'Databases',
    servicecode: 'AmazonDynamoDB',
    usageSuffix: 'ReadRequestUnits',
    operation: 'PayPerRequestThroughput',
    unit: 'ReadRequestUnits',
    unitPrice: 0.000000125,
    quantity: [1_000_000, 60_000_000],
    resource: (a, r, id) => `arn:aws:dynamodb:${r.id}:${a}:table/sessions-${id.slice(0, 8)}`,
    description: () => '$0.125 per million read request units (US East (N. Virginia))',
  },
} as const satisfies Record<string, ServiceKind>;
export type ServiceKindName = keyof typeof SERVICE_KINDS;
