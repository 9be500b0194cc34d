/**
 * Locates files shipped with the package (sql/, templates/) from compiled or source code, and from a
 * Lambda bundle, whose zip holds sql/ and templates/ beside functions/ but no package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'sql')) && existsSync(join(dir, 'templates'))) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root (a folder with sql/ and templates/)');
    dir = parent;
  }
}

export const packagePath = (...parts: string[]): string => join(packageRoot(), ...parts);
