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

/** The grammar Athena parses a statement with (docs/athena-sql.md): Hive for DDL, Trino for the rest. */
export type AthenaGrammar = 'hive' | 'trino';

const DDL_HEAD =
  /^(CREATE\s+(EXTERNAL\s+)?TABLE|CREATE\s+(DATABASE|SCHEMA)|DROP\s+(TABLE|DATABASE|SCHEMA)|ALTER\s+(TABLE|DATABASE|SCHEMA)|MSCK\s+REPAIR|SHOW\s|DESCRIBE\s)/i;
/** CREATE TABLE … AS SELECT / WITH: a CTAS, which Athena runs as a Trino query. */
const CTAS = /^CREATE\s+TABLE\b[\s\S]*?\bAS\s*\(?\s*(SELECT|WITH)\b/i;

/** Athena sends DDL (`CREATE EXTERNAL TABLE`, `DROP TABLE`, `ALTER`, …) to Hive; queries and CTAS to Trino. */
export function athenaGrammar(sql: string): AthenaGrammar {
  const head = sql.replace(/^(\s*--[^\n]*\n)+/, '').trimStart();
  if (CTAS.test(head)) return 'trino';
  return DDL_HEAD.test(head) ? 'hive' : 'trino';
}

/** Syntax errors of a statement under the grammar Athena would parse it with, as `grammar line:column message`. */
export async function athenaSyntaxErrors(sql: string): Promise<string[]> {
  const grammar = athenaGrammar(sql);
  const errors = grammar === 'hive' ? await hiveSyntaxErrors(sql) : await trinoSyntaxErrors(sql);
  return errors.map((e) => `${grammar} ${e}`);
}
