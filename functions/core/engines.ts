/** The query engines a run can use (docs/configuration.md): a module of its own so `--help` loads no schema library. */
export const ENGINES = ['duckdb', 'athena', 'trino'] as const;

export type Engine = (typeof ENGINES)[number];
