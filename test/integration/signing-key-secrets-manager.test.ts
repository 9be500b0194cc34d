/** SecretsManagerSigningKey against the local moto server (secrets named per test file). */
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretsManagerSigningKey } from '../../functions/adapters/signing-key/secrets-manager.js';
import { ConfigError } from '../../functions/core/errors.js';
import { motoSecrets, uniqueName } from '../fixtures/moto.js';

const secrets = motoSecrets();

async function secret(value: { SecretString: string } | { SecretBinary: Uint8Array }): Promise<string> {
  const created = await secrets.send(
    new CreateSecretCommand({ Name: uniqueName('sentinel/signing-key'), ...value }),
  );
  return created.ARN!;
}

describe('SecretsManagerSigningKey on moto', () => {
  it('reads a string secret by its ARN', async () => {
    const arn = await secret({ SecretString: 'k'.repeat(64) });
    expect((await new SecretsManagerSigningKey(secrets, arn).load()).toString('utf8')).toBe('k'.repeat(64));
  });

  it('reads a binary secret as its bytes', async () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) % 256);
    const arn = await secret({ SecretBinary: bytes });
    expect((await new SecretsManagerSigningKey(secrets, arn).load()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads the secret once per process: a rotated value shows on the next cold start', async () => {
    const arn = await secret({ SecretString: 'first-key-0123456789' });
    const key = new SecretsManagerSigningKey(secrets, arn);
    expect((await key.load()).toString()).toBe('first-key-0123456789');
    await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'second-key-0123456789' }));
    expect((await key.load()).toString()).toBe('first-key-0123456789');
    expect((await new SecretsManagerSigningKey(secrets, arn).load()).toString()).toBe(
      'second-key-0123456789',
    );
  });

  it('refuses a key shorter than 16 characters without showing it', async () => {
    const arn = await secret({ SecretString: 'tooShortKey123' });
    const failure = await new SecretsManagerSigningKey(secrets, arn).load().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain('too short');
    expect(`${(failure as Error).message} ${(failure as ConfigError).hint}`).not.toContain('tooShortKey123');
  });

  it('reports a missing secret as a configuration error naming it', async () => {
    const name = uniqueName('sentinel/no-such-secret');
    const failure = await new SecretsManagerSigningKey(secrets, name).load().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^cannot read the signing key secret ${name}: ResourceNotFoundException \\(HTTP 40\\d\\)$`),
    );
    expect((failure as ConfigError).hint).toMatch(/SENTINEL_SIGNING_SECRET_ARN/);
  });
});
