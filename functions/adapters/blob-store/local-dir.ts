/**
 * BlobStore on a local directory, same key layout as S3. Conditional writes are atomic on the
 * filesystem: create-only uses link(2) (fails if the target exists), if-match takes a short
 * per-key lock file (O_EXCL), compares the current version and renames a temp file over the key.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConflictError, UpstreamError } from '../../core/errors.js';
import type { BlobStore, PutCondition, StoredBlob } from '../../core/ports.js';

const LOCK_STALE_MS = 30_000;

export const versionOf = (body: string): string =>
  createHash('sha256').update(body).digest('hex').slice(0, 32);

export class LocalDirBlobStore implements BlobStore {
  readonly kind = 'store' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  describe(key?: string): string {
    return key ? join(this.root, key) : this.root;
  }

  private path(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) {
      throw new UpstreamError(`blob key '${key}' is not a relative key`);
    }
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    try {
      const body = await readFile(this.path(key), 'utf8');
      return { body, version: versionOf(body) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UpstreamError(`cannot read ${this.path(key)}`, { cause: error });
    }
  }

  async put(key: string, body: string, condition?: PutCondition): Promise<string> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    await writeFile(temp, body, 'utf8');
    try {
      if (condition && 'ifNoneMatch' in condition) {
        try {
          await link(temp, target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new ConflictError(`${key} already exists`, { cause: error });
          }
          throw error;
        }
      } else if (condition && 'ifMatch' in condition) {
        await this.withKeyLock(target, async () => {
          const current = await this.get(key);
          if (!current || current.version !== condition.ifMatch) {
            throw new ConflictError(`${key} changed since it was read`);
          }
          await rename(temp, target);
        });
      } else {
        await rename(temp, target);
      }
    } finally {
      await rm(temp, { force: true });
    }
    return versionOf(body);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (!entry.name.endsWith('.tmp') && !entry.name.endsWith('.lock')) {
          keys.push(relative(this.root, full).split(sep).join('/'));
        }
      }
    };
    // Walk only the directory part of the prefix, then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    await walk(base ? this.path(base) : this.root);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    const target = this.path(key);
    if (!condition) {
      await rm(target, { force: true });
      return;
    }
    await this.withKeyLock(target, async () => {
      const current = await this.get(key);
      if (!current) return;
      if (current.version !== condition.ifMatch) {
        throw new ConflictError(`${key} changed since it was read; not deleted`);
      }
      await rm(target, { force: true });
    });
  }

  /** A lock file beside the key, created exclusively; a lock older than 30 s is taken over. */
  private async withKeyLock<T>(target: string, body: () => Promise<T>): Promise<T> {
    const lock = `${target}.lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > LOCK_STALE_MS) await unlink(lock).catch(() => {});
        if (attempt > 2000) throw new ConflictError(`${target} is locked by another process`);
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 5));
      }
    }
    try {
      return await body();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }
}
