import { defineConfig } from 'vitest/config';

// `npm run test:reliability` (docs/decisions/018-the-artifact-as-deployed.md): faults at every external
// call, crashes between steps, load and bad input at the doors, over moto, the test Trino and the
// packaged functions in the Lambda runtime. One file at a time: the load figures are timings, and
// moto serves one request at a time. The report setup writes RELIABILITY.md when the run ends.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: [
      'test/sql/athena-trino-setup.ts',
      'test/setup/moto.ts',
      'test/setup/trino.ts',
      'test/reliability/report-setup.ts',
    ],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
