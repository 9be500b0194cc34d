/** SENTINEL_CONFIG as an s3:// URI, read from the local moto server. */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigSource } from '../../functions/adapters/config-source.js';
import { ConfigError } from '../../functions/core/errors.js';
import { motoS3, uniqueName } from '../fixtures/moto.js';

const s3 = motoS3();
const bucket = uniqueName('sentinel-config');

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'config/sentinel.yaml',
      Body: `engine: athena\nout: s3://${bucket}/state\nowners: s3://${bucket}/config/owners.csv\n`,
    }),
  );
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'config/bad.json', Body: '{"enigne":"athena"}' }),
  );
});

describe('SENTINEL_CONFIG from S3 (moto)', () => {
  it('reads and validates the file the URI names', async () => {
    const config = await loadConfigSource(`s3://${bucket}/config/sentinel.yaml`, s3);
    expect(config).toMatchObject({
      engine: 'athena',
      out: `s3://${bucket}/state`,
      owners: `s3://${bucket}/config/owners.csv`,
    });
  });

  it('names the URI and the bad key of an invalid file', async () => {
    const failure = await loadConfigSource(`s3://${bucket}/config/bad.json`, s3).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^SENTINEL_CONFIG s3://${bucket}/config/bad\\.json is not valid:\\n.*unknown key 'enigne'`),
    );
  });

  it('reports a missing file as a configuration error naming it', async () => {
    const failure = await loadConfigSource(`s3://${bucket}/config/none.yaml`, s3).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain(
      `SENTINEL_CONFIG s3://${bucket}/config/none.yaml cannot be read: NoSuchKey`,
    );
    expect((failure as ConfigError).hint).toMatch(/upload/);
  });
});
