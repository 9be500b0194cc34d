import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bundles the Trino grammar the Athena dialect tests parse with (test/sql/athena-trino-setup.ts);
    // starts one moto server (local AWS) for the S3, SES, EventBridge and Secrets Manager adapters.
    globalSetup: ['test/sql/athena-trino-setup.ts', 'test/setup/moto.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
