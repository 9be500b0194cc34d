// Benchmark baseline: a process that starts Node, loads DuckDB and runs SELECT 1.
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.runAndReadAll('SELECT 1');
