/**
 * The Logger on a console: short readable lines on a terminal, one JSON object per line in Lambda
 * or with SENTINEL_LOG_FORMAT=json. Always on stderr, so `--json` output on stdout stays clean.
 */
import { describeError } from '../../core/errors.js';
import type { Logger, LogLevel } from '../../core/log.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  format?: 'json' | 'text';
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const env = process.env;
  const format =
    options.format ?? (env.SENTINEL_LOG_FORMAT === 'json' || env.AWS_LAMBDA_FUNCTION_NAME ? 'json' : 'text');
  const level: LogLevel = options.level ?? (env.SENTINEL_LOG_LEVEL as LogLevel | undefined) ?? 'info';
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
