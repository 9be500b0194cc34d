/** The owners mapping read from S3 on the local moto server, parsed exactly like the local file. */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadS3OwnerDirectory } from '../../functions/adapters/owners/s3.js';
import { BadInputError, ConfigError } from '../../functions/core/errors.js';
import { motoS3, uniqueName } from '../fixtures/moto.js';

const s3 = motoS3();
const bucket = uniqueName('sentinel-owners');
const FINOPS = 'finops@example.com';

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'config/owners.csv',
      Body: 'account_id,owner_email,account_name,team,cc\n012345678901,ana@example.com,"Payments, EU",pay,a@example.com;b@example.com\n',
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'config/owners.yaml',
      Body: '"111111111111":\n  owner_email: lee@example.com\n  account_name: R&D — Zürich\n',
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'config/bad.csv',
      Body: 'account_id,owner_email\n111111111111,nobody\n',
    }),
  );
});

describe('owners mapping on S3 (moto)', () => {
  it('reads a CSV mapping and gives FinOps the accounts it lacks', async () => {
    const owners = await loadS3OwnerDirectory(`s3://${bucket}/config/owners.csv`, FINOPS, s3);
    expect(owners.lookup('012345678901')).toEqual({
      accountId: '012345678901',
      ownerEmail: 'ana@example.com',
      accountName: 'Payments, EU',
      team: 'pay',
      cc: ['a@example.com', 'b@example.com'],
      routed: true,
    });
    expect(owners.lookup('999999999999')).toMatchObject({ ownerEmail: FINOPS, routed: false });
  });

  it('reads a YAML mapping by its .yaml key', async () => {
    const owners = await loadS3OwnerDirectory(`s3://${bucket}/config/owners.yaml`, FINOPS, s3);
    expect(owners.lookup('111111111111')).toMatchObject({
      ownerEmail: 'lee@example.com',
      accountName: 'R&D — Zürich',
    });
  });

  it('names the S3 URI and row of a bad address', async () => {
    await expect(loadS3OwnerDirectory(`s3://${bucket}/config/bad.csv`, FINOPS, s3)).rejects.toThrow(
      `owners file s3://${bucket}/config/bad.csv line 2: owner_email 'nobody'`,
    );
  });

  it('rejects a mapping that does not exist as bad input (exit 2), and a bucket-only URI as config', async () => {
    const missing = await loadS3OwnerDirectory(`s3://${bucket}/config/none.csv`, FINOPS, s3).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(BadInputError);
    expect((missing as Error).message).toBe(
      `owners file s3://${bucket}/config/none.csv does not exist (NoSuchKey)`,
    );
    await expect(loadS3OwnerDirectory(`s3://${bucket}`, FINOPS, s3)).rejects.toBeInstanceOf(ConfigError);
  });
});
