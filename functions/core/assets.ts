/**
 * The one loader of the files the package ships beside its code: `sql/` and `templates/`. They are
 * found beside the package (CLI, tests: the folder holding both, walking up from this module) or
 * beside a bundle (a Lambda zip ships them next to the handler); a bundle built with the files
 * inlined registers them with `registerAssets` before first use, and then no file is read.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
let inlined: Map<string, string> | undefined;

/** For bundles that inline sql/ and templates/: paths relative to the package root, `/`-separated. */
export function registerAssets(files: Record<string, string>): void {
  inlined = new Map(Object.entries(files));
}

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'sql')) && existsSync(join(dir, 'templates'))) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        'cannot find the sql/ and templates/ folders beside the code (ship them with the package)',
      );
    }
    dir = parent;
  }
}

export const packagePath = (...parts: string[]): string => join(packageRoot(), ...parts);

/** The text of a shipped file, e.g. `sql/staging.sql`. */
export function readAsset(path: string): string {
  if (inlined) {
    const text = inlined.get(path);
    if (text === undefined) throw new Error(`asset ${path} is not in this bundle`);
    return text;
  }
  return readFileSync(packagePath(...path.split('/')), 'utf8');
}

/** File names directly inside a shipped folder, e.g. `templates/partials`, sorted. */
export function listAssets(folder: string): string[] {
  if (inlined) {
    const prefix = `${folder}/`;
    return [...inlined.keys()]
      .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => p.slice(prefix.length))
      .sort();
  }
  return readdirSync(packagePath(...folder.split('/'))).sort();
}
