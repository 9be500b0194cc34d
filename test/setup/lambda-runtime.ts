/**
 * The Lambda-faithful runtime the packaged zips run in (docs/decisions/018-the-artifact-as-deployed.md):
 * Node 22 (the `nodejs22.x` runtime's major) and AWS's Runtime Interface Emulator, installed once into
 * the git-ignored test cache (`SENTINEL_TEST_CACHE`, default `<repo>/.cache/test-servers`) and reused
 * while their pinned versions match:
 * - Node from the npm package `node-linux-<arch>` (`npm install --prefix`, the registry's ordinary client);
 * - the emulator built from its Go module (`go install`), with the `go` on PATH when it is new enough for
 *   the module's `go` line, else the Go toolchain module that an older `go` downloads as a plain module.
 * Called from a test file's `beforeAll` (not a global setup: only the files that run a zip pay for it).
 * A missing npm or Go is a setup error naming what to install, never a skipped test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '22.23.5';
/** A pseudo-version: the module proxy serves no release tag of the emulator. */
export const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator';
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';
/** The emulator's go.mod asks for this Go or newer. */
const RIE_GO = [1, 26, 6] as const;
/** The toolchain module an older `go` fetches when its own version is below RIE_GO. */
const GO_TOOLCHAIN = 'go1.26.8';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOCK_STALE_MS = 10 * 60_000;

export interface LambdaRuntime {
  /** Node 22's binary. */
  node: string;
  /** The emulator's binary. */
  rie: string;
}

class LambdaRuntimeSetupError extends Error {
  override name = 'LambdaRuntimeSetupError';
}

const cacheDir = () => resolve(process.env.SENTINEL_TEST_CACHE ?? join(ROOT, '.cache', 'test-servers'));

/** Node 22 and the emulator, installed on first use. */
export async function ensureLambdaRuntime(): Promise<LambdaRuntime> {
  const cache = cacheDir();
  mkdirSync(cache, { recursive: true });
  return withLock(join(cache, 'lambda-runtime.lock'), () => ({
    node: ensureNode(cache),
    rie: ensureRie(cache),
  }));
}

function ensureNode(cache: string): string {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const pkg = `node-linux-${arch}`;
  const home = join(cache, `node-${NODE_VERSION}-${arch}`);
  const binary = join(home, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(join(home, '.complete')) && existsSync(binary)) return binary;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      home,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `${pkg}@${NODE_VERSION}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (npm.status !== 0 || !existsSync(binary)) {
    throw new LambdaRuntimeSetupError(
      `npm install ${pkg}@${NODE_VERSION} into ${home} failed (exit ${npm.status}): the zips run on Node 22, which the tests take from npm once\n${(npm.stderr ?? '').slice(-2000)}`,
    );
  }
  chmodSync(binary, 0o755);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== `v${NODE_VERSION}`) {
    throw new LambdaRuntimeSetupError(`${binary} says ${version}, not v${NODE_VERSION}`);
  }
  writeFileSync(join(home, '.complete'), `${version}\n`);
  return binary;
}

const goVersion = (go: string): number[] | undefined => {
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (out.status !== 0) {
    // Before Go 1.16 `go env GOVERSION` does not exist; `go version` does.
    const v = spawnSync(go, ['version'], { encoding: 'utf8' });
    const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.stdout ?? '');
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
  }
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?/.exec(out.stdout.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
};

const atLeast = (have: number[], want: readonly number[]) => {
  for (let i = 0; i < want.length; i++) {
    if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i]!;
  }
  return true;
};

/**
 * A `go` new enough for the emulator: the one on PATH, else the toolchain module it downloads (Go ≥ 1.21
 * does that itself through GOTOOLCHAIN; an older one, Debian's, gets it with `go mod download`).
 */
function goFor(cache: string): { go: string; env: NodeJS.ProcessEnv } {
  const found = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new LambdaRuntimeSetupError(
      'building the Lambda Runtime Interface Emulator needs Go: install it (Debian: apt-get install golang-go; .ci/run does)',
    );
  }
  const have = goVersion('go') ?? [0, 0, 0];
  if (atLeast(have, RIE_GO)) return { go: 'go', env: process.env };
  if (atLeast(have, [1, 21]))
    return { go: 'go', env: { ...process.env, GOTOOLCHAIN: `${GO_TOOLCHAIN}+auto` } };
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const home = join(cache, `go-${GO_TOOLCHAIN}`);
  const go = join(home, 'bin', 'go');
  if (!existsSync(join(home, '.complete'))) {
    const work = join(cache, '.go-toolchain');
    const got = spawnSync(
      'go',
      ['mod', 'download', '-json', `golang.org/toolchain@v0.0.1-${GO_TOOLCHAIN}.linux-${arch}`],
      { encoding: 'utf8', cwd: cache, env: { ...process.env, GOFLAGS: '-mod=mod', GOPATH: work } },
    );
    const dir = got.status === 0 ? (JSON.parse(got.stdout) as { Dir?: string }).Dir : undefined;
    if (!dir) {
      throw new LambdaRuntimeSetupError(
        `go ${have.join('.')} is older than the emulator needs (${RIE_GO.join('.')}) and the Go toolchain module could not be downloaded:\n${got.stderr}`,
      );
    }
    rmSync(home, { recursive: true, force: true });
    cpSync(dir, home, { recursive: true });
    // Module zips keep no file modes: the toolchain's programs are made executable again.
    for (const sub of ['bin', ...readdirSync(join(home, 'pkg', 'tool')).map((d) => join('pkg', 'tool', d))]) {
      for (const f of readdirSync(join(home, sub))) chmodSync(join(home, sub, f), 0o755);
    }
    chmodSync(home, 0o755);
    rmSync(work, { recursive: true, force: true });
    writeFileSync(join(home, '.complete'), `${GO_TOOLCHAIN}\n`);
  }
  return { go, env: { ...process.env, GOROOT: home, GOTOOLCHAIN: 'local' } };
}

function ensureRie(cache: string): string {
  const home = join(cache, `aws-lambda-rie-${RIE_VERSION}`);
  const binary = join(home, 'aws-lambda-rie');
  if (existsSync(join(home, '.complete')) && existsSync(binary)) return binary;
  const { go, env } = goFor(cache);
  const staging = `${home}.building`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const built = spawnSync(go, ['install', `${RIE_MODULE}/cmd/aws-lambda-rie@${RIE_VERSION}`], {
    encoding: 'utf8',
    env: { ...env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (built.status !== 0 || !existsSync(join(staging, 'aws-lambda-rie'))) {
    throw new LambdaRuntimeSetupError(
      `go install ${RIE_MODULE}/cmd/aws-lambda-rie@${RIE_VERSION} failed (exit ${built.status}): the tests need the Go module proxy once\n${(built.stderr ?? '').slice(-2000)}`,
    );
  }
  writeFileSync(join(staging, '.complete'), `${RIE_VERSION}\n`);
  rmSync(home, { recursive: true, force: true });
  renameSync(staging, home);
  return binary;
}

/** Two test runs sharing one cache (worktrees, the two suites) must not install into one place at once. */
async function withLock<T>(lock: string, body: () => T): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > LOCK_STALE_MS) {
        throw new LambdaRuntimeSetupError(
          `${lock} is held by another test run; remove it if none is installing`,
        );
      } else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
