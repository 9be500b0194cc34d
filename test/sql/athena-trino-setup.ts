/**
 * vitest globalSetup: bundles dt-sql-parser's Trino grammar (queries) and Hive grammar (Athena DDL)
 * into one ESM file. Its published ESM
 * build imports folders without extensions, which Node 20 refuses (ERR_UNSUPPORTED_DIR_IMPORT);
 * esbuild resolves them. The bundle goes to node_modules/.cache (git-ignored) and is rebuilt when
 * the installed dt-sql-parser version changes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT, TRINO_PARSER_BUNDLE } from './athena-trino.js';

export default async function setup(): Promise<void> {
  const manifest = join(PROJECT_ROOT, 'node_modules', 'dt-sql-parser', 'package.json');
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const stamp = `${TRINO_PARSER_BUNDLE}.version`;
  if (existsSync(TRINO_PARSER_BUNDLE) && existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return;
  mkdirSync(dirname(TRINO_PARSER_BUNDLE), { recursive: true });
  // Written beside the target and renamed, so a concurrent run never imports half a file.
  const temporary = `${TRINO_PARSER_BUNDLE}.${process.pid}.tmp.mjs`;
  await build({
    stdin: {
      contents:
        "export { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';\n" +
        "export { HiveSQL } from 'dt-sql-parser/dist/parser/hive/index.js';",
      resolveDir: PROJECT_ROOT,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: temporary,
    logLevel: 'warning',
  });
  renameSync(temporary, TRINO_PARSER_BUNDLE);
  writeFileSync(stamp, version);
}
