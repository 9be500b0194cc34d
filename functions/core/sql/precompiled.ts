/**
 * The templates of sql/ compiled ahead of time, by path (`sql/staging.sql`, `sql/partials/charges.sql`):
 * empty in the sources, where render.ts compiles each file on first use. The CLI bundle replaces this
 * module with every file's Handlebars template spec (scripts/precompile-sql.mjs), so a run does not spend
 * its first 50 ms compiling SQL templates (docs/cli.md). Same text either way (test/integration/cli-sql-bundle.test.ts).
 */
export const PRECOMPILED_SQL: Readonly<Record<string, object>> = {};
