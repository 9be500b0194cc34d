/**
 * The budget through the CLI as a FinOps engineer runs it (docs/detection.md "Budget"): a FOCUS export as
 * one CSV file and an owners CSV with `environment` and `daily_cap_usd` columns; `sentinel run` opens the
 * sandbox's daily-cap case and mails its owner the figures; a bad cap stops the run naming the row.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { generateOrganization, ownersCsv } from '../../functions/synthetic/organization.js';
import { writeFocusCsv } from '../../functions/synthetic/write-export.js';

const BIN = resolve('bin/sentinel.js');
const END = '2026-03-01';
let work: string;
let org: ReturnType<typeof generateOrganization>;

const sentinel = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sentinel-budget-cli-'));
  // 24 accounts: the synthetic organization holds its sandbox over its cap from 20 accounts on.
  org = generateOrganization({ seed: 3, accounts: 24, days: 75, end: END });
  await writeFocusCsv(join(work, 'export.csv'), org.rows);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const sandbox = () => org.labels.find((l) => l.family === 'sandbox-over-cap')!;

function run(owners: string, out: string) {
  writeFileSync(join(work, 'owners.csv'), owners);
  return sentinel(
    'run',
    '--focus',
    join(work, 'export.csv'),
    '--owners',
    join(work, 'owners.csv'),
    '--out',
    out,
    '--from',
    sandbox().start,
    '--to',
    END,
    '--now',
    '2026-03-03T08:00:00Z',
  );
}

describe('budget from a CSV export and an owners file with environments', () => {
  it("opens the sandbox's daily-cap case and mails its owner the day and the cap", () => {
    const out = join(work, 'out');
    const r = run(ownersCsv(org.owners), out);
    expect(r.status, r.stderr).toBe(0);
    const cases = readdirSync(join(out, 'cases')).map(
      (n) => JSON.parse(readFileSync(join(out, 'cases', n), 'utf8')) as CaseRecord,
    );
    const capCase = cases.find((c) => c.account_id === sandbox().account_id && c.kind === 'daily-cap');
    expect(capCase, r.stdout).toBeDefined();
    // Only accounts that have a cap get daily-cap cases: every one of them is dev, test or sandbox.
    const envOf = new Map(org.owners.map((o) => [o.account_id, o.environment]));
    for (const c of cases.filter((x) => x.kind === 'daily-cap')) {
      expect(['dev', 'test', 'sandbox']).toContain(envOf.get(c.account_id));
    }
    const owner = org.owners.find((o) => o.account_id === sandbox().account_id)!.owner_email;
    const mail = readdirSync(join(out, 'outbox'))
      .filter((n) => n.endsWith('.txt'))
      .map((n) => readFileSync(join(out, 'outbox', n), 'utf8'))
      .find((t) => t.includes(owner) && t.includes('cap'));
    expect(mail).toMatch(/came to \$\d{3}\.\d\d on \d+ \w{3}, above this account's \$100\.00\/day cap/);
  });

  it("takes an account's own daily_cap_usd over its environment's", () => {
    const out = join(work, 'out-own-cap');
    // The sandbox gets a $500 cap of its own: its ~$212 day is under it, so no daily-cap case.
    const owners = ownersCsv(org.owners)
      .replace('account_id,owner_email,account_name,team,cc,environment', '$&,daily_cap_usd')
      .split('\n')
      .map((line, i) =>
        i === 0 || !line ? line : `${line},${line.startsWith(sandbox().account_id) ? '500' : ''}`,
      )
      .join('\n');
    const r = run(owners, out);
    expect(r.status, r.stderr).toBe(0);
    const capCases = readdirSync(join(out, 'cases'))
      .map((n) => JSON.parse(readFileSync(join(out, 'cases', n), 'utf8')) as CaseRecord)
      .filter((c) => c.kind === 'daily-cap' && c.account_id === sandbox().account_id);
    expect(capCases).toEqual([]);
  });

  it('stops at a cap that is not an amount, naming the row (exit 2)', () => {
    const owners = ownersCsv(org.owners)
      .replace('account_id,owner_email,account_name,team,cc,environment', '$&,daily_cap_usd')
      .split('\n')
      .map((line, i) => (i === 0 || !line ? line : `${line},${i === 2 ? 'lots' : ''}`))
      .join('\n');
    const r = run(owners, join(work, 'out-bad'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 3.*daily_cap_usd 'lots' is not an amount in USD|daily_cap_usd 'lots'/);
  });
});
