/** The Trino grammar (dt-sql-parser's TrinoSQL), loaded from the bundle athena-trino-setup.ts builds. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TRINO_PARSER_BUNDLE = join(
  PROJECT_ROOT,
  'node_modules',
  '.cache',
  'sentinel',
  'dt-sql-parser.mjs',
);

export interface SyntaxError {
  message: string;
  startLine: number;
  startColumn: number;
}

interface TrinoParser {
  validate(sql: string): SyntaxError[];
}

let parser: TrinoParser | null = null;
let hiveParser: TrinoParser | null = null;

/** Syntax errors of a Trino statement (or script), as `line:column message` lines; empty when it parses. */
export async function trinoSyntaxErrors(sql: string): Promise<string[]> {
  if (!parser) {
    const module = (await import(pathToFileURL(TRINO_PARSER_BUNDLE).href)) as {
      TrinoSQL: new () => TrinoParser;
    };
    parser = new module.TrinoSQL();
  }
  return parser.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}

/** Syntax errors of an Athena DDL statement (Hive grammar: CREATE EXTERNAL TABLE … TBLPROPERTIES). */
export async function hiveSyntaxErrors(sql: string): Promise<string[]> {
  if (!hiveParser) {
    const module = (await import(pathToFileURL(TRINO_PARSER_BUNDLE).href)) as {
      HiveSQL: new () => TrinoParser;
    };
    hiveParser = new module.HiveSQL();
  }
  return hiveParser.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}
