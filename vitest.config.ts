import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bundles the Trino grammar the Athena dialect tests parse with (test/sql/athena-trino-setup.ts);
    // starts one real Trino server for the run (test/setup/trino.ts).
    globalSetup: ['test/sql/athena-trino-setup.ts', 'test/setup/trino.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
