// Every template of sql/ (partials and DDL included) precompiled with the options render.ts compiles them
// with at run time, as the source of functions/core/sql/precompiled.ts in the CLI bundle (bundle-cli.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import Handlebars from 'handlebars';

/** Must equal render.ts's compile options: strict (a missing parameter is an error), no HTML escaping. */
export const SQL_COMPILE_OPTIONS = { noEscape: true, strict: true };

function sqlFiles(root) {
  return readdirSync(join(root, 'sql'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.sql'))
    .map((file) => `sql/${file.split(sep).join('/')}`)
    .sort();
}

/** The module text: `export const PRECOMPILED_SQL = { "sql/…": spec, … };` */
export function precompiledSqlModule(root) {
  const entries = sqlFiles(root).map((path) => {
    const spec = Handlebars.precompile(
      readFileSync(join(root, ...path.split('/')), 'utf8'),
      SQL_COMPILE_OPTIONS,
    );
    return `  ${JSON.stringify(path)}: ${spec},`;
  });
  return `export const PRECOMPILED_SQL = {\n${entries.join('\n')}\n};\n`;
}
