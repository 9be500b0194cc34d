/**
 * vitest globalSetup: one real Trino server per test run, the local stand-in for Athena engine v3.
 *
 * On first use it downloads Trino's server and Hive plugin from Maven Central (`mvn dependency:copy`)
 * into a git-ignored cache (`SENTINEL_TEST_CACHE`, default `<repo>/.cache/test-servers`) and unpacks
 * them there; later runs reuse the unpacked server. Each run writes a single-node configuration to a
 * temporary directory (coordinator that also schedules work, a free port on 127.0.0.1, a modest heap)
 * and a `hive` catalog with a file metastore over local files, starts the server with Java 24+ and
 * waits for `/v1/info` to say it has started. Tests read the server with `inject('trino')`.
 * `SENTINEL_TEST_TRINO_URL` with `SENTINEL_TEST_TRINO_LOCAL_ROOT` use a server already running instead.
 *
 * Java: `JAVA_HOME` when it is Java 24 or newer, else a Java 24+ JDK under /usr/lib/jvm (Temurin 25).
 * A missing Java or Maven is a setup error naming what to install, never a skipped test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { TrinoQueryEngine } from '../../functions/adapters/query-engine/trino.js';

export const TRINO_VERSION = '476';
/** Trino 476 runs on Java 24 or newer. */
const MIN_JAVA = 24;
const START_TIMEOUT_MS = 180_000;
const HEAP = '2G';

export interface TrinoServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The Hive catalog over local files. */
  catalog: string;
  /**
   * The folder the catalog's `local://` file system is rooted at: `local:///a/b` is `<localRoot>/a/b`.
   * Tests write the files their tables read below it.
   */
  localRoot: string;
  version: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    trino: TrinoServer;
  }
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function testCacheDir(): string {
  return process.env.SENTINEL_TEST_CACHE ?? join(REPO_ROOT, '.cache', 'test-servers');
}

class SetupError extends Error {
  override name = 'TrinoSetupError';
}

// ---- Java and Maven ------------------------------------------------------------------------------

function javaMajor(home: string): number | undefined {
  try {
    const release = readFileSync(join(home, 'release'), 'utf8');
    const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
    if (version) return Number(version.split('.')[0]);
  } catch {
    // no release file: ask the binary
  }
  try {
    const out = execFileSync(join(home, 'bin', 'java'), ['-version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return Number(/version "(\d+)/.exec(out)?.[1]);
  } catch (error) {
    const text = String((error as { stderr?: unknown }).stderr ?? '');
    const major = /version "(\d+)/.exec(text)?.[1];
    return major ? Number(major) : undefined;
  }
}

/** The JDK to run Trino with: JAVA_HOME when new enough, else the newest Java 24+ under /usr/lib/jvm. */
export function findJava(): string {
  const fromEnv = process.env.JAVA_HOME;
  if (fromEnv && (javaMajor(fromEnv) ?? 0) >= MIN_JAVA && existsSync(join(fromEnv, 'bin', 'java'))) {
    return fromEnv;
  }
  const jvmDir = '/usr/lib/jvm';
  const candidates = existsSync(jvmDir)
    ? readdirSync(jvmDir)
        .map((name) => join(jvmDir, name))
        .filter((home) => existsSync(join(home, 'bin', 'java')))
        .map((home) => ({ home, major: javaMajor(home) ?? 0 }))
        .filter((c) => c.major >= MIN_JAVA)
        .sort(
          (a, b) =>
            b.major - a.major || Number(b.home.includes('temurin')) - Number(a.home.includes('temurin')),
        )
    : [];
  const found = candidates[0]?.home;
  if (!found) {
    throw new SetupError(
      `Trino ${TRINO_VERSION} needs Java ${MIN_JAVA} or newer: JAVA_HOME is ${fromEnv ? `Java ${javaMajor(fromEnv) ?? '?'} (${fromEnv})` : 'not set'} and ${jvmDir} has no Java ${MIN_JAVA}+ JDK. Install Temurin 25 (or any JDK ${MIN_JAVA}+) and set JAVA_HOME to it.`,
    );
  }
  return found;
}

function requireMaven(): string {
  try {
    execFileSync('mvn', ['-v'], { stdio: 'ignore' });
    return 'mvn';
  } catch {
    throw new SetupError(
      `downloading Trino ${TRINO_VERSION} for the tests needs Maven (mvn) on PATH: install it (apt-get install -y maven), or fill ${testCacheDir()} from a machine that has it`,
    );
  }
}

// ---- The server installation (cached) ------------------------------------------------------------

const ARTIFACTS = [
  {
    coordinates: `io.trino:trino-server-core:${TRINO_VERSION}:tar.gz`,
    file: `trino-server-core-${TRINO_VERSION}.tar.gz`,
  },
  { coordinates: `io.trino:trino-hive:${TRINO_VERSION}:zip`, file: `trino-hive-${TRINO_VERSION}.zip` },
] as const;

/** `<cache>/trino-server-<v>`: the server with the Hive plugin in plugin/hive; downloaded and unpacked once. */
export function ensureTrinoInstall(javaHome: string): { home: string; downloaded: boolean } {
  const cache = testCacheDir();
  const home = join(cache, `trino-server-${TRINO_VERSION}`);
  if (existsSync(join(home, '.complete'))) return { home, downloaded: false };
  mkdirSync(cache, { recursive: true });
  const downloads = join(cache, 'downloads');
  mkdirSync(downloads, { recursive: true });
  for (const artifact of ARTIFACTS) {
    if (existsSync(join(downloads, artifact.file))) continue;
    const mvn = requireMaven();
    try {
      execFileSync(
        mvn,
        [
          '-q',
          '-B',
          'dependency:copy',
          `-Dartifact=${artifact.coordinates}`,
          `-DoutputDirectory=${downloads}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], cwd: cache, env: { ...process.env, JAVA_HOME: javaHome } },
      );
    } catch (error) {
      const output = `${(error as { stdout?: unknown }).stdout ?? ''}${(error as { stderr?: unknown }).stderr ?? ''}`;
      throw new SetupError(`mvn dependency:copy of ${artifact.coordinates} failed:\n${output.slice(-2000)}`);
    }
  }
  // Unpacked beside the target and renamed, so a concurrent run never sees half a server.
  const staging = mkdtempSync(join(cache, `.unpack-${TRINO_VERSION}-`));
  try {
    execFileSync('tar', ['xzf', join(downloads, ARTIFACTS[0].file), '-C', staging]);
    const server = join(staging, `trino-server-core-${TRINO_VERSION}`);
    const plugins = join(server, 'plugin');
    mkdirSync(plugins, { recursive: true });
    // The JDK's jar tool unpacks zips; no unzip needed.
    execFileSync(join(javaHome, 'bin', 'jar'), ['xf', join(downloads, ARTIFACTS[1].file)], { cwd: plugins });
    renameSync(join(plugins, `trino-hive-${TRINO_VERSION}`), join(plugins, 'hive'));
    writeFileSync(join(server, '.complete'), `${TRINO_VERSION}\n`);
    try {
      renameSync(server, home);
    } catch (error) {
      if (!existsSync(join(home, '.complete'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { home, downloaded: true };
}

// ---- One running server --------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

const properties = (entries: Record<string, string | number | boolean>): string =>
  `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;

/** Writes etc/ for a single-node server under `runDir`; returns the JVM arguments. */
function writeServerConfig(home: string, runDir: string, port: number, localRoot: string): string[] {
  const etc = join(runDir, 'etc');
  const catalogs = join(etc, 'catalog');
  const plugins = join(runDir, 'plugin');
  mkdirSync(catalogs, { recursive: true });
  mkdirSync(plugins, { recursive: true });
  mkdirSync(join(localRoot, 'metastore'), { recursive: true });
  mkdirSync(join(localRoot, 'warehouse'), { recursive: true });
  // Only the Hive plugin is loaded: the others cost start-up time and nothing here uses them.
  symlinkSync(join(home, 'plugin', 'hive'), join(plugins, 'hive'));
  writeFileSync(
    join(etc, 'config.properties'),
    properties({
      coordinator: true,
      'node-scheduler.include-coordinator': true,
      'http-server.http.port': port,
      'discovery.uri': `http://127.0.0.1:${port}`,
      'node.environment': 'test',
      'node.id': 'sentinel-test',
      'node.bind-ip': '127.0.0.1',
      'node.internal-address': '127.0.0.1',
      'catalog.config-dir': catalogs,
      'plugin.dir': plugins,
      'query.max-memory': '1GB',
      'query.max-memory-per-node': '1GB',
      'http-server.log.enabled': false,
    }),
  );
  writeFileSync(
    join(catalogs, 'hive.properties'),
    properties({
      'connector.name': 'hive',
      'hive.metastore': 'file',
      'hive.metastore.catalog.dir': 'local:///metastore',
      'fs.native-local.enabled': true,
      'local.location': localRoot,
      // Staging tables (CTAS) and writes into tables over files the tests laid out.
      'hive.non-managed-table-writes-enabled': true,
      // Files in sub-folders of a partition are read, as Athena reads them (an export set to create
      // new files keeps each delivery in a sub-folder of its period).
      'hive.recursive-directories': true,
      'hive.parquet.time-zone': 'UTC',
      'hive.rcfile.time-zone': 'UTC',
    }),
  );
  return [
    '-server',
    `-Xmx${HEAP}`,
    '-XX:+UseG1GC',
    // C1 only: on 2 CPUs the C2 compiler's warm-up costs the short test queries more than it wins.
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:ReservedCodeCacheSize=256M',
    '-XX:+EnableDynamicAgentLoading',
    '--enable-native-access=ALL-UNNAMED',
    '-Djdk.attach.allowAttachSelf=true',
    '-Dfile.encoding=UTF-8',
    // Athena's sessions are UTC; so are the server's.
    '-Duser.timezone=UTC',
    `-Dconfig=${join(etc, 'config.properties')}`,
    '-cp',
    `${join(home, 'lib')}/*`,
    'io.trino.server.TrinoServer',
  ];
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => !/^\s+at /.test(l))
      .slice(-lines)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** True once a query runs to the end and the node list shows an active worker. */
async function answersQueries(url: string): Promise<boolean> {
  try {
    let active = 0;
    let response = await fetch(`${url}/v1/statement`, {
      method: 'POST',
      body: "SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'",
      headers: { 'X-Trino-User': 'setup' },
      signal: AbortSignal.timeout(5_000),
    });
    for (;;) {
      const page = (await response.json()) as { nextUri?: string; error?: unknown; data?: unknown[][] };
      if (page.error) return false;
      if (page.data?.[0]) active = Number(page.data[0][0]);
      if (!page.nextUri) return active > 0;
      response = await fetch(page.nextUri, {
        headers: { 'X-Trino-User': 'setup' },
        signal: AbortSignal.timeout(5_000),
      });
    }
  } catch {
    return false;
  }
}

async function waitUntilStarted(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new SetupError(
        `Trino exited during start-up (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`,
      );
    }
    try {
      const response = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        const info = (await response.json()) as { starting?: boolean };
        // Started is not yet ready: the coordinator registers itself as the worker a moment
        // later, and a query before that fails with NO_NODES_AVAILABLE.
        if (info.starting === false && (await answersQueries(url))) return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new SetupError(`Trino did not start within ${START_TIMEOUT_MS / 1000}s:\n${tail(logFile)}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A test run killed outright (Ctrl-C twice, SIGKILL) never reaches teardown: a detached shell
 * watches this process and stops the server (and removes its folder) once it is gone.
 */
function watchParent(child: ChildProcess, runDir: string): ChildProcess | undefined {
  if (child.pid === undefined) return undefined;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done`,
    `kill -TERM ${child.pid} 2>/dev/null`,
    'sleep 10',
    `kill -KILL ${child.pid} 2>/dev/null`,
    `rm -rf '${runDir.replace(/'/g, "'\\''")}'`,
  ].join('; ');
  const watcher = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watcher.unref();
  return watcher;
}

export interface StartedTrino {
  server: TrinoServer;
  stop(): Promise<void>;
  /** Seconds spent downloading and unpacking (0 when the cache had the server) and starting. */
  timings: { installSeconds: number; startSeconds: number; downloaded: boolean };
}

export async function startTrino(): Promise<StartedTrino> {
  const t0 = Date.now();
  const javaHome = findJava();
  const install = ensureTrinoInstall(javaHome);
  const t1 = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), 'sentinel-trino-'));
  const localRoot = join(runDir, 'files');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = writeServerConfig(install.home, runDir, port, localRoot);
  const logFile = join(runDir, 'server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(join(javaHome, 'bin', 'java'), args, {
    cwd: runDir,
    stdio: ['ignore', log, log],
    env: { ...process.env, JAVA_HOME: javaHome },
  });
  closeSync(log);
  const watcher = watchParent(child, runDir);
  const cleanUp = async () => {
    // Stopped first, so it never signals a PID after the server has gone.
    watcher?.kill('SIGKILL');
    await stop(child);
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    await waitUntilStarted(url, child, logFile);
    // The file metastore starts empty: give tests the `default` schema a fresh Hive catalog has.
    const engine = TrinoQueryEngine.connect({
      server: url,
      catalog: 'hive',
      schema: 'default',
      user: 'setup',
    });
    await engine.execute(
      `CREATE SCHEMA IF NOT EXISTS hive.default WITH (location = 'local:///warehouse/default')`,
    );
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    server: { url, catalog: 'hive', localRoot, version: TRINO_VERSION },
    stop: cleanUp,
    timings: {
      installSeconds: (t1 - t0) / 1000,
      startSeconds: (Date.now() - t1) / 1000,
      downloaded: install.downloaded,
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A server left running between runs while developing (same configuration as startTrino writes).
  const running = process.env.SENTINEL_TEST_TRINO_URL;
  const runningRoot = process.env.SENTINEL_TEST_TRINO_LOCAL_ROOT;
  if (running && runningRoot) {
    project.provide('trino', {
      url: running,
      catalog: 'hive',
      localRoot: runningRoot,
      version: TRINO_VERSION,
    });
    return async () => {};
  }
  const trino = await startTrino();
  const { installSeconds, startSeconds, downloaded } = trino.timings;
  process.stderr.write(
    `trino ${TRINO_VERSION}: ${downloaded ? `downloaded and unpacked in ${installSeconds.toFixed(1)}s, ` : ''}started in ${startSeconds.toFixed(1)}s at ${trino.server.url}\n`,
  );
  project.provide('trino', trino.server);
  return () => trino.stop();
}
