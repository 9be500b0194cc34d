/**
 * `sentinel --version` and `sentinel <command> --help` through the built CLI: every command's help
 * is its own usage text, answered without loading the command or the heavy libraries a run uses
 * (start-up time is part of every run; docs/cli.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/sentinel.js');

/**
 * The CLI runs as a bundle (scripts/bundle-cli.mjs): a loaded file of dist/cli/ stands for the source
 * files it holds (its metafile), named as their compiled modules (`functions/cli/main.js`,
 * `node_modules/zod/…`), so what a command loads is told in source terms.
 */
const BUNDLE = pathToFileURL(resolve('dist/cli')).href;
const META = JSON.parse(readFileSync(resolve('dist/cli/meta.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};
function sourcesOf(url: string): string[] {
  if (!url.startsWith(`${BUNDLE}/`)) return [url];
  const output = META.outputs[`dist/cli/${url.slice(BUNDLE.length + 1)}`];
  if (!output) return [url];
  return Object.keys(output.inputs).map((input) => input.replace(/\.ts$/, '.js'));
}

/** A resolve hook that reports every module the process loads, one URL per stderr line. */
const HOOK = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('loaded ' + r.url + '\\n'); return r; }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

function sentinel(args: string[], traced = false) {
  const node = traced ? ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`] : [];
  const result = spawnSync(process.execPath, [...node, BIN, ...args], { encoding: 'utf8' });
  const loaded = result.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded '))
    .map((l) => l.slice('loaded '.length))
    .flatMap(sourcesOf);
  return { status: result.status, stdout: result.stdout, loaded };
}

/** The commands `sentinel --help` lists. */
function commands(): string[] {
  const help = sentinel(['--help']).stdout;
  const section = help.slice(help.indexOf('commands:'));
  return [...section.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]!);
}

/** Libraries a command loads to do its work, never to print its help or the version. */
const HEAVY = /node_modules\/(zod|handlebars|@aws-sdk|@duckdb|yaml|csv-parse|nodemailer|trino-client)\//;

describe('sentinel --help and --version', () => {
  it('lists the commands', () => {
    expect(commands()).toEqual(
      expect.arrayContaining(['detect', 'run', 'follow-up', 'ack', 'sql', 'generate', 'render']),
    );
  });

  it('prints, for every command, the usage the command itself prints', async () => {
    for (const command of commands()) {
      const help = sentinel([command, '--help']);
      expect(help.status, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^usage: sentinel ${command}[ \\n]`));
      // The command module's own answer to --help, in this process: the two must not drift apart.
      const module = (await import(`../../functions/cli/${command}.ts`)) as {
        run(argv: string[]): Promise<number>;
      };
      const written: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
      try {
        expect(await module.run(['--help']), command).toBe(0);
      } finally {
        process.stdout.write = write;
      }
      expect(help.stdout, command).toBe(written.join(''));
      expect(sentinel([command, '-h']).stdout, command).toBe(help.stdout);
    }
  });

  it('loads neither the command nor a heavy library for --help or --version', () => {
    for (const args of [['--version'], ...commands().map((c) => [c, '--help'])]) {
      const { status, loaded } = sentinel(args, true);
      expect(status, args.join(' ')).toBe(0);
      expect(
        loaded.some((url) => url.endsWith('functions/cli/main.js')),
        args.join(' '),
      ).toBe(true);
      expect(
        loaded.filter((url) => HEAVY.test(url) || /functions\/(adapters|core\/commands)\//.test(url)),
        args.join(' '),
      ).toEqual([]);
      if (args[0] !== '--version') {
        expect(loaded.filter((url) => url.endsWith(`functions/cli/${args[0]}.js`))).toEqual([]);
      }
    }
  });

  it('detect with no owners file loads no CSV or YAML parser and no email renderer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-detect-loads-'));
    try {
      const gen = sentinel([
        'generate',
        '--out',
        join(dir, 'org'),
        '--accounts',
        '8',
        '--days',
        '60',
        '--end',
        '2026-03-10',
      ]);
      expect(gen.status).toBe(0);
      const detect = sentinel(
        [
          'detect',
          '--focus',
          join(dir, 'org', 'export'),
          '--as-of',
          '2026-03-09',
          '--out',
          join(dir, 'out'),
          '--json',
        ],
        true,
      );
      expect(detect.status).toBe(0);
      expect(detect.loaded.some((url) => /node_modules\/@duckdb\//.test(url))).toBe(true);
      expect(
        detect.loaded.filter(
          (url) =>
            /node_modules\/(yaml|csv-parse|nodemailer)\//.test(url) ||
            /functions\/core\/notify\/render\.js$/.test(url),
        ),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
