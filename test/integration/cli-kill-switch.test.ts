/**
 * `sentinel kill-switch status | release | policy` through the built CLI (docs/cli.md "sentinel kill-switch"):
 * a run under `enforce` with the local transport stops accounts; `status` lists them (as text, and with
 * `--json` one object per line holding the document as attached); `policy` prints the document for review;
 * `release` lifts one stop, which its case and the bus record; bad usage is exit 2 naming the flag.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { stopPolicy } from '../../functions/core/kill-switch/policy.js';

const BIN = resolve('bin/sentinel.js');
const NOW = '2026-03-03T08:00:00Z';
const BREAK_GLASS = 'arn:aws:iam::*:role/BreakGlass';
let work: string;
let out: string;
let config: string;

function sentinel(...args: string[]) {
  return sentinelWith({}, ...args);
}

function sentinelWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cases = (): CaseRecord[] =>
  readdirSync(join(out, 'cases')).map(
    (n) => JSON.parse(readFileSync(join(out, 'cases', n), 'utf8')) as CaseRecord,
  );
const busTypes = (): string[] =>
  readFileSync(join(out, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { 'detail-type': string })['detail-type']);
const statusJson = () => {
  const r = sentinel('kill-switch', 'status', '--json', '--config', config, '--now', NOW);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

beforeAll(() => {
  // The key the run signs the digest's links with and the /ack handler checks them with.
  process.env.SENTINEL_SIGNING_KEY = 'test-signing-key-0123456789abcdef';
  work = mkdtempSync(join(tmpdir(), 'sentinel-kill-switch-'));
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
  expect(gen.status, gen.stderr).toBe(0);
  // Every generated account may be stopped, from medium cases up; at most two at once.
  const accounts = readFileSync(join(work, 'gen', 'owners.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0]!)
    .filter((id) => /^\d{12}$/.test(id));
  expect(accounts.length).toBeGreaterThan(2);
  config = join(work, 'sentinel.json');
  writeFileSync(
    config,
    JSON.stringify({
      out,
      // The digest then carries a signed release link per stopped account (docs/emails.md "The kill switch").
      notify: { ack_base_url: 'https://ack.example.test/ack' },
      kill_switch: {
        mode: 'enforce',
        accounts,
        min_severity: 'medium',
        break_glass_role: BREAK_GLASS,
        max_engaged: 2,
      },
    }),
  );
}, 120_000);

afterAll(() => {
  delete process.env.SENTINEL_SIGNING_KEY;
  delete process.env.SENTINEL_CONFIG;
  rmSync(work, { recursive: true, force: true });
});

describe('sentinel kill-switch', () => {
  it('policy prints the document it would attach, before anything is stopped', () => {
    const r = sentinel('kill-switch', 'policy', '--account', '222233334444', '--config', config);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(stopPolicy({ break_glass_role: BREAK_GLASS }));
    expect(r.stderr).toContain('ai-spend-sentinel-stop-222233334444');
  });

  it('bad usage is exit 2 and names what is wrong', () => {
    const noAccount = sentinel('kill-switch', 'policy', '--config', config);
    expect(noAccount.status).toBe(2);
    expect(noAccount.stderr).toContain('--account is required');
    const shortId = sentinel('kill-switch', 'release', '--account', '1234', '--config', config);
    expect(shortId.status).toBe(2);
    expect(shortId.stderr).toContain("--account '1234' is not an AWS account id");
    const unknown = sentinel('kill-switch', 'lift', '--config', config);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("'lift' is not a subcommand");
    // The deployment's own account among the accounts it may stop: refused at start, the key named.
    const [own] = JSON.parse(readFileSync(config, 'utf8')).kill_switch.accounts as string[];
    const ownListed = sentinelWith(
      { SENTINEL_ACCOUNT_ID: own! },
      'kill-switch',
      'status',
      '--config',
      config,
    );
    expect(ownListed.status).toBe(2);
    expect(ownListed.stderr).toContain(`kill_switch.accounts: ${own} is the deployment's own account`);
  });

  it('status lists what a run stopped; release lifts one, and its case and the bus record it', () => {
    expect(statusJson()).toEqual([]);
    const run = sentinel(
      'run',
      '--focus',
      join(work, 'gen', 'export'),
      '--owners',
      join(work, 'gen', 'owners.csv'),
      '--config',
      config,
      '--from',
      '2026-02-23',
      '--to',
      '2026-03-01',
      '--now',
      NOW,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/kill switch engage on \d{12} \(case [0-9a-f]+\)/);

    const stopped = statusJson();
    expect(stopped).toHaveLength(2); // max_engaged
    const engagedCases = cases().filter((c) => c.kill_switch?.status === 'engaged');
    expect(stopped.map((s) => [s.account_id, s.case_key]).sort()).toEqual(
      engagedCases.map((c) => [c.account_id, c.case_key]).sort(),
    );
    for (const s of stopped) {
      expect(Object.keys(s).sort()).toEqual(['account_id', 'case_key', 'engaged_at', 'policy', 'policy_id']);
      expect(s.policy).toEqual(stopPolicy({ break_glass_role: BREAK_GLASS }));
    }

    const text = sentinel('kill-switch', 'status', '--config', config, '--now', NOW);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^kill switch enforce \(.*\): 2 account\(s\) stopped\n/);
    const [first] = stopped;
    expect(text.stdout).toContain(`  ${first!.account_id}  since `);

    const release = sentinel(
      'kill-switch',
      'release',
      '--account',
      String(first!.account_id),
      '--by',
      'finops@example.com',
      '--config',
      config,
      '--now',
      '2026-03-03T09:00:00Z',
    );
    expect(release.status, release.stderr).toBe(0);
    expect(release.stdout).toContain(`account ${first!.account_id}: stop lifted (case ${first!.case_key}`);
    expect(statusJson().map((s) => s.account_id)).not.toContain(first!.account_id);
    expect(cases().find((c) => c.case_key === first!.case_key)!.kill_switch).toMatchObject({
      status: 'released',
      released_by: 'finops-cli',
      released_by_whom: 'finops@example.com',
    });
    expect(busTypes()).toContain('Kill Switch Released');

    const again = sentinel(
      'kill-switch',
      'release',
      '--account',
      String(first!.account_id),
      '--config',
      config,
    );
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('is not stopped: nothing to release');
  });

  it("the digest's signed release link: GET asks to confirm and changes nothing, POST lifts the stop", async () => {
    const [stopped] = statusJson();
    expect(stopped).toBeDefined();
    const account = String(stopped!.account_id);
    const digest = readdirSync(join(out, 'outbox'))
      .filter((n) => n.endsWith('.txt'))
      .map((n) => readFileSync(join(out, 'outbox', n), 'utf8'))
      .find((t) => t.startsWith('FINOPS DIGEST') || t.includes('\nFINOPS DIGEST'))!;
    const match = new RegExp(
      `lift the stop: (https://ack\\.example\\.test/ack\\?release=${account}\\S+)`,
    ).exec(digest);
    expect(match, digest).not.toBeNull();
    const params = Object.fromEntries(new URL(match![1]!).searchParams);

    process.env.SENTINEL_CONFIG = readFileSync(config, 'utf8');
    // The handler's clock is the system's: the time of the run that signed the link, plus two hours.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-03T10:00:00Z'));
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { handler } = (await import('../../functions/handlers/ack.js')) as unknown as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const context = { awsRequestId: 'release', getRemainingTimeInMillis: () => 29_000 };
    const http = (method: 'GET' | 'POST', query: Record<string, string>, body?: string) => ({
      version: '2.0',
      routeKey: `${method} /ack`,
      rawPath: '/ack',
      rawQueryString: new URLSearchParams(query).toString(),
      headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      queryStringParameters: method === 'GET' ? query : undefined,
      requestContext: { http: { method, path: '/ack' } },
      body,
      isBase64Encoded: false,
    });

    const tampered = await handler(http('GET', { ...params, release: '999999999999' }), context);
    expect(tampered.statusCode).toBe(403);
    const get = await handler(http('GET', params), context);
    expect(get.statusCode, get.body).toBe(200);
    expect(get.body).toContain(`Lift the kill switch on account ${account}?`);
    expect(get.body).not.toContain('<textarea');
    expect(statusJson().map((s) => s.account_id)).toContain(account);

    const post = await handler(http('POST', {}, new URLSearchParams(params).toString()), context);
    expect(post.statusCode, post.body).toBe(200);
    expect(post.body).toContain(
      `The stop is lifted: Bedrock inference in account ${account} is allowed again`,
    );
    expect(statusJson().map((s) => s.account_id)).not.toContain(account);
    expect(cases().find((c) => c.case_key === stopped!.case_key)!.kill_switch).toMatchObject({
      status: 'released',
      released_by: 'finops-link',
    });
    // The same link again: nothing left to lift.
    const again = await handler(http('POST', {}, new URLSearchParams(params).toString()), context);
    expect(again.statusCode).toBe(409);
  });
});
