/**
 * The Athena tables over what the service writes (docs/storage.md): `sql/ddl/<table>.sql`, rendered with
 * the database and the S3 location. The deployment creates them; `test/sql/ddl.test.ts` checks each
 * against the records the code writes.
 */
import { ALL_DETECTORS } from '../detect/registry.js';
import { renderSql } from './render.js';

export const ATHENA_TABLES = ['findings', 'case_events', 'runs'] as const;
export type AthenaTable = (typeof ATHENA_TABLES)[number];

const NAME = /^[A-Za-z0-9_]+$/;

export function tableDdl(table: AthenaTable, input: { database: string; location: string }): string {
  if (!NAME.test(input.database)) throw new Error(`not a database name: ${input.database}`);
  if (!/^s3:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._=/-]*)?$/.test(input.location) || input.location.endsWith('/')) {
    throw new Error(`not an s3:// location without a trailing slash: ${input.location}`);
  }
  // The findings table's detector partitions are every registered detector (its projection enumerates them).
  return renderSql(`ddl/${table}`, 'athena', { ...input, detectors: ALL_DETECTORS.join(',') });
}

// ---- The same tables on Trino ---------------------------------------------------------------------

/** Hive JSON serdes as Trino's Hive connector names their storage formats. */
const TRINO_FORMAT_OF_SERDE: Record<string, string> = {
  'org.openx.data.jsonserde.JsonSerDe': 'OPENX_JSON',
  'org.apache.hive.hcatalog.data.JsonSerDe': 'JSON',
};

/** Splits on commas outside <…> and (…): the columns of a DDL list, the fields of a type. */
export function topLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '<' || ch === '(') depth++;
    if (ch === '>' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** A Hive (Athena DDL) type in Trino's spelling: string → varchar, struct<…> → row(…), etc. */
export function trinoType(hive: string): string {
  const t = hive.replace(/\s+/g, ' ').trim();
  const inner = (prefix: string) => t.slice(prefix.length, -1);
  const lower = t.toLowerCase();
  if (lower.startsWith('array<')) return `array(${trinoType(inner('array<'))})`;
  if (lower.startsWith('map<')) return `map(${topLevel(inner('map<')).map(trinoType).join(', ')})`;
  if (lower.startsWith('struct<')) {
    const fields = topLevel(inner('struct<')).map((field) => {
      const m = /^`?([^`:]+)`?\s*:\s*([\s\S]+)$/.exec(field.trim());
      if (!m) throw new Error(`cannot read struct field ${field}`);
      return `"${m[1]}" ${trinoType(m[2]!)}`;
    });
    return `row(${fields.join(', ')})`;
  }
  const scalar: Record<string, string> = {
    string: 'varchar',
    int: 'integer',
    bigint: 'bigint',
    double: 'double',
    boolean: 'boolean',
  };
  const mapped = scalar[lower];
  if (!mapped) throw new Error(`no Trino type for Hive type ${hive}`);
  return mapped;
}

interface HiveTable {
  columns: { name: string; type: string }[];
  partitions: { name: string; type: string }[];
  serde: string;
  location: string;
}

/** The parts of one of our Athena `CREATE EXTERNAL TABLE` statements a Trino table needs. */
function readHiveDdl(sql: string): HiveTable {
  const body = sql.replace(/^--.*$/gm, '');
  const open = body.indexOf('(', body.indexOf('CREATE EXTERNAL TABLE'));
  let depth = 0;
  let close = open;
  for (let i = open; i < body.length; i++) {
    if (body[i] === '(') depth++;
    if (body[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  const columnsOf = (list: string) =>
    topLevel(list).map((part) => {
      const m = /^`([^`]+)`\s+([\s\S]+)$/.exec(part.replace(/\s+/g, ' '));
      if (!m) throw new Error(`cannot read column ${part}`);
      return { name: m[1]!, type: m[2]!.trim() };
    });
  const partitioned = /PARTITIONED BY \(([^)]*)\)/.exec(body);
  const serde = /ROW FORMAT SERDE '([^']+)'/.exec(body)?.[1];
  const location = /LOCATION '([^']+)'/.exec(body)?.[1];
  if (!serde || !location) throw new Error('DDL without ROW FORMAT SERDE or LOCATION');
  return {
    columns: columnsOf(body.slice(open + 1, close)),
    partitions: partitioned ? columnsOf(partitioned[1]!) : [],
    serde,
    location,
  };
}

/**
 * The same table for a Trino cluster's Hive catalog (or a test server), derived from the Athena
 * DDL in sql/ddl/ rather than kept as a copy: Trino spells the types its own way, names the JSON
 * serde as a storage format (OpenX → `OPENX_JSON`), and lists partition keys as the last columns.
 * Partition projection is left out: Trino's fails on a projected partition whose folder does not
 * exist (every day without findings), so partitions are registered instead
 * (`CALL <catalog>.system.sync_partition_metadata('<schema>', '<table>', 'ADD')`).
 * `location` is the results root (`s3://bucket/prefix`, or any URI the catalog reads), no trailing slash.
 */
export function trinoTableDdl(
  table: AthenaTable,
  input: { catalog: string; schema: string; location: string },
): string {
  if (!NAME.test(input.catalog) || !NAME.test(input.schema)) {
    throw new Error(`not a catalog or schema name: ${input.catalog}.${input.schema}`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\/[A-Za-z0-9._=/-]*$/.test(input.location) || input.location.endsWith('/')) {
    throw new Error(`not a location URI without a trailing slash: ${input.location}`);
  }
  const hive = readHiveDdl(
    renderSql(`ddl/${table}`, 'athena', {
      database: input.schema,
      location: input.location,
      detectors: ALL_DETECTORS.join(','),
    }),
  );
  const format = TRINO_FORMAT_OF_SERDE[hive.serde];
  if (!format) throw new Error(`no Trino storage format for serde ${hive.serde}`);
  const columns = [...hive.columns, ...hive.partitions].map((c) => `  "${c.name}" ${trinoType(c.type)}`);
  const properties = [
    `  format = '${format}'`,
    `  external_location = '${hive.location}'`,
    ...(hive.partitions.length > 0
      ? [`  partitioned_by = ARRAY[${hive.partitions.map((p) => `'${p.name}'`).join(', ')}]`]
      : []),
  ];
  return `-- ${table} on Trino, derived from sql/ddl/${table}.sql (partitions registered, not projected).
CREATE TABLE IF NOT EXISTS "${input.catalog}"."${input.schema}"."${table}" (
${columns.join(',\n')}
)
WITH (
${properties.join(',\n')}
)
`;
}
