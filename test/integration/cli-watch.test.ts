/**
 * `sentinel watch` through the built CLI, hour by hour over a metrics file (docs/watch.md): prices from a
 * detection run over a generated export, then the watch over accounts of its own — a $58/hour loop from
 * Friday 18:00 UTC on an office-hours account (docs/watch.md "Reference: the $4,200 weekend"), a nightly
 * batch, a weekly batch, office hours, steady load around the clock, and prompts that grow at the same
 * number of calls. A quiet week first: nothing fires; then the loop within 3 hours, its owner email an
 * estimate; then the growing prompts. Exit 2 without prices and on a bad metrics line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import type { PriceTable } from '../../functions/core/detect/prices.js';
import type { RunRecord } from '../../functions/core/runs.js';
import type { RunawayWatchFinding } from '../../functions/core/types.js';

const BIN = resolve('bin/sentinel.js');
const HOUR = 3_600_000;
const LOOP_START = Date.parse('2026-11-27T18:00:00Z'); // a Friday
const GROWTH_START = Date.parse('2026-11-27T19:00:00Z');
const FIRST = Date.parse('2026-11-06T00:00:00Z');
const LAST = Date.parse('2026-11-28T06:00:00Z');

const ACCOUNTS = {
  loop: '310000000001',
  nightly: '310000000002',
  weekly: '310000000003',
  office: '310000000004',
  steady: '310000000005',
  context: '310000000006',
} as const;
const QUIET: readonly string[] = [ACCOUNTS.nightly, ACCOUNTS.weekly, ACCOUNTS.office, ACCOUNTS.steady];

let work: string;
let out: string;
let metrics: string;
let owners: string;

function sentinel(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A deterministic wobble in [-1, 1) per account and hour. */
function wobble(account: string, t: number): number {
  let x = (Number(account.slice(-4)) * 2_654_435_761 + t / HOUR) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39) >>> 0;
  return ((x ^ (x >>> 15)) >>> 0) / 2 ** 31 - 1;
}

/** Each account's estimated cost of an hour, in dollars (0: no calls, no row). */
function costOf(account: string, t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours();
  const weekday = d.getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  switch (account) {
    case ACCOUNTS.loop:
      // About $20 a weekday over office hours; from Friday 18:00, $58 an hour.
      if (t >= LOOP_START) return 58;
      return !weekend && h >= 9 && h < 17 ? 2.5 * (1 + 0.1 * wobble(account, t)) : 0;
    case ACCOUNTS.nightly:
      return h >= 2 && h < 5 ? 40 * (1 + 0.15 * wobble(account, t)) : 1;
    case ACCOUNTS.weekly:
      return weekday === 0 && h >= 6 && h < 12 ? 50 * (1 + 0.1 * wobble(account, t)) : 2;
    case ACCOUNTS.office:
      if (weekend) return 0.3;
      return h >= 8 && h < 18 ? 12 * (1 + 0.25 * wobble(account, t)) : 0.5;
    case ACCOUNTS.steady:
      return 30 * (1 + 0.1 * wobble(account, t));
    default:
      return 5;
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sentinel-watch-'));
  out = join(work, 'out');
  const gen = join(work, 'gen');
  const generated = sentinel(
    'generate',
    '--out',
    gen,
    '--accounts',
    '8',
    '--days',
    '45',
    '--end',
    '2026-11-05',
  );
  expect(generated.status, generated.stderr).toBe(0);
  // A detection run writes prices/latest.json: the bill's unit prices the watch estimates with.
  const run = sentinel(
    'run',
    ...['--focus', join(gen, 'export'), '--owners', join(gen, 'owners.csv'), '--out', out],
    ...['--now', '2026-11-07T08:00:00Z'],
  );
  expect(run.status, run.stderr).toBe(0);
  const prices = JSON.parse(readFileSync(join(out, 'prices', 'latest.json'), 'utf8')) as PriceTable;
  // A model id the bill names (the last part of its ARN), priced org-wide for input and output.
  const link = prices.resources.find((r) => {
    const p = prices.organization.find((o) => o.model === r.model)?.usd_per_million;
    return p?.input && p.output;
  })!;
  const price = prices.organization.find((o) => o.model === link.model)!.usd_per_million;
  const modelId = link.resource_id.slice(link.resource_id.lastIndexOf('/') + 1);
  // Output a tenth of input: tokens per dollar at that mix.
  const inputPerUsd = 1e6 / (price.input! + 0.1 * price.output!);

  const lines: string[] = [];
  for (let t = FIRST; t < LAST; t += HOUR) {
    for (const account of Object.values(ACCOUNTS)) {
      const usd = costOf(account, t);
      if (usd === 0) continue;
      let input = Math.round(usd * inputPerUsd);
      const output = Math.round(0.1 * input);
      const invocations = Math.max(1, Math.round(input / 2_000));
      // Growing prompts: 2.5x the input per call at the same number of calls ($5 → $10 an hour, under
      // the runaway bars).
      if (account === ACCOUNTS.context && t >= GROWTH_START) input = Math.round(input * 2.5);
      const hour = new Date(t).toISOString().replace('.000Z', 'Z');
      lines.push(
        JSON.stringify({
          account_id: account,
          model_id: modelId,
          hour,
          input_tokens: input,
          output_tokens: output,
          cache_read_tokens: null,
          cache_write_tokens: null,
          invocations,
        }),
      );
    }
  }
  mkdirSync(join(work, 'metrics'));
  metrics = join(work, 'metrics', 'hourly.jsonl');
  writeFileSync(metrics, `${lines.join('\n')}\n`);
  owners = join(work, 'owners.csv');
  writeFileSync(
    owners,
    [
      'account_id,owner_email,account_name,team,cc,environment',
      ...Object.entries(ACCOUNTS).map(
        ([name, id]) => `${id},${name}-owner@example.com,acme-${name},${name},,prod`,
      ),
    ].join('\n'),
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function watchAt(now: number): RunawayWatchFinding[] {
  const result = sentinel(
    'watch',
    ...['--metrics', metrics, '--out', out, '--owners', owners, '--json'],
    ...['--now', new Date(now).toISOString()],
  );
  expect(result.status, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RunawayWatchFinding);
}

const ownerTexts = (email: string): string[] => {
  const dir = join(out, 'outbox');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.eml') && readFileSync(join(dir, n), 'utf8').includes(`To: ${email}`))
    .map((n) => readFileSync(join(dir, n.replace(/\.eml$/, '.txt')), 'utf8'));
};

describe('sentinel watch over a metrics file', () => {
  it('refuses to estimate without the bill’s prices: exit 2, saying which run writes them', () => {
    const result = sentinel(
      'watch',
      '--metrics',
      metrics,
      '--out',
      join(work, 'empty'),
      '--now',
      '2026-11-20T12:00:00Z',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no prices yet/);
    expect(result.stderr).toMatch(/every detection run writes it/);
  });

  it('a bad metrics line is exit 2 naming the file and the line', () => {
    const bad = join(work, 'bad.jsonl');
    const first = readFileSync(metrics, 'utf8').split('\n')[0]!;
    writeFileSync(bad, `${first}\n${first.replace('"hour"', '"hours"')}\n`);
    const result = sentinel(
      'watch',
      '--metrics',
      bad,
      '--out',
      out,
      '--dry-run',
      '--now',
      '2026-11-20T12:00:00Z',
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${bad}, line 2: unknown column 'hours'`);
  });

  it('a quiet week of batches, office hours and steady load: no finding', () => {
    // Every whole hour from Wed 18 Nov 12:00 to Fri 27 Nov 18:00, at most 48 hours a watch.
    for (const now of ['2026-11-20T12:00:00Z', '2026-11-22T12:00:00Z', '2026-11-24T12:00:00Z'])
      expect(watchAt(Date.parse(now))).toEqual([]);
    expect(watchAt(Date.parse('2026-11-26T12:00:00Z'))).toEqual([]);
    expect(watchAt(LOOP_START)).toEqual([]);
    const runs = readdirSync(join(out, 'runs')).filter((n) => n.includes('-watch-'));
    const judged = runs
      .map((n) => JSON.parse(readFileSync(join(out, 'runs', n), 'utf8')) as RunRecord)
      .filter((r) => r.outcome === 'succeeded' && !r.dry_run)
      .flatMap((r) => r.watch!.evaluated_hours);
    // 9 days and 6 hours, each judged once.
    expect(new Set(judged).size).toBe(9 * 24 + 6);
    expect(judged.length).toBe(new Set(judged).size);
  });

  it('the $58/hour loop from Friday 18:00 fires within 3 hours; its owner email says it is an estimate', () => {
    let firedAt: number | null = null;
    let finding: RunawayWatchFinding | undefined;
    for (let now = LOOP_START + HOUR; now <= LOOP_START + 3 * HOUR && firedAt === null; now += HOUR) {
      const findings = watchAt(now);
      expect(findings.filter((f) => QUIET.includes(f.account_id))).toEqual([]);
      finding = findings.find((f) => f.account_id === ACCOUNTS.loop && f.kind === 'runaway');
      if (finding) firedAt = now;
    }
    expect(firedAt).not.toBeNull();
    expect(firedAt! - LOOP_START).toBeLessThanOrEqual(3 * HOUR);
    expect(finding).toMatchObject({
      detector: 'runaway-watch',
      source: 'metrics',
      price_basis: 'organization',
    });
    expect(Date.parse(finding!.first_hour)).toBeGreaterThanOrEqual(LOOP_START);
    expect(finding!.recent_avg_hourly_usd).toBeGreaterThan(55);
    expect(finding!.recent_avg_hourly_usd).toBeLessThan(61);
    expect(finding!.severity).toBe('critical');
    const opened = readdirSync(join(out, 'cases'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as CaseRecord)
      .filter((c) => c.account_id === ACCOUNTS.loop);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ detector: 'runaway-inference', kind: 'runaway' });
    const mail = ownerTexts('loop-owner@example.com');
    expect(mail).toHaveLength(1);
    expect(mail[0]).toContain("AN ESTIMATE FROM BEDROCK'S USAGE METRICS");
    expect(mail[0]).toContain('will confirm it');
    expect(mail[0]).toMatch(/Runaway Bedrock inference spend \(estimate\)/);
  });

  it('prompts that grow at the same number of calls: context growth after 6 hours, nothing else', () => {
    const findings = watchAt(GROWTH_START + 7 * HOUR);
    const growth = findings.filter((f) => f.kind === 'context-growth');
    expect(growth.map((f) => f.account_id)).toEqual([ACCOUNTS.context]);
    expect(growth[0]!.severity).toBe('medium');
    expect(findings.filter((f) => QUIET.includes(f.account_id))).toEqual([]);
    expect(findings.filter((f) => f.account_id === ACCOUNTS.context && f.kind !== 'context-growth')).toEqual(
      [],
    );
    expect(ownerTexts('context-owner@example.com').join('\n')).toMatch(
      /Growing prompts on Bedrock \(estimate\)/,
    );
  });
});
