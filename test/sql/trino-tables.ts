/**
 * FOCUS data on the test run's Trino server (test/setup/trino.ts): Parquet files written below the
 * catalog's local root, a Hive table over them shaped like the Glue table (lowercase columns,
 * `billing_period` a string partition), and partitions registered from the folders, since Trino's
 * partition projection has no month unit (docs/decisions/010-athena-one-scan-and-what-is-assumed.md).
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inject } from 'vitest';
import type { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';
import type { TrinoServer } from '../setup/trino.js';

export const trinoServer = (): TrinoServer => inject('trino');

export function trinoEngine(schema = 'default'): TrinoQueryEngine {
  const server = trinoServer();
  return TrinoQueryEngine.connect({
    server: server.url,
    catalog: server.catalog,
    schema,
    user: 'sentinel-test',
  });
}

/** A folder below the catalog's local root (Trino reads it as `local:///…`). */
export function localDir(...parts: string[]): string {
  const dir = join(trinoServer().localRoot, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `local:///…` URI of a path below the local root. */
export function localUri(path: string): string {
  const rel = relative(trinoServer().localRoot, path);
  if (rel.startsWith('..')) throw new Error(`${path} is not below the Trino local root`);
  return `local:///${rel.split('\\').join('/')}`;
}

/**
 * A schema for managed tables (the CTAS staging tables a run creates): the file metastore keeps
 * their data under its own directory, so no location is given.
 */
export async function createManagedSchema(engine: TrinoQueryEngine, schema: string): Promise<void> {
  await engine.execute(`CREATE SCHEMA IF NOT EXISTS hive."${schema}"`);
}

export async function createSchema(engine: TrinoQueryEngine, schema: string): Promise<void> {
  const dir = localDir('warehouse', schema);
  await engine.execute(`CREATE SCHEMA IF NOT EXISTS hive."${schema}" WITH (location = '${localUri(dir)}')`);
}

/** A DuckDB column type as a Hive-connector type (Glue's types: no time zone on timestamps). */
export function trinoType(duck: string): string {
  const t = duck.trim().toUpperCase();
  if (t.startsWith('MAP(')) {
    const inner = duck.trim().slice(4, -1);
    const comma = inner.indexOf(',');
    return `map(${trinoType(inner.slice(0, comma))}, ${trinoType(inner.slice(comma + 1))})`;
  }
  if (t.endsWith('[]')) return `array(${trinoType(duck.trim().slice(0, -2))})`;
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  const scalar: Record<string, string> = {
    VARCHAR: 'varchar',
    DOUBLE: 'double',
    FLOAT: 'real',
    BIGINT: 'bigint',
    INTEGER: 'integer',
    BOOLEAN: 'boolean',
    DATE: 'date',
  };
  const mapped = scalar[t];
  if (!mapped) throw new Error(`no Trino type for DuckDB ${duck}`);
  return mapped;
}

/**
 * A Hive table `schema.table` over Parquet files below `dataDir` in `<key>=<value>/` folders (any
 * case of the key: AWS writes `BILLING_PERIOD=`), its columns read from one of the files, the
 * partitions registered with `sync_partition_metadata`.
 */
export async function hiveTableOverParquet(
  trino: TrinoQueryEngine,
  duckdb: DuckDbQueryEngine,
  input: { schema: string; table: string; dataDir: string; partitionKey?: string },
): Promise<string> {
  const key = input.partitionKey ?? 'billing_period';
  const [file] = await duckdb.glob(join(input.dataDir, '*', '*.parquet'));
  if (!file) throw new Error(`no Parquet file in a partition folder below ${input.dataDir}`);
  const described = await duckdb.query(
    `DESCRIBE SELECT * FROM read_parquet('${file.replace(/'/g, "''")}', hive_partitioning = false)`,
  );
  const columns = described
    .filter((c) => String(c.column_name).toLowerCase() !== key)
    .map((c) => `"${String(c.column_name).toLowerCase()}" ${trinoType(String(c.column_type))}`);
  await createSchema(trino, input.schema);
  await trino.execute(`DROP TABLE IF EXISTS hive."${input.schema}"."${input.table}"`);
  await trino.execute(
    `CREATE TABLE hive."${input.schema}"."${input.table}" (${columns.join(', ')}, "${key}" varchar)
     WITH (format = 'PARQUET', external_location = '${localUri(input.dataDir)}', partitioned_by = ARRAY['${key}'])`,
  );
  // case_sensitive = false: folder keys such as BILLING_PERIOD= match the lowercase column.
  await trino.execute(
    `CALL hive.system.sync_partition_metadata('${input.schema}', '${input.table}', 'FULL', false)`,
  );
  return `"${input.schema}"."${input.table}"`;
}
