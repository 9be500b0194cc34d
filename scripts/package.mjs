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
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Example parameters: every optional branch (owners file, KMS key, escalation list) is exercised. */
export const EXAMPLE_PARAMS = {
  exportLocation: 's3://example-focus-exports/exports/sentinel-focus/data',
  exportKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  owners: 's3://example-focus-exports/sentinel/owners.csv',
  from: 'sentinel@example.com',
  finops: 'finops@example.com',
  escalation: 'finops@example.com,cloud-lead@example.com',
};

/** Runs `osls package` offline; returns its exit status. */
export function packageOffline(args = [], { quiet = false } = {}) {
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
  rmSync(join(root, '.serverless'), { recursive: true, force: true });
  const result = spawnSync(process.execPath, [osls, 'package', ...params, ...args], {
    cwd: root,
    env,
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
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
