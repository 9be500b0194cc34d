/** bench/probes/statements.cjs stamps a real process's statements at DuckDB's binding, leaving it to run as built. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const probes = join(import.meta.dirname, '..', '..', 'bench', 'probes');

describe('the statements probe', () => {
  it('reports when the binding loaded, each statement in and out, and the exit', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', join(probes, 'statements.cjs'), join(probes, 'startup.mjs')],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(0);
    const line = /BENCH_STATEMENTS=(.+)/.exec(run.stderr);
    expect(line).not.toBeNull();
    const stamps = JSON.parse(line![1]!) as {
      loaded: number;
      statements: { text: string; start: number; end: number }[];
      exit: number;
    };
    expect(stamps.statements.map((s) => s.text)).toEqual(['SELECT 1']);
    const [select] = stamps.statements;
    expect(stamps.loaded).toBeGreaterThan(0);
    expect(select!.start).toBeGreaterThanOrEqual(stamps.loaded);
    expect(select!.end).toBeGreaterThanOrEqual(select!.start);
    expect(stamps.exit).toBeGreaterThanOrEqual(select!.end);
  });
});
