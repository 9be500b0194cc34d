/**
 * The Logger on a console: short readable lines on a terminal, one JSON object per line in Lambda
 * or with SENTINEL_LOG_FORMAT=json. Always on stderr, so `--json` output on stdout stays clean.
 */
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

  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < (ORDER[level] ?? 20)) return;
    if (format === 'json') {
      write(JSON.stringify({ level: lvl, time: new Date().toISOString(), message, ...fields }));
      return;
    }
    const prefix = lvl === 'info' ? '' : `${lvl}: `;
    const extra =
      fields && Object.keys(fields).length > 0
        ? ` ${Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')}`
        : '';
    write(`${prefix}${message}${extra}`);
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
