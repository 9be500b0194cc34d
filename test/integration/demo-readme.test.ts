/**
 * The README's demo sample is the demo's own output: `sentinel demo --now 2026-12-07T11:00:00Z`
 * prints exactly the block the README shows (its dates follow the clock, so the README names it),
 * and still finds every injected incident and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the README demo sample', () => {
  it('is what the demo prints with the clock the README names', () => {
    const readme = readFileSync('README.md', 'utf8');
    const now = /npm run demo -- --now ([^`\s]+)`/.exec(readme)?.[1];
    expect(now).toBeDefined();
    const sample =
      /```\n(Injected incidents found:[\s\S]*?Watch findings on accounts with no incident: \d+)\n```/.exec(
        readme,
      )?.[1];
    expect(sample).toBeDefined();
    const work = mkdtempSync(join(tmpdir(), 'sentinel-demo-readme-'));
    try {
      const result = spawnSync(
        process.execPath,
        [resolve('bin/sentinel.js'), 'demo', '--out', join(work, 'demo'), '--now', now!],
        { encoding: 'utf8', timeout: 180_000 },
      );
      expect(result.status, result.stderr).toBe(0);
      // The README names the default folder; this run wrote to a temporary one.
      const printed = /(Injected incidents found:[\s\S]*?Watch findings on accounts with no incident: \d+)/
        .exec(result.stdout)?.[1]
        ?.replaceAll(join(work, 'demo'), './sentinel-demo');
      expect(printed).toBe(sample);
      expect(printed).toMatch(/Injected incidents found: (\d+) of \1\n/);
      expect(printed).toContain('\nFindings on accounts with no incident: 0\n');
      expect(printed).toContain('\nWatch findings on accounts with no incident: 0');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 200_000);
});
