/**
 * The repository stands on its own docs: no file cites a document outside it, every citation of
 * `docs/<name>.md "<heading words>"` names a doc that exists and a heading it has, every relative
 * Markdown link resolves, and docs/configuration.md describes every key of the configuration schema
 * with its default.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configSchema, defaultConfig } from '../../functions/core/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Tracked files that are on disk, with their text. */
function trackedFiles(): { path: string; text: string }[] {
  const paths = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((p) => p !== '' && existsSync(join(ROOT, p)));
  return paths.map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
}

const FILES = trackedFiles();
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The ATX headings of a Markdown text, code blocks left out. */
function headings(markdown: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) {
      const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (m) found.push(m[1]!);
    }
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const heading of headings(markdown)) {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('the repository stands on its own docs', () => {
  it('has no file that names an outside document or this machine', () => {
    // Built from parts, so this file does not hold them either.
    const needles = [['S', 'P', 'E', 'C'].join(''), ['FIELD', 'NOTES'].join('-'), ['', 'work', ''].join('/')];
    const offending = FILES.flatMap(({ path, text }) =>
      needles.filter((n) => text.includes(n)).map((n) => `${path}: ${n}`),
    );
    expect(offending).toEqual([]);
  });

  it('cites only docs that exist, and only headings they have', () => {
    // `docs/<name>.md "<heading words>"` anywhere; in Markdown also `[…](<name>.md) "<heading words>"`.
    const cited = /\bdocs\/([\w./-]+?\.md)((?:[ \t]*"[^"\n]{1,80}")*)/g;
    const linked = /\]\(([\w./-]+?\.md)\)((?:[ \t]*"[^"\n]{1,80}")+)/g;
    const problems: string[] = [];
    let count = 0;
    for (const { path, text } of FILES) {
      const citations = [...text.matchAll(cited)].map((m) => ({ doc: `docs/${m[1]}`, words: m[2] }));
      if (path.endsWith('.md')) {
        for (const m of text.matchAll(linked)) {
          citations.push({ doc: normalize(join(dirname(path), m[1]!)), words: m[2] });
        }
      }
      for (const { doc, words: quoted } of citations) {
        count += 1;
        if (!existsSync(join(ROOT, doc))) {
          problems.push(`${path}: ${doc} does not exist`);
          continue;
        }
        const titles = headings(read(doc)).map((h) => h.toLowerCase());
        for (const [, words] of (quoted ?? '').matchAll(/"([^"]+)"/g)) {
          if (!titles.some((t) => t.includes(words!.toLowerCase()))) {
            problems.push(`${path}: ${doc} has no heading with "${words}"`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(100);
  });

  it('has relative Markdown links that resolve, anchors included', () => {
    const link = /\]\((?!https?:|mailto:)([^)\s#]*)(?:#([^)\s]+))?\)/g;
    const problems: string[] = [];
    for (const { path, text } of FILES.filter((f) => f.path.endsWith('.md'))) {
      const prose = text.replace(/```[\s\S]*?```/g, '');
      for (const [, target, anchor] of prose.matchAll(link)) {
        const file = target ? normalize(join(dirname(path), target)) : path;
        if (relative(ROOT, join(ROOT, file)).startsWith('..') || !existsSync(join(ROOT, file))) {
          problems.push(`${path}: link to ${target} does not resolve`);
          continue;
        }
        if (anchor && file.endsWith('.md') && !slugs(read(file)).has(anchor)) {
          problems.push(`${path}: ${file} has no heading for #${anchor}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/** Every key path of the schema (blocks and leaves), zod wrappers (default, prefault, nullable) unwrapped. */
function keyPaths(): { path: string; leaf: boolean }[] {
  const out: { path: string; leaf: boolean }[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's own definitions
  const unwrap = (schema: any): any => {
    let s = schema;
    while (s?._def?.innerType) s = s._def.innerType;
    return s;
  };
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's own definitions
  const walk = (schema: any, prefix: string) => {
    for (const [key, child] of Object.entries(unwrap(schema).shape as Record<string, unknown>)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const inner = unwrap(child);
      if (inner?.shape) {
        out.push({ path, leaf: false });
        walk(inner, path);
      } else out.push({ path, leaf: true });
    }
  };
  walk(configSchema, '');
  return out;
}

function defaultAt(path: string): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: indexing the parsed defaults by a key path
  let value: any = defaultConfig();
  for (const part of path.split('.')) value = value[part];
  return value;
}

/** A default as docs/configuration.md writes it in its table: `2`, `duckdb`, `null`, `[dev, test]`. */
function asWritten(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(asWritten).join(', ')}]`;
  return String(value);
}

/** `| \`key\` | \`default\` | …` rows of docs/configuration.md: key path → default cell. */
function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of read('docs/configuration.md').split('\n')) {
    const m = /^\|\s*`([a-z_][\w.-]*)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const paths = keyPaths();
  const rows = documentedRows();

  it('walks the whole schema (the walk itself is sound)', () => {
    expect(paths.map((p) => p.path)).toContain('detectors.runaway-inference.k');
    expect(paths.map((p) => p.path)).toContain('kill_switch.max_engaged');
    expect(paths.filter((p) => p.leaf).length).toBeGreaterThanOrEqual(70);
  });

  it('has a table row for every key of the schema, its default as the code has it', () => {
    const problems: string[] = [];
    for (const { path, leaf } of paths.filter((p) => p.leaf)) {
      const cell = rows.get(path);
      if (cell === undefined) {
        problems.push(`no row for \`${path}\``);
        continue;
      }
      const expected = asWritten(defaultAt(path));
      if (leaf && cell !== `\`${expected}\``) {
        problems.push(`\`${path}\`: default written ${cell}, the schema's is \`${expected}\``);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no row for a key the schema does not have', () => {
    const known = new Set(paths.map((p) => p.path));
    expect([...rows.keys()].filter((key) => !known.has(key))).toEqual([]);
  });
});
