/**
 * The owners mapping read from S3 (`owners: s3://bucket/owners.csv|yaml`, docs/emails.md), parsed like the
 * local file. Kept apart from owners/file.ts so a local run never loads the S3 client.
 * A mapping that does not exist is bad input (exit 2) naming the URI, like a missing local file.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BadInputError, UpstreamError } from '../../core/errors.js';
import { awsErrorName, describeAwsError, httpStatusOf } from '../aws/retry.js';
import { parseS3ObjectUri } from '../blob-store/s3.js';
import { type MappedOwnerDirectory, parseOwnerMapping } from './file.js';

export async function loadS3OwnerDirectory(
  uri: string,
  finops: string,
  s3: S3Client,
): Promise<MappedOwnerDirectory> {
  const { bucket, key } = parseS3ObjectUri(uri, 'owners');
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'NoSuchKey' || name === 'NoSuchBucket' || httpStatusOf(error) === 404) {
      throw new BadInputError(`owners file ${uri} does not exist (${name ?? 'HTTP 404'})`, {
        cause: error,
        hint: 'upload the CSV or YAML mapping there, or set owners: null to send every case to FinOps',
      });
    }
    throw new UpstreamError(`owners file ${uri} cannot be read: ${describeAwsError(error)}`, {
      cause: error,
      hint: 'check the function may read the object (s3:GetObject)',
    });
  }
  return parseOwnerMapping(text, uri, finops);
}
