'use strict';
/**
 * The Glue tables of the stack, generated at package time:
 * - `findings`, `case_events`, `runs` from the one DDL source, `sql/ddl/<table>.sql`, rendered by the
 *   same function the DDL tests read (`tableDdl`, functions/core/sql/ddl.ts) and
 *   translated here into `AWS::Glue::Table` (columns, partition keys, SerDe, location, projection);
 * - when no `focusTable` parameter is given, the FOCUS table over `exportLocation` (Parquet, partition
 *   projection on `billing_period`, `yyyy-MM`, monthly, as the export's `BILLING_PERIOD=` folders).
 */
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { load } = require('./parameters.cjs');

const ROOT = path.resolve(__dirname, '..');
/** A bucket name no real location uses: rendered into the DDL, then swapped for `${StateBucket}`. */
const PLACEHOLDER_BUCKET = 'sentinel-state-bucket-placeholder';
const LOGICAL_IDS = { findings: 'FindingsTable', case_events: 'CaseEventsTable', runs: 'RunsTable' };

/**
 * `functions/core/sql/ddl.ts` itself, compiled on the fly with esbuild (no stale dist/): written under
 * dist/.infra (git-ignored) so that it finds this checkout's sql/ walking up, and its packages in
 * node_modules. Not under node_modules itself: a node_modules linked from another checkout would make it
 * read that checkout's sql/.
 */
async function ddlModule() {
  const esbuild = require('esbuild');
  const out = path.join(ROOT, 'dist', '.infra', 'ddl.mjs');
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'functions', 'core', 'sql', 'ddl.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  return import(`${pathToFileURL(out).href}?t=${Date.now()}`);
}

/** The text inside the parenthesis that opens at `open`. */
function enclosed(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error('unbalanced parentheses in DDL');
}

/** `name type` pairs; Glue spells types without backticks or spaces (`array<struct<date:string>>`). */
function columnsOf(list, topLevel) {
  return topLevel(list).map((part) => {
    const m = /^`([^`]+)`\s+([\s\S]+)$/.exec(part.replace(/\s+/g, ' ').trim());
    if (!m) throw new Error(`cannot read DDL column: ${part}`);
    return { Name: m[1], Type: m[2].replace(/`/g, '').replace(/\s+/g, '') };
  });
}

function quoted(pattern, text, what) {
  const m = pattern.exec(text);
  if (!m) throw new Error(`DDL has no ${what}`);
  return m[1];
}

/** Reads a rendered `CREATE EXTERNAL TABLE` (the shape of sql/ddl/*.sql) into a Glue TableInput. */
function tableInputOf(ddl, topLevel) {
  const sql = ddl.replace(/^\s*--.*$/gm, '');
  const head = /CREATE EXTERNAL TABLE (?:IF NOT EXISTS )?`([^`]+)`\.`([^`]+)`\s*\(/.exec(sql);
  if (!head) throw new Error('DDL is not a CREATE EXTERNAL TABLE `db`.`table` (…)');
  const columns = columnsOf(enclosed(sql, head.index + head[0].length - 1), topLevel);
  const partitioned = /PARTITIONED BY\s*\(/.exec(sql);
  const partitionKeys = partitioned
    ? columnsOf(enclosed(sql, partitioned.index + partitioned[0].length - 1), topLevel)
    : [];
  const serde = quoted(/ROW FORMAT SERDE '([^']+)'/, sql, 'ROW FORMAT SERDE');
  const location = quoted(/LOCATION '([^']+)'/, sql, 'LOCATION');
  const parameters = { EXTERNAL: 'TRUE', classification: 'json' };
  const props = /TBLPROPERTIES\s*\(/.exec(sql);
  if (props) {
    const text = enclosed(sql, props.index + props[0].length - 1);
    const entry = /'([^']+)'\s*=\s*'([^']*)'/g;
    if (text.replace(entry, '').replace(/[\s,]/g, '') !== '') {
      throw new Error(`cannot read TBLPROPERTIES: ${text}`);
    }
    for (const m of text.matchAll(entry)) parameters[m[1]] = m[2];
  }
  if (serde !== 'org.openx.data.jsonserde.JsonSerDe') throw new Error(`unexpected SerDe ${serde}`);
  return {
    database: head[1],
    TableInput: {
      Name: head[2],
      TableType: 'EXTERNAL_TABLE',
      Parameters: parameters,
      PartitionKeys: partitionKeys,
      StorageDescriptor: {
        Columns: columns,
        Location: location,
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        SerdeInfo: { SerializationLibrary: serde },
      },
    },
  };
}

/**
 * Values that mention the state bucket become `Fn::Sub` (a literal `${x}` of a projection template
 * is written `${!x}` there); every other value stays a plain string.
 */
function substituteBucket(value) {
  if (typeof value === 'string') {
    if (!value.includes(PLACEHOLDER_BUCKET)) return value;
    return { 'Fn::Sub': value.replace(/\$\{/g, '${!').replaceAll(PLACEHOLDER_BUCKET, '${StateBucket}') };
  }
  if (Array.isArray(value)) return value.map(substituteBucket);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteBucket(v)]));
  }
  return value;
}

/** FOCUS 1.2 with AWS columns, as the Glue table of a Data Exports FOCUS export names them. */
const FOCUS_COLUMNS = [
  ['availabilityzone', 'string'],
  ['billedcost', 'double'],
  ['billingaccountid', 'string'],
  ['billingaccountname', 'string'],
  ['billingaccounttype', 'string'],
  ['billingcurrency', 'string'],
  ['billingperiodend', 'timestamp'],
  ['billingperiodstart', 'timestamp'],
  ['capacityreservationid', 'string'],
  ['capacityreservationstatus', 'string'],
  ['chargecategory', 'string'],
  ['chargeclass', 'string'],
  ['chargedescription', 'string'],
  ['chargefrequency', 'string'],
  ['chargeperiodend', 'timestamp'],
  ['chargeperiodstart', 'timestamp'],
  ['commitmentdiscountcategory', 'string'],
  ['commitmentdiscountid', 'string'],
  ['commitmentdiscountname', 'string'],
  ['commitmentdiscountquantity', 'double'],
  ['commitmentdiscountstatus', 'string'],
  ['commitmentdiscounttype', 'string'],
  ['commitmentdiscountunit', 'string'],
  ['consumedquantity', 'double'],
  ['consumedunit', 'string'],
  ['contractedcost', 'double'],
  ['contractedunitprice', 'double'],
  ['effectivecost', 'double'],
  ['invoiceid', 'string'],
  ['invoiceissuername', 'string'],
  ['listcost', 'double'],
  ['listunitprice', 'double'],
  ['pricingcategory', 'string'],
  ['pricingcurrency', 'string'],
  ['pricingquantity', 'double'],
  ['pricingunit', 'string'],
  ['providername', 'string'],
  ['publishername', 'string'],
  ['regionid', 'string'],
  ['regionname', 'string'],
  ['resourceid', 'string'],
  ['resourcename', 'string'],
  ['resourcetype', 'string'],
  ['servicecategory', 'string'],
  ['servicename', 'string'],
  ['servicesubcategory', 'string'],
  ['skuid', 'string'],
  ['skumeter', 'string'],
  ['skupriceid', 'string'],
  ['skupricedetails', 'map<string,string>'],
  ['subaccountid', 'string'],
  ['subaccountname', 'string'],
  ['subaccounttype', 'string'],
  ['tags', 'map<string,string>'],
  ['x_costcategories', 'map<string,string>'],
  ['x_discounts', 'map<string,double>'],
  ['x_operation', 'string'],
  ['x_servicecode', 'string'],
];

function focusTableResource(p) {
  const { bucket, key } = p.exportLocation;
  return {
    Type: 'AWS::Glue::Table',
    Properties: {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseName: { Ref: 'SentinelDatabase' },
      TableInput: {
        Name: p.focus.table,
        Description: `FOCUS 1.2 export at s3://${bucket}/${key}/ (overwrite mode)`,
        TableType: 'EXTERNAL_TABLE',
        Parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.billing_period.type': 'date',
          'projection.billing_period.format': 'yyyy-MM',
          'projection.billing_period.range': '2020-01,NOW',
          'projection.billing_period.interval': '1',
          'projection.billing_period.interval.unit': 'MONTHS',
          'storage.location.template': `s3://${bucket}/${key}/BILLING_PERIOD=\${billing_period}/`,
        },
        PartitionKeys: [{ Name: 'billing_period', Type: 'string' }],
        StorageDescriptor: {
          Columns: FOCUS_COLUMNS.map(([Name, Type]) => ({ Name, Type })),
          Location: `s3://${bucket}/${key}/`,
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    },
  };
}

/** The Resources fragment: one `AWS::Glue::Table` per DDL file, and the FOCUS table when created. */
async function glueTables(parameters) {
  const { ATHENA_TABLES, tableDdl, topLevel } = await ddlModule();
  const location = `s3://${PLACEHOLDER_BUCKET}/${parameters.statePrefix}`;
  const resources = {};
  for (const table of ATHENA_TABLES) {
    const { database, TableInput } = tableInputOf(
      tableDdl(table, { database: parameters.database, location }),
      topLevel,
    );
    const logicalId = LOGICAL_IDS[table];
    if (!logicalId) throw new Error(`no logical id for the DDL table ${table} (infra/glue-tables.cjs)`);
    if (database !== parameters.database) throw new Error(`DDL of ${table} names database ${database}`);
    resources[logicalId] = {
      Type: 'AWS::Glue::Table',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseName: { Ref: 'SentinelDatabase' },
        TableInput: substituteBucket(TableInput),
      },
    };
  }
  if (parameters.focus.created) resources.FocusTable = focusTableResource(parameters);
  return { Resources: resources };
}

module.exports = async (context) => glueTables(await load(context));
module.exports.glueTables = glueTables;
module.exports.tableInputOf = tableInputOf;
module.exports.PLACEHOLDER_BUCKET = PLACEHOLDER_BUCKET;
