/** S3BlobStore error mapping and paging on the SDK mock: the answers moto never gives. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { parseS3Uri, S3BlobStore } from '../../functions/adapters/blob-store/s3.js';
import { ConfigError, ConflictError, UpstreamError } from '../../functions/core/errors.js';

const s3Error = (name: string, status: number, attempts = 1) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts },
    message: name,
  });

/** A GetObject answer holding `body` at version `etag`. */
const object = (body: string, etag: string) =>
  ({ Body: { transformToString: async () => body }, ETag: etag }) as never;

function storeWithMock() {
  const client = new S3Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  return { mock, store: new S3BlobStore(client, 's3://state-bucket/sentinel') };
}

describe('S3BlobStore (SDK mock)', () => {
  it('parses s3://bucket/prefix with or without a trailing slash, and refuses anything else', () => {
    expect(parseS3Uri('s3://state-bucket/sentinel')).toEqual({ bucket: 'state-bucket', prefix: 'sentinel/' });
    expect(parseS3Uri('s3://state-bucket/a/b/')).toEqual({ bucket: 'state-bucket', prefix: 'a/b/' });
    expect(parseS3Uri('s3://state-bucket')).toEqual({ bucket: 'state-bucket', prefix: '' });
    expect(() => parseS3Uri('https://state-bucket/x')).toThrow(ConfigError);
    expect(() => parseS3Uri('s3://Bad_Bucket/x')).toThrow(/not an S3 URI/);
  });

  it('maps 409 ConditionalRequestConflict on a conditional put to ConflictError', async () => {
    const { mock, store } = storeWithMock();
    mock.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    await expect(store.put('cases/a.json', 'x', { ifMatch: '"v1"' })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.put('cases/a.json', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('maps If-Match on a missing key to ConflictError whether S3 answers 404 or 412', async () => {
    const { mock, store } = storeWithMock();
    mock
      .on(PutObjectCommand)
      .rejectsOnce(s3Error('NoSuchKey', 404))
      .rejectsOnce(s3Error('PreconditionFailed', 412));
    await expect(store.put('cases/a.json', 'x', { ifMatch: '"v1"' })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.put('cases/a.json', 'x', { ifMatch: '"v1"' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('takes a 412 on a conditional put the SDK sent twice as its own write when the key holds its body', async () => {
    const { mock, store } = storeWithMock();
    // The first attempt landed but its answer was lost (a reset connection); the retry met its own write.
    mock.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412, 2));
    mock.on(GetObjectCommand).resolves(object('mine', '"e-mine"'));
    expect(await store.put('notifications/m.json', 'mine', { ifNoneMatch: '*' })).toBe('"e-mine"');
    expect(await store.put('cases/a.json', 'mine', { ifMatch: '"e0"' })).toBe('"e-mine"');
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('keeps a 412 a conflict when the key holds another body, or when the put was sent once', async () => {
    const { mock, store } = storeWithMock();
    mock.on(GetObjectCommand).resolves(object('theirs', '"e-theirs"'));
    mock.on(PutObjectCommand).rejectsOnce(s3Error('PreconditionFailed', 412, 2));
    await expect(store.put('cases/a.json', 'mine', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    mock.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412, 1));
    await expect(store.put('cases/a.json', 'theirs', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    // Sent once: the 412 is someone else's write, no read needed.
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('sends If-None-Match / If-Match and the full key under the prefix', async () => {
    const { mock, store } = storeWithMock();
    mock.on(PutObjectCommand).resolves({ ETag: '"e2"' });
    expect(await store.put('cases/a.json', 'x', { ifMatch: '"e1"' })).toBe('"e2"');
    await store.put('notifications/m.json', 'y', { ifNoneMatch: '*' });
    await store.put('findings/f.jsonl', 'z');
    const inputs = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.Bucket, i.Key, i.IfMatch, i.IfNoneMatch, i.ContentType])).toEqual([
      ['state-bucket', 'sentinel/cases/a.json', '"e1"', undefined, 'application/json; charset=utf-8'],
      ['state-bucket', 'sentinel/notifications/m.json', undefined, '*', 'application/json; charset=utf-8'],
      [
        'state-bucket',
        'sentinel/findings/f.jsonl',
        undefined,
        undefined,
        'application/x-ndjson; charset=utf-8',
      ],
    ]);
  });

  it('pages ListObjectsV2 with the continuation token and returns relative keys, sorted', async () => {
    const { mock, store } = storeWithMock();
    mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 't2',
        Contents: [{ Key: 'sentinel/cases/b.json' }],
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't2' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'sentinel/cases/a.json' }] });
    expect(await store.list('cases/')).toEqual(['cases/a.json', 'cases/b.json']);
    expect(mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'sentinel/cases/',
      'sentinel/cases/',
    ]);
  });

  it('treats a 412 on a conditional delete of a key that is gone as done, and of a present key as a conflict', async () => {
    const { mock, store } = storeWithMock();
    mock.on(DeleteObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    mock.on(HeadObjectCommand).rejectsOnce(s3Error('NotFound', 404)).resolves({ ETag: '"other"' });
    await store.delete('locks/notify.json', { ifMatch: '"mine"' });
    await expect(store.delete('locks/notify.json', { ifMatch: '"mine"' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input.IfMatch).toBe('"mine"');
  });

  it('wraps any other S3 failure in UpstreamError naming the bucket and key, with the cause', async () => {
    const { mock, store } = storeWithMock();
    const denied = s3Error('AccessDenied', 403);
    mock.on(PutObjectCommand).rejects(denied);
    const failure = await store.put('cases/a.json', 'x').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).not.toBeInstanceOf(ConflictError);
    expect((failure as Error).message).toBe(
      'S3 PutObject s3://state-bucket/sentinel/cases/a.json failed: AccessDenied (HTTP 403): AccessDenied',
    );
    expect((failure as Error).cause).toBe(denied);
  });
});
