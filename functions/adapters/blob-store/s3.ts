/**
 * BlobStore on S3 under `s3://bucket/prefix/` (docs/storage.md). The version is the object's ETag;
 * conditional writes use S3's own preconditions, so concurrent runs on different machines never
 * lose an update:
 * - create-only: `PutObject` with `If-None-Match: *`;
 * - if-match: `PutObject` / `DeleteObject` with `If-Match: <etag>`.
 * A failed precondition is 412 `PreconditionFailed`; a concurrent conditional request on the same
 * key is 409 `ConditionalRequestConflict`; If-Match on a key that is gone is 404 `NoSuchKey`. All
 * three mean "someone else changed it": ConflictError, and the caller re-reads. Anything else is
 * an UpstreamError naming the bucket and key.
 * The S3 client is injected (built once per cold start by the composition root) and retries
 * transient failures itself (a 503, a reset connection). A conditional write it sent more than once
 * may have landed on an earlier attempt whose answer was lost: before such a write's 412 (or, for
 * If-Match, 404) is taken as a conflict the key is read back, and finding our own body there means
 * the write succeeded (docs/storage.md; docs/decisions/012-aws-clients.md).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ConfigError, ConflictError, UpstreamError } from '../../core/errors.js';
import type { BlobStore, PutCondition, StoredBlob } from '../../core/ports.js';
import { awsErrorName, describeAwsError, httpStatusOf } from '../aws/retry.js';

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
}

/** `s3://bucket` or `s3://bucket/some/prefix[/]` → bucket and a prefix ending in '/'. */
export function parseS3Uri(uri: string, what = 'out'): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(uri.trim());
  const bucket = match?.[1];
  if (!match || !bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`${what} ${uri} is not an S3 URI`, {
      hint: 'write s3://<bucket>/<prefix>, e.g. s3://my-finops-state/sentinel',
    });
  }
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

/** S3 key names of an object: `s3://bucket/key`. */
export function parseS3ObjectUri(uri: string, what: string): { bucket: string; key: string } {
  const { bucket, prefix } = parseS3Uri(uri, what);
  if (prefix === '') {
    throw new ConfigError(`${what} ${uri} names a bucket, not an object`, {
      hint: 'write s3://<bucket>/<key>, e.g. s3://my-finops-state/owners.yaml',
    });
  }
  return { bucket, key: prefix.slice(0, -1) };
}

/** The key is absent (a missing bucket is not: that is a configuration problem, never "no case yet"). */
const isMissing = (error: unknown): boolean => {
  const name = awsErrorName(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(error) === 404;
};

/** The SDK sent the request more than once (an earlier attempt's answer was lost or refused). */
const wasRetried = (error: unknown): boolean =>
  ((error as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1) > 1;

/** 412 PreconditionFailed or 409 ConditionalRequestConflict. */
const isPreconditionLost = (error: unknown): boolean =>
  awsErrorName(error) === 'PreconditionFailed' ||
  awsErrorName(error) === 'ConditionalRequestConflict' ||
  httpStatusOf(error) === 412 ||
  httpStatusOf(error) === 409;

function contentTypeOf(key: string): string {
  if (key.endsWith('.jsonl')) return 'application/x-ndjson; charset=utf-8';
  if (key.endsWith('.json')) return 'application/json; charset=utf-8';
  return 'text/plain; charset=utf-8';
}

export class S3BlobStore implements BlobStore {
  readonly kind = 'store' as const;
  readonly bucket: string;
  readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    uri: string,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
  }

  describe(key?: string): string {
    return `s3://${this.bucket}/${this.prefix}${key ?? ''}`;
  }

  private key(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').includes('..')) {
      throw new UpstreamError(`blob key '${key}' is not a relative key`);
    }
    return `${this.prefix}${key}`;
  }

  private failed(operation: string, key: string | undefined, error: unknown): UpstreamError {
    return new UpstreamError(`S3 ${operation} ${this.describe(key)} failed: ${describeAwsError(error)}`, {
      cause: error,
      hint: 'check the bucket exists in this region and the function may read and write it',
    });
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    const Key = this.key(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      const body = (await response.Body?.transformToString('utf-8')) ?? '';
      if (!response.ETag) throw new Error('the response has no ETag');
      return { body, version: response.ETag };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.failed('GetObject', key, error);
    }
  }

  async put(key: string, body: string, condition?: PutCondition): Promise<string> {
    const Key = this.key(key);
    const ifNoneMatch = condition && 'ifNoneMatch' in condition ? '*' : undefined;
    const ifMatch = condition && 'ifMatch' in condition ? condition.ifMatch : undefined;
    let etag: string | undefined;
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: body,
          ContentType: contentTypeOf(key),
          ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
          ...(ifMatch ? { IfMatch: ifMatch } : {}),
        }),
      );
      etag = response.ETag;
    } catch (error) {
      const lost = ifNoneMatch
        ? isPreconditionLost(error)
        : ifMatch !== undefined && (isPreconditionLost(error) || isMissing(error));
      if (lost) {
        const landed = wasRetried(error) ? await this.ownWrite(key, body) : undefined;
        if (landed) return landed;
        throw new ConflictError(
          ifNoneMatch
            ? `${this.describe(key)} already exists`
            : `${this.describe(key)} changed since it was read`,
          { cause: error },
        );
      }
      throw this.failed('PutObject', key, error);
    }
    if (!etag) throw this.failed('PutObject', key, new Error('the response has no ETag'));
    return etag;
  }

  /** The version of `key` when it holds exactly `body` (our retried write landed), else undefined. */
  private async ownWrite(key: string, body: string): Promise<string | undefined> {
    const current = await this.get(key);
    return current?.body === body ? current.version : undefined;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}${prefix}`,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key?.startsWith(this.prefix)) keys.push(object.Key.slice(this.prefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failed('ListObjectsV2', prefix, error);
    }
    // S3 orders by UTF-8 bytes; sort like every other BlobStore (JS string order).
    return keys.sort();
  }

  async delete(key: string, condition?: { ifMatch: string }): Promise<void> {
    const Key = this.key(key);
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key,
          ...(condition ? { IfMatch: condition.ifMatch } : {}),
        }),
      );
    } catch (error) {
      // A conditional delete of a key that is already gone: nothing left to release.
      if (condition && isMissing(error)) return;
      if (condition && isPreconditionLost(error)) {
        // S3 may answer 412 for a missing key too; only a present, different version is a conflict.
        if (!(await this.exists(key))) return;
        throw new ConflictError(`${this.describe(key)} changed since it was read; not deleted`, {
          cause: error,
        });
      }
      throw this.failed('DeleteObject', key, error);
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.failed('HeadObject', key, error);
    }
  }
}
