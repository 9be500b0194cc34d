'use strict';
/**
 * esbuild plugins for the Lambda bundles (serverless.yml `custom.esbuild.plugins`). Local-only
 * backends never ship: the adapters are loaded by dynamic import (functions/adapters/open-ports.ts),
 * and the packages only they use are replaced here by a module that throws a clear error if it is
 * ever evaluated, so no bundle carries DuckDB's native binding, nor the outbox's MIME composer.
 */
const LOCAL_ONLY = /^(@duckdb\/|nodemailer(\/|$))/;

const localOnly = {
  name: 'sentinel-local-only',
  setup(build) {
    build.onResolve({ filter: LOCAL_ONLY }, (args) => ({
      path: args.path,
      namespace: 'sentinel-local-only',
    }));
    build.onLoad({ filter: /.*/, namespace: 'sentinel-local-only' }, (args) => ({
      contents: `module.exports = {};\nthrow new Error(${JSON.stringify(
        `${args.path} is not in the Lambda bundle: it backs a local-only adapter (engine duckdb, notify outbox). ` +
          'The deployment runs with engine athena, out s3://, notify ses, events eventbridge.',
      )});`,
      loader: 'js',
    }));
  },
};

/**
 * zod re-exports every message locale (`z.locales`, ~250 files) from its namespace; nothing here
 * uses them, and zod's own English messages come from `locales/en.js` directly. Without them the
 * bundles are ~0.3 MB smaller, and a cold start compiles that much less.
 */
const ZOD_LOCALES = /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/;
const noZodLocales = {
  name: 'sentinel-no-zod-locales',
  setup(build) {
    build.onLoad({ filter: ZOD_LOCALES }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

module.exports = [localOnly, noZodLocales];
