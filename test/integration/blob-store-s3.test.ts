/**
 * S3BlobStore against the local moto server: the BlobStore contract (conditional writes, paging
 * over 1,000 keys, conditional delete — moto 5.2 honours If-Match on DeleteObject), real
 * concurrent writer processes, and the S3-only error mapping.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../functions/adapters/blob-store/s3.js';
import { ConflictError, UpstreamError } from '../../functions/core/errors.js';
import { blobStoreContract } from '../fixtures/blob-store-contract.js';
import { motoEndpoint, motoS3, uniqueName } from '../fixtures/moto.js';

const INCREMENT = fileURLToPath(new URL('../fixtures/blob-increment.mjs', import.meta.url));
const s3 = motoS3();
const bucket = uniqueName('sentinel-blob');

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

// A fresh prefix per test: one bucket per file, no resets.
blobStoreContract(
  'S3BlobStore on moto',
  async () => new S3BlobStore(s3, `s3://${bucket}/${uniqueName('t')}`),
);

function increment(
  root: string,
  n: number,
): Promise<{ code: number | null; conflicts: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [INCREMENT, root, 'cases/counter.json', String(n)], {
      env: { ...process.env, SENTINEL_TEST_S3_ENDPOINT: motoEndpoint() },
    });
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

describe('S3BlobStore on moto', () => {
  it('loses no update when six processes race read → if-match write on one key', async () => {
    const root = `s3://${bucket}/${uniqueName('race')}`;
    const results = await Promise.all(Array.from({ length: 6 }, () => increment(root, 20)));
    expect(results.map((r) => r.stderr)).toEqual(Array(6).fill(''));
    expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
    const final = JSON.parse((await new S3BlobStore(s3, root).get('cases/counter.json'))!.body) as {
      count: number;
    };
    expect(final.count).toBe(120);
    // The race was real: some writers lost a precondition and retried.
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
  });

  it("follows the continuation token past moto's 1,000-key page", async () => {
    const client = motoS3();
    const pages: (boolean | undefined)[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'ListObjectsV2Command') {
          pages.push((result.output as { IsTruncated?: boolean }).IsTruncated);
        }
        return result;
      },
      { step: 'initialize', name: 'countListPages' },
    );
    const store = new S3BlobStore(client, `s3://${bucket}/${uniqueName('pages')}`);
    for (let i = 0; i < 1001; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, 1001 - i) }, (_, j) =>
          store.put(`runs/r-${String(i + j).padStart(4, '0')}.json`, '{}'),
        ),
      );
    }
    const keys = await store.list('runs/');
    expect(keys).toHaveLength(1001);
    expect(keys.at(-1)).toBe('runs/r-1000.json');
    expect(pages).toEqual([true, false]);
  });

  it('keeps keys under its prefix and returns them relative to it', async () => {
    const prefix = uniqueName('p');
    const store = new S3BlobStore(s3, `s3://${bucket}/${prefix}/`);
    await store.put('runs/r1.json', '{}\n');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}-other/runs/r2.json`, Body: '{}' }));
    expect(await store.list('runs/')).toEqual(['runs/r1.json']);
    const raw = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/runs/r1.json` }));
    expect(raw.ContentType).toBe('application/json; charset=utf-8');
    expect(store.describe('runs/r1.json')).toBe(`s3://${bucket}/${prefix}/runs/r1.json`);
  });

  it('returns the ETag as the version and accepts it for if-match', async () => {
    const store = new S3BlobStore(s3, `s3://${bucket}/${uniqueName('etag')}`);
    const version = await store.put('cases/e.json', 'one');
    expect(version).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await store.get('cases/e.json'))?.version).toBe(version);
    await expect(
      store.put('cases/e.json', 'two', { ifMatch: '"0123456789abcdef0123456789abcdef"' }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('reports a missing bucket as an upstream failure naming it, never as an absent key', async () => {
    const store = new S3BlobStore(s3, `s3://${uniqueName('no-such-bucket')}/state`);
    const failure = await store.get('cases/a.json').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as Error).message).toMatch(
      /S3 GetObject s3:\/\/no-such-bucket-[0-9a-f]+\/state\/cases\/a\.json failed: NoSuchBucket/,
    );
    await expect(store.list('cases/')).rejects.toBeInstanceOf(UpstreamError);
    await expect(store.put('cases/a.json', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(UpstreamError);
  });
});
