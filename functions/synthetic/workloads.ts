/**
 * Turns a day of activity into bill rows: Bedrock workloads (prompt volume, cache behaviour,
 * output share → one row per token class at list price) and everyday resources (one row each).
 */

import { DAY_MS, type Day } from './calendar.js';
import {
  type BedrockModel,
  bedrockChargeDescription,
  bedrockServiceCode,
  bedrockServiceName,
  bedrockUsageType,
  inferenceProfileArn,
  pricePerMillion,
  type Region,
  type ServiceKind,
  TOKEN_CLASSES,
  type TokenClass,
  tokensPerUnit,
  type Variant,
} from './catalog.js';
import type { FocusRow } from './focus-row.js';
import type { Random } from './random.js';

/** Where a day's prompt tokens go: read from cache, written to cache, or plain input. */
export interface Composition {
  /** cache_read / prompt tokens (the CUDOS cache hit ratio). */
  hitRatio: number;
  /** cache_write / prompt tokens. */
  writeShare: number;
  outputPerPrompt: number;
}

/** One tag set and the share of the day's volume billed under it. */
export interface TagSplit {
  tags: Record<string, string>;
  share: number;
}

export interface BedrockWorkload {
  app: string;
  model: BedrockModel;
  variant: Variant;
  region: Region;
  streaming: boolean;
  /** What the day would cost at the reference composition; 0 = idle. Prompt volume follows from it. */
  usdAtReference(day: Day, random: Random): number;
  reference: Composition;
  /** The day's actual composition (a cache regression changes it while volume stays). */
  compositionOn?(day: Day): Composition;
  tagSplits(day: Day, random: Random): TagSplit[];
}

export interface AccountIdentity {
  accountId: string;
  accountName: string;
  payerAccountId: string;
  /** Enterprise discount: effectivecost = billedcost × (1 − discount) on usage. */
  discount: number;
}

const JANUARY_2026_MS = Date.UTC(2026, 0, 1);

export function costPerPromptToken(model: BedrockModel, variant: Variant, composition: Composition): number {
  const share = classShares(composition);
  let usdPerMillion = 0;
  for (const tokenClass of TOKEN_CLASSES) {
    usdPerMillion += share[tokenClass] * (pricePerMillion(model, tokenClass, variant) ?? 0);
  }
  return usdPerMillion / 1_000_000;
}

function classShares(composition: Composition): Record<TokenClass, number> {
  return {
    input: Math.max(0, 1 - composition.hitRatio - composition.writeShare),
    cache_read: composition.hitRatio,
    cache_write: composition.writeShare,
    output: composition.outputPerPrompt,
  };
}

/** Operation AWS bills Bedrock inference under: `Usage` before 2026, InvokeModel* since. */
export function bedrockOperation(day: Day, streaming: boolean): string {
  if (day.startMs < JANUARY_2026_MS) return 'Usage';
  return streaming ? 'InvokeModelStreamingInference' : 'InvokeModelInference';
}

export function emitBedrockDay(
  account: AccountIdentity,
  workload: BedrockWorkload,
  day: Day,
  random: Random,
  out: FocusRow[],
): void {
  const usd = workload.usdAtReference(day, random);
  if (usd <= 0) return;
  const { model, variant, region } = workload;
  const promptTokens = usd / costPerPromptToken(model, variant, workload.reference);
  const shares = classShares(workload.compositionOn?.(day) ?? workload.reference);
  const splits = workload.tagSplits(day, random);
  const resourceid = inferenceProfileArn(model, region, account.accountId, variant);
  const unitTokens = tokensPerUnit(model.unit);
  for (const split of splits) {
    for (const tokenClass of TOKEN_CLASSES) {
      const price = pricePerMillion(model, tokenClass, variant);
      const tokens = Math.round(promptTokens * shares[tokenClass] * split.share);
      if (price === null || tokens <= 0) continue;
      const cost = (tokens * price) / 1_000_000;
      const quantity = tokens / unitTokens;
      out.push({
        billingaccountid: account.payerAccountId,
        chargeperiodstart: new Date(day.startMs),
        chargeperiodend: new Date(day.startMs + DAY_MS),
        subaccountid: account.accountId,
        subaccountname: account.accountName,
        servicename: bedrockServiceName(model),
        servicecategory: 'AI and Machine Learning',
        x_servicecode: bedrockServiceCode(model),
        x_operation: bedrockOperation(day, workload.streaming),
        skumeter: bedrockUsageType(model, region, tokenClass, variant),
        chargecategory: 'Usage',
        chargeclass: null,
        chargedescription: bedrockChargeDescription(model, region, tokenClass, variant, price),
        billedcost: cost,
        effectivecost: model.channel === 'marketplace' ? cost : cost * (1 - account.discount),
        listcost: cost,
        consumedquantity: quantity,
        consumedunit: model.unit,
        pricingunit: model.unit,
        pricingquantity: quantity,
        regionid: region.id,
        resourceid,
        tags: split.tags,
        providername: 'AWS',
        publishername: model.channel === 'marketplace' ? model.provider : 'Amazon Web Services, Inc.',
      });
    }
  }
}

/** A long-lived resource (an instance, a bucket, a function) billed once a day. */
export interface EverydayResource {
  kind: ServiceKind;
  region: Region;
  resourceid: string;
  /** Daily quantity on a weekday. */
  quantity: number;
  weekendFactor: number;
  tags: Record<string, string>;
  /** Grows (or shrinks) by this factor per day, compounding: slow organic change. */
  dailyGrowth: number;
}

export function everydayUsageType(kind: ServiceKind, region: Region): string {
  // AWS leaves the region prefix off most us-east-1 usage types.
  return region.id === 'us-east-1' ? kind.usageSuffix : `${region.prefix}-${kind.usageSuffix}`;
}

export function emitEverydayDay(
  account: AccountIdentity,
  resource: EverydayResource,
  day: Day,
  random: Random,
  out: FocusRow[],
): void {
  const weekend = day.weekday === 0 || day.weekday === 6;
  const growth = resource.dailyGrowth ** -day.fromEnd;
  const steadyAllDay = resource.kind.unit === 'Hrs' && resource.kind.quantity[0] === 24;
  const quantity = steadyAllDay
    ? 24
    : resource.quantity * growth * (weekend ? resource.weekendFactor : 1) * random.wobble(0.15);
  const cost = quantity * resource.kind.unitPrice;
  out.push({
    billingaccountid: account.payerAccountId,
    chargeperiodstart: new Date(day.startMs),
    chargeperiodend: new Date(day.startMs + DAY_MS),
    subaccountid: account.accountId,
    subaccountname: account.accountName,
    servicename: resource.kind.servicename,
    servicecategory: resource.kind.servicecategory,
    x_servicecode: resource.kind.servicecode,
    x_operation: resource.kind.operation,
    skumeter: everydayUsageType(resource.kind, resource.region),
    chargecategory: 'Usage',
    chargeclass: null,
    chargedescription: resource.kind.description(resource.region),
    billedcost: cost,
    effectivecost: cost * (1 - account.discount),
    listcost: cost,
    consumedquantity: quantity,
    consumedunit: resource.kind.unit,
    pricingunit: resource.kind.unit,
    pricingquantity: quantity,
    regionid: resource.region.id,
    resourceid: resource.resourceid,
    tags: resource.tags,
    providername: 'AWS',
    publishername: 'Amazon Web Services, Inc.',
  });
}
