/**
 * The Logger port: one logger per process, holding no per-run state (a run's warnings are
 * collected by core/warnings.ts). Adapters: adapters/logger/console.ts (terminal, or JSON lines)
 * and adapters/logger/lambda.ts (Powertools).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  /** `error`: what failed, with its causes (the adapter formats the chain; Powertools its own way). */
  warn(message: string, fields?: Record<string, unknown>, error?: unknown): void;
  error(message: string, fields?: Record<string, unknown>, error?: unknown): void;
}

const ignore = () => {};

/** A logger that prints nothing (tests, benchmarks). */
export const silentLogger = (): Logger => ({ debug: ignore, info: ignore, warn: ignore, error: ignore });
