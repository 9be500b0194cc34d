import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { OverlayBlobStore } from '../../functions/core/dry-run.js';
import { blobStoreContract } from '../fixtures/blob-store-contract.js';
import { MemoryBlobStore } from '../fixtures/case-ports.js';

const INCREMENT = fileURLToPath(new URL('../fixtures/blob-increment.mjs', import.meta.url));
const tempRoot = () => mkdtemp(join(tmpdir(), 'sentinel-blob-'));

blobStoreContract('LocalDirBlobStore', async () => new LocalDirBlobStore(await tempRoot()));
blobStoreContract('OverlayBlobStore (dry runs)', async () => new OverlayBlobStore(new MemoryBlobStore()));
blobStoreContract('MemoryBlobStore (test double)', async () => new MemoryBlobStore());

function increment(
  root: string,
  n: number,
): Promise<{ code: number | null; conflicts: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [INCREMENT, root, 'cases/counter.json', String(n)]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, conflicts: Number(stdout.trim()), stderr }));
  });
}

describe('LocalDirBlobStore with real concurrent processes', () => {
  it('loses no update when four processes race read → if-match write on one key', async () => {
    const root = await tempRoot();
    const results = await Promise.all([1, 2, 3, 4].map(() => increment(root, 40)));
    expect(results.map((r) => r.stderr)).toEqual(['', '', '', '']);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const store = new LocalDirBlobStore(root);
    const final = JSON.parse((await store.get('cases/counter.json'))!.body) as { count: number };
    expect(final.count).toBe(160);
    // No temp or lock files are left behind.
    expect(await readdir(join(root, 'cases'))).toEqual(['counter.json']);
  });

  it('keeps overlay writes out of the real store (dry runs change nothing)', async () => {
    const root = await tempRoot();
    const real = new LocalDirBlobStore(root);
    await real.put('cases/a.json', 'real');
    const overlay = new OverlayBlobStore(real);
    const { version } = (await overlay.get('cases/a.json'))!;
    await overlay.put('cases/a.json', 'dry', { ifMatch: version });
    await overlay.put('cases/b.json', 'dry', { ifNoneMatch: '*' });
    await overlay.delete('cases/a.json');
    expect(await overlay.list('cases/')).toEqual(['cases/b.json']);
    expect(await real.list('cases/')).toEqual(['cases/a.json']);
    expect((await real.get('cases/a.json'))?.body).toBe('real');
  });
});
