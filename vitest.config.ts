import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite has its own run and report (`npm run test:reliability`, also in CI).
    exclude: ['test/reliability/**', '**/node_modules/**'],
    // Bundles the Trino grammar the Athena dialect tests parse with (test/sql/athena-trino-setup.ts);
    // starts one moto server (local AWS) for the S3, SES, EventBridge and Secrets Manager adapters, and
    // one real Trino server for the Athena SQL (test/setup/trino.ts).
    globalSetup: ['test/sql/athena-trino-setup.ts', 'test/setup/moto.ts', 'test/setup/trino.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
