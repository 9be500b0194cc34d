/**
 * The columns a written FOCUS export holds, in order, with their Glue (lowercase) and raw-export
 * (PascalCase) names. The usage type sits in `skumeter` (FOCUS 1.2) or `x_usagetype` (FOCUS 1.0).
 */

export type ColumnNaming = 'lowercase' | 'pascal';
export type FocusVersion = '1.2' | '1.0';
export type TimestampType = 'TIMESTAMP' | 'TIMESTAMPTZ';

export type ColumnKind = 'string' | 'double' | 'timestamp' | 'map';

export interface ExportColumn {
  name: string;
  pascal: string;
  kind: ColumnKind;
  /** Column of the canonical staging table it is read from. */
  source: string;
}

/** Canonical staging table layout (what the generators produce before naming options apply). */
export const STAGING_COLUMNS = [
  ['billingaccountid', 'VARCHAR'],
  ['billingperiodstart', 'TIMESTAMP'],
  ['billingperiodend', 'TIMESTAMP'],
  ['chargeperiodstart', 'TIMESTAMP'],
  ['chargeperiodend', 'TIMESTAMP'],
  ['subaccountid', 'VARCHAR'],
  ['subaccountname', 'VARCHAR'],
  ['servicename', 'VARCHAR'],
  ['servicecategory', 'VARCHAR'],
  ['x_servicecode', 'VARCHAR'],
  ['x_operation', 'VARCHAR'],
  ['usagetype', 'VARCHAR'],
  ['chargecategory', 'VARCHAR'],
  ['chargeclass', 'VARCHAR'],
  ['chargedescription', 'VARCHAR'],
  ['billedcost', 'DOUBLE'],
  ['effectivecost', 'DOUBLE'],
  ['listcost', 'DOUBLE'],
  ['consumedquantity', 'DOUBLE'],
  ['consumedunit', 'VARCHAR'],
  ['pricingunit', 'VARCHAR'],
  ['pricingquantity', 'DOUBLE'],
  ['regionid', 'VARCHAR'],
  ['resourceid', 'VARCHAR'],
  ['tags', 'MAP(VARCHAR, VARCHAR)'],
  ['providername', 'VARCHAR'],
  ['publishername', 'VARCHAR'],
  ['billingcurrency', 'VARCHAR'],
  ['billing_period', 'VARCHAR'],
] as const;

const column = (name: string, pascal: string, kind: ColumnKind, source = name): ExportColumn => ({
  name,
  pascal,
  kind,
  source,
});

export function exportColumns(version: FocusVersion): ExportColumn[] {
  const usageType =
    version === '1.2'
      ? column('skumeter', 'SkuMeter', 'string', 'usagetype')
      : column('x_usagetype', 'x_UsageType', 'string', 'usagetype');
  return [
    column('billedcost', 'BilledCost', 'double'),
    column('billingaccountid', 'BillingAccountId', 'string'),
    column('billingcurrency', 'BillingCurrency', 'string'),
    column('billingperiodend', 'BillingPeriodEnd', 'timestamp'),
    column('billingperiodstart', 'BillingPeriodStart', 'timestamp'),
    column('chargecategory', 'ChargeCategory', 'string'),
    column('chargeclass', 'ChargeClass', 'string'),
    column('chargedescription', 'ChargeDescription', 'string'),
    column('chargeperiodend', 'ChargePeriodEnd', 'timestamp'),
    column('chargeperiodstart', 'ChargePeriodStart', 'timestamp'),
    column('consumedquantity', 'ConsumedQuantity', 'double'),
    column('consumedunit', 'ConsumedUnit', 'string'),
    column('effectivecost', 'EffectiveCost', 'double'),
    column('listcost', 'ListCost', 'double'),
    column('pricingquantity', 'PricingQuantity', 'double'),
    column('pricingunit', 'PricingUnit', 'string'),
    column('providername', 'ProviderName', 'string'),
    column('publishername', 'PublisherName', 'string'),
    column('regionid', 'RegionId', 'string'),
    column('resourceid', 'ResourceId', 'string'),
    column('servicecategory', 'ServiceCategory', 'string'),
    column('servicename', 'ServiceName', 'string'),
    usageType,
    column('subaccountid', 'SubAccountId', 'string'),
    column('subaccountname', 'SubAccountName', 'string'),
    column('tags', 'Tags', 'map'),
    column('x_operation', 'x_Operation', 'string'),
    column('x_servicecode', 'x_ServiceCode', 'string'),
  ];
}

/** Type names as a Glue table and the export manifest spell them. */
export function glueType(kind: ColumnKind): string {
  return kind === 'map' ? 'map<string,string>' : kind;
}
