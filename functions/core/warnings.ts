/**
 * The warnings of one run: logged as they happen and listed in its run record. Made per run by
 * the command, so a logger that outlives an invocation (a warm Lambda) carries nothing over.
 */
import type { Logger } from './log.js';

export interface RunLog extends Logger {
  readonly warnings: readonly string[];
}

export function runLog(log: Logger): RunLog {
  const warnings: string[] = [];
  return {
    debug: (m, f) => log.debug(m, f),
    info: (m, f) => log.info(m, f),
    warn: (m, f, e) => {
      warnings.push(m);
      log.warn(m, f, e);
    },
    error: (m, f, e) => log.error(m, f, e),
    warnings,
  };
}
