/** The SigningKey port's adapters: caching, and failures that are not cached (SDK mock for Secrets Manager). */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { LocalSigningKey } from '../../functions/adapters/signing-key/local.js';
import { SecretsManagerSigningKey } from '../../functions/adapters/signing-key/secrets-manager.js';
import { ConfigError, UpstreamError } from '../../functions/core/errors.js';
import type { SigningKey } from '../../functions/core/ports.js';

describe('SigningKey adapters', () => {
  it('serves the local key file through the port, created once and reused', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sentinel-key-'));
    const key: SigningKey = new LocalSigningKey({ out });
    const first = await key.load();
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await key.load()).equals(first)).toBe(true);
    expect((await new LocalSigningKey({ out }).load()).equals(first)).toBe(true);
  });

  it('keeps the local configuration errors (an s3:// out without a key source)', async () => {
    await expect(new LocalSigningKey({ out: 's3://bucket/p' }).load()).rejects.toBeInstanceOf(ConfigError);
  });

  it('calls Secrets Manager once for many loads', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand).resolves({ SecretString: 'a-long-enough-signing-key\n' });
    const key = new SecretsManagerSigningKey(
      client,
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:k',
    );
    const loads = await Promise.all([key.load(), key.load(), key.load()]);
    expect(loads.map((b) => b.toString())).toEqual(Array(3).fill('a-long-enough-signing-key'));
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reports an unavailable Secrets Manager as retry-later and tries again on the next load', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock
      .on(GetSecretValueCommand)
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'InternalServiceError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
          message: 'boom',
        }),
      )
      .resolves({ SecretString: 'a-long-enough-signing-key' });
    const key = new SecretsManagerSigningKey(client, 'sentinel/signing-key');
    await expect(key.load()).rejects.toBeInstanceOf(UpstreamError);
    expect((await key.load()).toString()).toBe('a-long-enough-signing-key');
  });

  it('treats access denied as a configuration error with the IAM fix', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    mockClient(client)
      .on(GetSecretValueCommand)
      .rejects(
        new SecretsManagerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'not authorized',
        }),
      );
    const failure = await new SecretsManagerSigningKey(client, 'sentinel/signing-key')
      .load()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).hint).toMatch(/secretsmanager:GetSecretValue/);
  });
});
