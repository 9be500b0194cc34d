/** `sentinel demo` end to end: the bill's tally and the hourly watch's, on the weekend loop (docs/watch.md "Reference"). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PriceTable } from '../../functions/core/detect/prices.js';

const work = mkdtempSync(join(tmpdir(), 'sentinel-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sentinel demo', () => {
  it('finds every injected incident, and the watch sees the weekend loop hours before the bill', () => {
    const out = join(work, 'demo');
    // Friday 2026-11-27 is the latest Friday whose loop ends by 2026-12-06 (the demo's end, two days before --now).
    const run = spawnSync(
      process.execPath,
      [resolve('bin/sentinel.js'), 'demo', '--out', out, '--now', '2026-12-08T09:00:00Z'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Injected incidents found: (\d+) of \1\n/);
    expect(run.stdout).toContain('Findings on accounts with no incident: 0');
    expect(run.stdout).toMatch(
      /found {3}weekend-loop {6}\d{12} runaway, began 2026-11-27 — first fired as of 2026-11-27/,
    );
    expect(run.stdout).toContain('weekend-loop');
    expect(run.stdout).toMatch(/began Fri 2026-11-27 18:00 UTC/);
    expect(run.stdout).toMatch(
      /the watch fired Fri 2026-11-27 20:00 UTC, 2 h after the start: runaway, \$58\.\d\d\/h/,
    );
    expect(run.stdout).toMatch(
      /a daily run reads that day on Sun 2026-11-29 06:00 UTC, a weekly Monday run on Mon 2026-11-30 06:00 UTC/,
    );
    // Fri 20:00 → Sun 06:00 is 34 hours of the loop at $58 (plus a Friday evening's office-hours trickle).
    expect(run.stdout).toMatch(
      /spent between the watch and the bill: \$1,97\d \(daily run\), \$3,36\d \(weekly run\)/,
    );
    expect(run.stdout).toContain('Watch findings on accounts with no incident: 0');
    // The kill switch in dry-run on the sandbox incident (docs/kill-switch.md): said, and nothing attached.
    const sandbox = /found {3}sandbox-over-cap {2}(\d{12}) daily-cap/.exec(run.stdout)?.[1];
    expect(sandbox).toBeDefined();
    expect(run.stdout).toMatch(
      new RegExp(
        `kill switch, dry run on the sandbox ${sandbox} \\(kill_switch.accounts\\): in enforce mode the daily run of \\d{4}-\\d\\d-\\d\\d 06:00 UTC would have denied Bedrock inference there until\n +someone answered; nobody answers it here, so it would have saved \\$[1-9][\\d,]*\\.\\d\\d`,
      ),
    );
    expect(existsSync(join(out, 'kill-switch', 'engaged.json'))).toBe(false);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8');
    expect(events).toContain('"detail-type":"Kill Switch Would Engage"');
    expect(events).not.toContain('"detail-type":"Kill Switch Engaged"');
    expect(existsSync(join(out, 'metrics', 'hourly.jsonl'))).toBe(true);
    const prices = JSON.parse(readFileSync(join(out, 'prices', 'latest.json'), 'utf8')) as PriceTable;
    expect(prices.regions).toEqual(['eu-central-1', 'us-east-1', 'us-west-2']);
    const opus = prices.organization.find((o) => o.model === 'Claude4.6Opus');
    expect(opus?.usd_per_million.output).toBeGreaterThan(24);
    expect(opus?.usd_per_million.output).toBeLessThan(28);
  });
});
