// The CLI as one ES module and its lazily loaded chunks (dist/cli/), built by `npm run build` after tsc.
// Start-up is part of every run (docs/cli.md): resolving and compiling some 400 small files of
// our code, zod, handlebars and DuckDB's API took about 100 ms of a 10 M-row `detect`; a bundle loads
// the same code from a few files. Commands stay dynamic imports, so `--help` still loads none of them.
// DuckDB's native binding and the AWS SDK (only the AWS transports use it) stay in node_modules;
// yaml, loaded through createRequire only when a config file is given, too. Whitespace and syntax are
// minified (a third less to parse), names are kept (stack traces stay readable).
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { precompiledSqlModule } from './precompile-sql.mjs';

const require = createRequire(import.meta.url);
// zod's message locales, which nothing here uses (the Lambda bundles leave them out the same way).
const noZodLocales = require('./esbuild-plugins.cjs').find(
  (plugin) => plugin.name === 'sentinel-no-zod-locales',
);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'cli');

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['functions/cli/main.ts'],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@duckdb/node-bindings', '@duckdb/node-bindings-*', '@aws-sdk/*', '@smithy/*'],
  // Bundled CommonJS packages (handlebars) call require for Node's own modules.
  banner: {
    js: "import { createRequire as __sentinelRequire } from 'node:module';\nconst require = __sentinelRequire(import.meta.url);",
  },
  // The SQL templates precompiled into the bundle (functions/core/sql/precompiled.ts): no compile per run.
  plugins: [
    noZodLocales,
    {
      name: 'sentinel-precompiled-sql',
      setup(b) {
        // With every template precompiled, the SQL renderer needs Handlebars' runtime only, not its
        // compiler (the email renderer, which compiles, keeps the whole package).
        b.onResolve({ filter: /^handlebars$/ }, (args) =>
          /[\\/]functions[\\/]core[\\/]sql[\\/]render\.ts$/.test(args.importer)
            ? { path: require.resolve('handlebars/runtime') }
            : undefined,
        );
        b.onLoad({ filter: /[\\/]functions[\\/]core[\\/]sql[\\/]precompiled\.ts$/ }, () => ({
          contents: precompiledSqlModule(ROOT),
          loader: 'js',
          watchDirs: [join(ROOT, 'sql')],
        }));
      },
    },
  ],
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});
// Which source files each output file holds: the CLI tests read it to tell what a command loaded.
writeFileSync(join(OUT, 'meta.json'), `${JSON.stringify(result.metafile)}\n`);
