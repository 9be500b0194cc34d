import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLocalSigningKey, signingKeyPath } from '../../functions/adapters/signing-key/local.js';
import { ConfigError } from '../../functions/core/errors.js';

describe('local signing key', () => {
  it('uses SENTINEL_SIGNING_KEY when set', async () => {
    const key = await loadLocalSigningKey({
      out: 's3://bucket/prefix',
      key: 'k'.repeat(32),
    });
    expect(key.toString()).toBe('k'.repeat(32));
  });

  it('creates a random key under <out>/.sentinel with mode 0600 and reuses it', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sentinel-key-'));
    const first = await loadLocalSigningKey({ out });
    const second = await loadLocalSigningKey({ out });
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(second.equals(first)).toBe(true);
    expect((await stat(signingKeyPath(out))).mode & 0o777).toBe(0o600);
  });

  it('is a configuration error for an s3:// out without a key source', async () => {
    await expect(loadLocalSigningKey({ out: 's3://bucket/prefix' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses a key too short to sign safely', async () => {
    await expect(loadLocalSigningKey({ out: '/tmp', key: 'short' })).rejects.toThrow(/too short/);
  });
});
