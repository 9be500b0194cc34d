import { DuckDbQueryEngine } from '../../functions/adapters/query-engine/duckdb.js';
import { queryEngineContract } from '../fixtures/query-engine-contract.js';

queryEngineContract('DuckDB', { open: () => DuckDbQueryEngine.open() });
