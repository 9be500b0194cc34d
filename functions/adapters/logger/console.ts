/**
 * The Logger on a console: short readable lines (`text`, the default) or one JSON object per line
 * (`json`). Always on stderr, so `--json` output on stdout stays clean. The CLI picks the format and
 * level from its environment (SENTINEL_LOG_FORMAT, SENTINEL_LOG_LEVEL: adapters/environment.ts).
 */
import { describeError } from '../../core/errors.js';
import type { Logger, LogLevel } from '../../core/log.js';
import { sentinelEnvironment } from '../environment.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  format?: 'json' | 'text';
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'text';
  const level: LogLevel = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));

  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>, error?: unknown) => {
    if (ORDER[lvl] < (ORDER[level] ?? 20)) return;
    const described = error === undefined ? undefined : describeError(error);
    if (format === 'json') {
      write(
        JSON.stringify({
          level: lvl,
          time: new Date().toISOString(),
          message,
          ...fields,
          ...(described ? { error: described } : {}),
        }),
      );
      return;
    }
    const prefix = lvl === 'info' ? '' : `${lvl}: `;
    const extra =
      fields && Object.keys(fields).length > 0
        ? ` ${Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')}`
        : '';
    write(`${prefix}${message}${extra}${described ? `: ${described}` : ''}`);
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f, e) => emit('warn', m, f, e),
    error: (m, f, e) => emit('error', m, f, e),
  };
}

/** The CLI's logger, from the environment its door read (SENTINEL_LOG_FORMAT, SENTINEL_LOG_LEVEL). */
export function consoleLogger(env: NodeJS.ProcessEnv): Logger {
  const { logFormat, logLevel } = sentinelEnvironment(env);
  return createLogger({ format: logFormat, ...(logLevel ? { level: logLevel } : {}) });
}
