// Benchmark baseline: a process that loads DuckDB and sums the cost column over the given Parquet files.
// usage: node scan.mjs COLUMN FILE_OR_GLOB...
import { DuckDBInstance } from '@duckdb/node-api';

const [column, ...files] = process.argv.slice(2);
const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(
  `SELECT sum("${column}") AS total FROM read_parquet([${list}])`,
);
process.stdout.write(`${JSON.stringify(reader.getRowObjectsJson()[0])}\n`);
