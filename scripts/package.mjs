#!/usr/bin/env node
/**
 * `npm run package`: builds the deployment artifact offline into .serverless/ (the CloudFormation
 * template and one zip per function). Runs osls from node_modules with a clean HOME, no AWS
 * credentials and the instance metadata lookup disabled, so it needs no account and no network.
 *
 * Without `--param` flags it packages with example values (what CI checks); a real deploy passes
 * real ones to `npx osls deploy` (DEPLOY.md). Extra arguments are passed to osls:
 *   npm run package -- --stage dev --param="exportLocation=s3://…" …
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Example parameters: every optional branch (owners file, KMS key, escalation list, Reply-To, alarm address) is exercised. */
export const EXAMPLE_PARAMS = {
  exportLocation: 's3://example-focus-exports/exports/sentinel-focus/data',
  exportKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  owners: 's3://example-focus-exports/sentinel/owners.csv',
  ownersKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/5678efgh-56ef-78gh-90ij-567890abcdef',
  from: 'sentinel@example.com',
  finops: 'finops@example.com',
  escalation: 'finops@example.com,cloud-lead@example.com',
  replyTo: 'finops-team@example.com',
  alarmEmail: 'sentinel-ops@example.com',
};

/**
 * One packaging at a time in a checkout: osls and serverless-esbuild share `.esbuild/` (the tests
 * package with their own parameters while another test file packages the example).
 */
function withPackageLock(body) {
  const lock = join(root, 'node_modules', '.cache', 'sentinel', 'package.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > 5 * 60_000)
        throw new Error(`${lock} is held; remove it if no packaging runs`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Runs `osls package` offline; returns its exit status. `out`: where the artifact goes (default
 * `.serverless/`), emptied first.
 */
export function packageOffline(args = [], { quiet = false, out } = {}) {
  const require = createRequire(import.meta.url);
  const osls = join(dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');
  const home = mkdtempSync(join(tmpdir(), 'sentinel-package-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_CONFIG_FILE: join(home, 'no-config'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
  };
  const params = args.some((a) => a.startsWith('--param'))
    ? []
    : Object.entries(EXAMPLE_PARAMS).map(([name, value]) => `--param=${name}=${value}`);
  const result = withPackageLock(() => {
    rmSync(out ?? join(root, '.serverless'), { recursive: true, force: true });
    return spawnSync(
      process.execPath,
      [osls, 'package', ...params, ...(out ? ['--package', out] : []), ...args],
      {
        cwd: root,
        env,
        stdio: quiet ? 'pipe' : 'inherit',
        encoding: 'utf8',
      },
    );
  });
  rmSync(home, { recursive: true, force: true });
  if (quiet && result.status !== 0) process.stderr.write(`${result.stdout}${result.stderr}`);
  return result.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const status = packageOffline(process.argv.slice(2));
  if (status === 0) {
    for (const file of readdirSync(join(root, '.serverless')).filter((f) => f.endsWith('.zip'))) {
      const kb = statSync(join(root, '.serverless', file)).size / 1024;
      process.stdout.write(`.serverless/${file}  ${kb.toFixed(0)} KB\n`);
    }
  }
  process.exit(status);
}
