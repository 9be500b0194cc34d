/**
 * Builds the QueryEngine and FOCUS table a command needs from configuration. The DuckDB engine is
 * the embedded default; the Athena adapter comes with the AWS deployment.
 */
import type { SentinelConfig } from '../core/config.js';
import type { FocusTable } from '../core/detect/statements.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { QueryEngine } from '../core/ports.js';
import { resolveExport } from './focus-export/resolve-files.js';
import { DuckDbQueryEngine } from './query-engine/duckdb.js';
import { attachFocusExport } from './query-engine/duckdb-focus.js';

export interface OpenedEngine {
  engine: QueryEngine;
  focus: FocusTable;
}

export async function openEngine(config: SentinelConfig, log: Logger): Promise<OpenedEngine> {
  if (config.engine === 'athena') {
    throw new ConfigError(
      'engine athena: the Athena adapter ships with the AWS deployment, not in this build',
      {
        hint: 'run locally with --engine duckdb over the export files; `sentinel sql --dialect athena` prints the Athena SQL',
      },
    );
  }
  const engine = await DuckDbQueryEngine.open();
  try {
    const resolved = await resolveExport(config.focus, (pattern) => engine.glob(pattern));
    for (const ignored of resolved.ignoredDeliveries) {
      log.warn(
        `billing period ${ignored.period} holds several deliveries: reading only ${ignored.kept}, ignoring ${ignored.delivery} (set the export to overwrite)`,
      );
    }
    const focus = await attachFocusExport(engine, resolved, config.cost_column, config.focus);
    return { engine, focus };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
