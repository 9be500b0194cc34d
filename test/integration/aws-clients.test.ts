/**
 * The composition root's AWS clients (docs/decisions/012-aws-clients.md) against moto, through a proxy
 * that injects what AWS does and moto never does: a 503 SlowDown, a throttled PutEvents, a
 * connection reset after a conditional write landed, a 301 from a bucket in another region. The
 * adapters are opened the way a handler opens them, with the clients pointed at the proxy by the
 * SDK's own environment.
 */

import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentinelEnvironment } from '../../functions/adapters/environment.js';
import { openNotifyPorts, openStore } from '../../functions/adapters/open-ports.js';
import { parseConfig } from '../../functions/core/config.js';
import { ConflictError } from '../../functions/core/errors.js';
import { silentLogger } from '../../functions/core/log.js';
import type { BlobStore } from '../../functions/core/ports.js';
import { fixedClock } from '../../functions/core/ports.js';
import { type FaultyProxy, faultTimes, faultyProxy, type ProxiedRequest } from '../fixtures/faulty-proxy.js';
import { awsEnvironmentOnMoto, motoEndpoint, motoEventBridge, motoS3, uniqueName } from '../fixtures/moto.js';

const bucket = uniqueName('sentinel-clients');
const ownersBucket = uniqueName('sentinel-owners-eu');
const busName = uniqueName('sentinel-bus');
let proxy: FaultyProxy;
let store: BlobStore;

const slowDown = {
  answer: 503,
  headers: { 'content-type': 'application/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
};
const isPut = (key: string) => (r: ProxiedRequest) => r.method === 'PUT' && r.url.includes(`/${key}`);
const puts = (key: string) => proxy.seen.filter((s) => isPut(key)(s.request)).length;

beforeAll(async () => {
  proxy = await faultyProxy(motoEndpoint());
  awsEnvironmentOnMoto(proxy.url);
  await motoS3().send(new CreateBucketCommand({ Bucket: bucket }));
  const eu = new S3Client({
    endpoint: motoEndpoint(),
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await eu.send(
    new CreateBucketCommand({
      Bucket: ownersBucket,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
  await eu.send(
    new PutObjectCommand({
      Bucket: ownersBucket,
      Key: 'owners.csv',
      Body: 'account_id,owner_email\n111111111111,dana.owner@example.com\n',
    }),
  );
  await motoEventBridge().send(new CreateEventBusCommand({ Name: busName }));
  store = await openStore(parseConfig({ out: `s3://${bucket}/state` }), sentinelEnvironment(process.env));
});

afterAll(async () => {
  await proxy?.close();
});

describe('S3 through the composition root (retries on)', () => {
  it('retries a 503 SlowDown and carries on', async () => {
    proxy.plan = faultTimes(isPut('state/slow.json'), slowDown);
    await store.put('slow.json', '{"a":1}\n');
    expect((await store.get('slow.json'))?.body).toBe('{"a":1}\n');
    expect(puts('state/slow.json')).toBe(2);
  });

  it('takes a create-only write whose answer was lost as written, not as a conflict', async () => {
    proxy.plan = faultTimes(isPut('state/claims/m1.json'), { resetAfterForward: true });
    const version = await store.put('claims/m1.json', '{"status":"sending"}\n', { ifNoneMatch: '*' });
    expect((await store.get('claims/m1.json'))?.version).toBe(version);
    // The first attempt landed; the retry met it (412) and read it back.
    expect(puts('state/claims/m1.json')).toBe(2);
  });

  it('takes an if-match write whose answer was lost as written, not as a conflict', async () => {
    const first = await store.put('cases/c1.json', '{"version":1}\n', { ifNoneMatch: '*' });
    proxy.plan = faultTimes(isPut('state/cases/c1.json'), { resetAfterForward: true });
    const second = await store.put('cases/c1.json', '{"version":2}\n', { ifMatch: first });
    expect(second).not.toBe(first);
    expect(await store.get('cases/c1.json')).toEqual({ body: '{"version":2}\n', version: second });
  });

  it('still reports a conflict when the key holds another writer’s body after a retry', async () => {
    await store.put('claims/m2.json', '{"by":"them"}\n', { ifNoneMatch: '*' });
    proxy.plan = faultTimes(isPut('state/claims/m2.json'), slowDown);
    await expect(store.put('claims/m2.json', '{"by":"us"}\n', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(puts('state/claims/m2.json')).toBe(3);
  });
});

describe('the notify ports through the composition root', () => {
  it('reads an owners file in a bucket of another region (S3 answers 301 with the region)', async () => {
    proxy.plan = (r) =>
      r.url.startsWith(`/${ownersBucket}/`) && r.signedRegion !== 'eu-west-1'
        ? {
            answer: 301,
            headers: { 'x-amz-bucket-region': 'eu-west-1', 'content-type': 'application/xml' },
            body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Bucket>${ownersBucket}</Bucket></Error>`,
          }
        : undefined;
    const ports = await openNotifyPorts(
      parseConfig({
        out: `s3://${bucket}/state`,
        owners: `s3://${ownersBucket}/owners.csv`,
        notify: { transport: 'ses', from: 'sentinel@example.com', finops: 'finops@example.com' },
        events: { transport: 'eventbridge', bus_name: busName },
      }),
      {
        clock: fixedClock('2026-03-03T08:00:00Z'),
        log: silentLogger(),
        environment: sentinelEnvironment(process.env),
      },
    );
    expect(ports.owners.lookup('111111111111')).toMatchObject({
      ownerEmail: 'dana.owner@example.com',
      routed: true,
    });
    const owners = proxy.seen.filter((s) => s.request.url.startsWith(`/${ownersBucket}/`));
    expect(owners.map((s) => s.request.signedRegion)).toEqual(['us-east-1', 'eu-west-1']);

    // A throttled PutEvents is the SDK's to retry: the event gets in.
    proxy.plan = faultTimes((r) => r.target === 'AWSEvents.PutEvents', {
      answer: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' },
      body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
    });
    await ports.events.publish([
      {
        id: 'clients-e1',
        detailType: 'Case Updated',
        time: '2026-03-03T08:00:00.000Z',
        detail: { case_key: 'c1' },
      },
    ]);
    expect(proxy.seen.filter((s) => s.request.target === 'AWSEvents.PutEvents')).toHaveLength(2);
  });
});
