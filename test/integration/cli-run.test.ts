/**
 * `sentinel run`, `follow-up` and `ack` on a generated export, end to end through the built CLI:
 * detection, cases, the outbox, reruns, answers and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';

const BIN = resolve('bin/sentinel.js');
const NOW = '2026-03-03T08:00:00Z'; // default as-of 2026-03-01
let work: string;
let out: string;

function sentinel(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const emls = () => readdirSync(join(out, 'outbox')).filter((n) => n.endsWith('.eml'));
const files = (dir: string): string[] =>
  readdirSync(join(out, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
const cases = (): CaseRecord[] =>
  files('cases').map((n) => JSON.parse(readFileSync(join(out, 'cases', n), 'utf8')) as CaseRecord);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sentinel-run-'));
  out = join(work, 'out');
  const gen = sentinel(
    'generate',
    '--out',
    join(work, 'gen'),
    '--accounts',
    '12',
    '--days',
    '90',
    '--end',
    '2026-03-01',
  );
  expect(gen.status).toBe(0);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const runArgs = () => [
  'run',
  '--focus',
  join(work, 'gen', 'export'),
  '--owners',
  join(work, 'gen', 'owners.csv'),
  '--out',
  out,
  '--from',
  '2026-02-23',
  '--to',
  '2026-03-01',
  '--now',
  NOW,
];

describe('sentinel run on a generated export', () => {
  it('a dry run renders and reports but writes no case, finding or email', () => {
    const dry = sentinel(...runArgs(), '--dry-run');
    expect(dry.stderr).not.toMatch(/^error/m);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/\[dry run\]/);
    expect(dry.stdout).toMatch(/would send owner-alert/);
    // The case's numbers under the message it would be in.
    expect(dry.stdout).toMatch(
      /would send owner-alert to \S+.*\n {4}\d{12} .*: (high|medium|critical), \$[\d,.]+\/day on \d{4}-\d\d-\d\d \(.*\/day\), averaging \$[\d,.]+\/day since \d{4}-\d\d-\d\d, \+\$[\d,.]+ per 30 days/,
    );
    // Nothing but the run record and the preview of what it would send (docs/cli.md).
    expect(readdirSync(out).sort()).toEqual(['dry-run', 'runs']);
    const [previewRun] = readdirSync(join(out, 'dry-run'));
    const preview = readdirSync(join(out, 'dry-run', previewRun!));
    expect(preview).toContain('index.html');
    expect(preview.filter((n) => n.endsWith('.eml')).length).toBeGreaterThan(0);
    expect(dry.stdout).toContain(`rendered: ${join(out, 'dry-run', previewRun!, 'index.html')}`);
    const [runFile] = readdirSync(join(out, 'runs'));
    const record = JSON.parse(readFileSync(join(out, 'runs', runFile!), 'utf8'));
    expect(record.dry_run).toBe(true);
    expect(record.counts.messages_sent).toBe(0);
    expect(record.counts.messages_would_send).toBeGreaterThan(0);
  });

  it('opens cases, emails owners and FinOps; a rerun sends nothing new and writes no case event', () => {
    const first = sentinel(...runArgs());
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/OPEN/);
    const opened = cases();
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((c) => c.state === 'open' && c.due.length === 0 && c.events_due.length === 0)).toBe(
      true,
    );
    const mails = emls();
    const events = files('case-events');
    expect(mails.length).toBeGreaterThan(1);
    expect(events).toHaveLength(opened.length);

    const again = sentinel(...runArgs());
    expect(again.status).toBe(0);
    expect(emls()).toEqual(mails);
    expect(files('case-events')).toEqual(events);
    const catchUp = sentinel(
      ...runArgs().filter(
        (a, i, all) => !['--from', '--to'].includes(a) && !['--from', '--to'].includes(all[i - 1] ?? ''),
      ),
    );
    expect(catchUp.status).toBe(0);
    expect(catchUp.stdout).toMatch(/0 finding\(s\) over 0 as-of day\(s\)/);
    expect(emls()).toEqual(mails);
  });

  it('answers with ack, reminds the others at +49 h, and refuses an answer on a closed case (exit 2)', () => {
    const target = cases().find((c) => c.routed)!;
    const ack = sentinel('ack', '--out', out, '--case', target.case_key, '--answer', 'stopped', '--now', NOW);
    expect(ack.status).toBe(0);
    expect(ack.stdout).toMatch(/now resolved; resolved on 2026-03-01/);
    const second = cases().find((c) => c.case_key !== target.case_key)!;
    const looking = sentinel(
      'ack',
      '--out',
      out,
      '--case',
      second.case_key,
      '--answer',
      'investigating',
      '--now',
      NOW,
    );
    expect(looking.stdout).toMatch(/now acknowledged; next deadline Thu 5 Mar 2026, 08:00 UTC/);
    const follow = sentinel(
      'follow-up',
      '--out',
      out,
      '--owners',
      join(work, 'gen', 'owners.csv'),
      '--now',
      '2026-03-05T09:00:00Z',
    );
    expect(follow.status).toBe(0);
    const after = cases();
    expect(after.find((c) => c.case_key === target.case_key)?.state).toBe('resolved');
    expect(after.filter((c) => c.case_key !== target.case_key).every((c) => c.state === 'reminded')).toBe(
      true,
    );
    const refused = sentinel('ack', '--out', out, '--case', target.case_key, '--answer', 'legitimate');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/the case is closed/);
    const fine = sentinel(
      'ack',
      '--out',
      out,
      '--case',
      second.case_key,
      '--answer',
      'legitimate',
      '--now',
      '2026-03-05T09:00:00Z',
    );
    expect(fine.stdout).toMatch(/now suppressed; suppressed until Sat 4 Apr 2026, 09:00 UTC/);
  });

  it('lists the cases and shows one with its history, without reading JSON by hand', () => {
    const all = cases();
    const listed = sentinel('cases', '--out', out, '--json');
    expect(listed.status).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.case_key).sort()).toEqual(all.map((c) => c.case_key).sort());
    expect(lines[0]).toMatchObject({
      state: expect.any(String),
      severity: expect.any(String),
      owner_email: expect.any(String),
    });
    const closed = sentinel('cases', '--out', out, '--state', 'closed');
    expect(closed.status).toBe(0);
    expect(closed.stdout).toMatch(/^\d+ case\(s\) \(resolved, suppressed\) in /);
    expect(closed.stdout).toMatch(/^(RESOLVED|SUPPRESSED) /m);
    expect(closed.stdout).not.toMatch(/^(OPEN|REMINDED|ESCALATED|ACKNOWLEDGED) /m);
    const target = all.find((c) => c.state === 'resolved')!;
    const shown = sentinel('show', target.case_key.slice(0, 10), '--out', out);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`case ${target.case_key}`);
    expect(shown.stdout).toMatch(/answers\n.* stopped/);
    expect(shown.stdout).toMatch(
      /history \(case-events\/\)\n.*\(new\) +→ open +Case Opened[\s\S]*→ resolved +Case Resolved \(stopped\)/,
    );
    const json = JSON.parse(sentinel('show', target.case_key, '--out', out, '--json').stdout);
    expect(json.case.case_key).toBe(target.case_key);
    const unknown = sentinel('show', 'ffffffff', '--out', out);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no case 'ffffffff'/);
    expect(sentinel('cases', '--out', out, '--state', 'bogus').stderr).toMatch(
      /--state 'bogus' is not a case state/,
    );
  });

  it('exits 2 naming the problem for a missing owners file, an unknown case or a bad answer', () => {
    const noOwners = sentinel(
      ...runArgs().map((a) => (a.endsWith('owners.csv') ? join(work, 'missing.csv') : a)),
    );
    expect(noOwners.status).toBe(2);
    expect(noOwners.stderr).toMatch(/owners file .*missing\.csv cannot be read/);
    const unknown = sentinel('ack', '--out', out, '--case', 'nope', '--answer', 'stopped');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no case with this key/);
    const bad = sentinel('ack', '--out', out, '--case', 'nope', '--answer', 'maybe');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--answer 'maybe' is not an answer/);
    const missing = sentinel('ack', '--out', out, '--case', 'nope');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/the --answer flag is missing/);
    const engine = sentinel(...runArgs(), '--engine', 'duckdbx');
    expect(engine.status).toBe(2);
    expect(engine.stderr).toContain("engine 'duckdbx' is not one of duckdb, athena, trino");
  });

  it('follow-up and ack on an --out with no case store exit 2 naming it, and create nothing', () => {
    const typo = join(work, 'sentinel-outt');
    for (const args of [
      ['follow-up', '--out', typo, '--now', NOW],
      ['ack', '--out', typo, '--case', 'abc', '--answer', 'stopped', '--now', NOW],
    ]) {
      const r = sentinel(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--out ${typo} holds no case store`);
      expect(readdirSync(work)).not.toContain('sentinel-outt');
    }
  });

  it('prints the version, and each command’s --help describes its flags and lists the detectors', () => {
    const version = sentinel('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ['detect', 'run', 'follow-up', 'ack', 'demo', 'generate', 'render', 'sql']) {
      const help = sentinel(command, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('detectors: runaway-inference, cache-miss');
      expect(help.stdout).toMatch(/--now ISO +the clock/);
      expect(help.stdout).toMatch(/--config FILE +configuration file/);
    }
    expect(sentinel('run', '--help').stdout).toMatch(/--dry-run +render and report/);
    expect(sentinel('ack', '--help').stdout).toMatch(/--answer ANSWER +stopped, legitimate, investigating/);
  });
});
