/**
 * vitest globalSetup: one moto server (a local stand-in for S3, SES v2, EventBridge, SQS and
 * Secrets Manager) per test run, serving one request at a time (moto_serialized.py: moto's
 * threaded server can let two racing If-Match writes both pass, which S3 never does). moto is installed once into a Python venv under a git-ignored
 * cache (`SENTINEL_TEST_CACHE`, default `<repo>/.cache/test-servers`) and reused while its version
 * matches MOTO_VERSION. Tests read the endpoint with `inject('motoEndpoint')` (test/fixtures/moto.ts)
 * and isolate themselves by resource names (a bucket, queue, identity per test file), never by
 * resetting the server. A missing python3 or venv module is a setup error naming what to install:
 * the AWS adapter tests never skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** Pinned: the adapters' tests rely on behaviour checked in this version's sources (see the adapters). */
export const MOTO_VERSION = '5.2.5';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const LAUNCHER = join(HERE, 'moto_serialized.py');
const START_TIMEOUT_MS = 60_000;
const INSTALL_LOCK_STALE_MS = 10 * 60_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK warns once per process that later releases need Node 22; tests run on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const cache = resolve(process.env.SENTINEL_TEST_CACHE ?? join(ROOT, '.cache', 'test-servers'));
  const venv = join(cache, 'moto-venv');
  await withInstallLock(cache, () => ensureMoto(venv));

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // moto's own app behind a lock (moto_serialized.py says why: its conditional writes are not atomic).
  const server = spawn(join(venv, 'bin', 'python'), [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_PORT: String(port) },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  try {
    await waitUntilAnswering(endpoint, server, () => output);
  } catch (error) {
    await stop(server);
    throw error;
  }
  project.provide('motoEndpoint', endpoint);
  return () => stop(server);
}

function ensureMoto(venv: string): void {
  const python = join(venv, 'bin', 'python');
  const stamp = join(venv, `.sentinel-moto-${MOTO_VERSION}`);
  if (existsSync(stamp) && existsSync(join(venv, 'bin', 'moto_server'))) return;

  const system = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (system.error || system.status !== 0) {
    throw new Error(
      'the AWS adapter tests need python3 to run moto (a local AWS server): install Python 3 ' +
        '(Debian/Ubuntu: apt-get install python3 python3-venv)',
    );
  }
  if (!existsSync(python)) {
    rmSync(venv, { recursive: true, force: true });
    const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
    if (made.status !== 0 || !existsSync(python)) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(
        `python3 -m venv ${venv} failed: install Python's venv module ` +
          `(Debian/Ubuntu: apt-get install python3-venv)\n${made.stderr ?? ''}`,
      );
    }
  }
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (pip.status !== 0) {
    throw new Error(
      `pip install moto[server]==${MOTO_VERSION} into ${venv} failed (exit ${pip.status}): ` +
        `the AWS adapter tests need PyPI access once to install it\n${(pip.stderr ?? '').slice(-2000)}`,
    );
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

/** Two test runs sharing one cache (worktrees, CI jobs) must not install into one venv at once. */
async function withInstallLock(cache: string, body: () => void): Promise<void> {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, 'moto-venv.lock');
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > INSTALL_LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > INSTALL_LOCK_STALE_MS) {
        throw new Error(`${lock} is held by another test run; remove it if no run is installing moto`);
      } else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no free port for moto'));
      });
    });
  });
}

async function waitUntilAnswering(
  endpoint: string,
  server: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited: number | null = null;
  server.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`moto exited (${exited}) before answering:\n${output()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto did not answer at ${endpoint} within ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise<void>((r) => server.once('exit', () => r()));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
