/**
 * The CLI bundle carries the SQL templates precompiled (scripts/precompile-sql.mjs, docs/cli.md): what it
 * sends must be, byte for byte, what the sources render by compiling sql/ at run time.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run as sqlCommand } from '../../functions/cli/sql.js';

const BIN = resolve('bin/sentinel.js');

async function inProcess(argv: string[]): Promise<string> {
  let out = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    expect(await sqlCommand(argv)).toBe(0);
  } finally {
    stdout.mockRestore();
  }
  return out;
}

describe('sentinel sql through the bundle', () => {
  const cases: string[][] = [];
  for (const detector of ['runaway-inference', 'cache-miss', 'budget']) {
    cases.push(['--detector', detector, '--dialect', 'duckdb', '--as-of', '2026-03-29']);
    cases.push([
      '--detector',
      detector,
      '--dialect',
      'athena',
      '--focus',
      'cur.focus',
      '--as-of',
      '2026-03-03',
    ]);
    cases.push([
      '--detector',
      detector,
      '--dialect',
      'athena',
      '--focus',
      'cur.focus',
      '--inline',
      '--from',
      '2026-02-25',
      '--to',
      '2026-03-03',
    ]);
  }
  cases.push([
    '--detector',
    'cache-miss',
    '--dialect',
    'athena',
    '--focus',
    'cur.focus',
    '--usage-type',
    'coalesce',
    '--as-of',
    '2026-03-18',
  ]);

  it.each(cases.map((argv) => [argv.join(' '), argv]))('%s', async (_name, argv) => {
    const bundled = spawnSync(process.execPath, [BIN, 'sql', ...argv], { encoding: 'utf8' });
    expect(bundled.stderr).toBe('');
    expect(bundled.status).toBe(0);
    expect(bundled.stdout).toBe(await inProcess(argv));
    expect(bundled.stdout).toContain('billing_period');
  });
});
