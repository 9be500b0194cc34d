/**
 * Renders the query files in sql/ for one dialect. Files are Handlebars templates whose helpers
 * are the dialect macros plus typed literals; every value is validated and inlined, so the text
 * printed by `sentinel sql` is byte for byte what an engine receives.
 */
import Handlebars from 'handlebars';
import { listAssets, readAsset } from '../assets.js';
import { type Dialect, dateLiteral, integerLiteral, MACROS, numberLiteral, quoteString } from './dialect.js';
import { PRECOMPILED_SQL } from './precompiled.js';

export type SqlParams = Record<string, unknown>;

const compiled = new Map<string, HandlebarsTemplateDelegate>();
const environments = new Map<Dialect, typeof Handlebars>();

function environment(dialect: Dialect): typeof Handlebars {
  let env = environments.get(dialect);
  if (env) return env;
  env = Handlebars.create();
  const macros = MACROS[dialect];
  // Handlebars passes an options hash as the last argument; helpers ignore it.
  env.registerHelper('map_get', (map: string, key: string) => macros.map_get(map, key));
  env.registerHelper('is_nan', (expr: string) => macros.is_nan(expr));
  env.registerHelper('regexp_replace_all', (expr: string, pattern: string, replacement: string) =>
    macros.regexp_replace_all(expr, pattern, replacement),
  );
  env.registerHelper('delivery_folder', () => macros.delivery_folder());
  // A block: `{{#in_list "column"}}'a', 'b'{{/in_list}}`, the list as the block's text (partials work in it).
  env.registerHelper('in_list', function (this: unknown, expr: string, options: Handlebars.HelperOptions) {
    return macros.in_list(expr, options.fn(this));
  });
  env.registerHelper('date_spine', (start: string, end: string) => macros.date_spine(start, end));
  env.registerHelper('date', (value: unknown) => dateLiteral(value));
  env.registerHelper('num', (value: unknown) => numberLiteral(value));
  env.registerHelper('int', (value: unknown) => integerLiteral(value));
  env.registerHelper('str', (value: unknown) => quoteString(String(value)));
  env.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  env.registerHelper('string_list', (values: unknown) => {
    if (!Array.isArray(values) || values.length === 0) return 'NULL';
    return values.map((v) => quoteString(String(v))).join(', ');
  });
  // `x NOT IN ()` is not SQL and `x NOT IN (NULL)` is never true: an empty list excludes nothing.
  env.registerHelper('not_in', (expr: string, values: unknown) => {
    if (!Array.isArray(values) || values.length === 0) return 'TRUE';
    return `${expr} NOT IN (${values.map((v) => quoteString(String(v))).join(', ')})`;
  });
  // Shared fragments (sql/partials/<name>.sql), one text for every query that uses them: `{{> name}}`.
  for (const file of listAssets('sql/partials')) {
    const match = /^(.+)\.sql$/.exec(file);
    if (!match) continue;
    const spec = PRECOMPILED_SQL[`sql/partials/${file}`];
    env.registerPartial(match[1]!, spec ? env.template(spec as never) : readAsset(`sql/partials/${file}`));
  }
  environments.set(dialect, env);
  return env;
}

export function sqlSource(name: string): string {
  return readAsset(`sql/${name}.sql`);
}

export function renderSql(name: string, dialect: Dialect, params: SqlParams): string {
  const cacheKey = `${dialect}:${name}`;
  let template = compiled.get(cacheKey);
  if (!template) {
    const env = environment(dialect);
    const spec = PRECOMPILED_SQL[`sql/${name}.sql`];
    // scripts/precompile-sql.mjs compiles with these same options.
    template = spec
      ? env.template(spec as never)
      : env.compile(sqlSource(name), { noEscape: true, strict: true });
    compiled.set(cacheKey, template);
  }
  return tidy(template({ ...params, dialect }));
}

/** Drops the blank lines left by template blocks; SQL comments stay for the reader. */
function tidy(sql: string): string {
  return `${sql
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
    .join('\n')
    .trim()}\n`;
}
