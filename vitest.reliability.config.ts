import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest first, two at a time; the load test last, so that it mostly runs alone: beside the
 * crash and fault tests its SES calls queue behind theirs at moto and its figures measure them.
 */
const ORDER = ['crashes', 'faults', 'athena', 'doors', 'load'];
class LongestFirstLoadLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = ORDER.findIndex((name) => f.moduleId.endsWith(`/${name}.test.ts`));
      return i === -1 ? ORDER.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

// `npm run test:reliability` (docs/decisions/018-the-artifact-as-deployed.md): faults at every external
// call, crashes between steps, load and bad input at the doors, over moto, the test Trino and the
// packaged functions in the Lambda runtime. Two files at a time (the order below), within CI's budget.
// The report setup writes RELIABILITY.md when the run ends.
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
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstLoadLast },
  },
});
