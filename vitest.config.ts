import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bundles the Trino grammar the Athena dialect tests parse with (test/sql/athena-trino-setup.ts).
    globalSetup: ['test/sql/athena-trino-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
