/**
 * One row of a FOCUS export as this project writes and reads it (Glue's lowercase names).
 * FOCUS 1.2 carries the AWS usage type in `skumeter`; FOCUS 1.0 in `x_usagetype`.
 */
export interface FocusRow {
  billingaccountid: string;
  chargeperiodstart: Date;
  chargeperiodend: Date;
  subaccountid: string | null;
  subaccountname: string | null;
  servicename: string;
  servicecategory: string;
  x_servicecode: string;
  x_operation: string | null;
  /** FOCUS 1.2 usage type; null in 1.0 exports (which use x_usagetype). */
  skumeter: string | null;
  x_usagetype?: string | null;
  chargecategory: 'Usage' | 'Purchase' | 'Tax' | 'Credit' | 'Adjustment';
  chargeclass: 'Correction' | null;
  chargedescription: string | null;
  billedcost: number | null;
  effectivecost: number | null;
  listcost: number | null;
  consumedquantity: number | null;
  consumedunit: string | null;
  pricingunit: string | null;
  pricingquantity: number | null;
  regionid: string | null;
  resourceid: string | null;
  tags: Record<string, string>;
  providername: string;
  publishername: string;
}
