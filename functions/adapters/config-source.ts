/**
 * The Lambda configuration (docs/configuration.md, DEPLOY.md): `SENTINEL_CONFIG` holds YAML or JSON text, or an
 * `s3://bucket/key` URI of such a file read through the injected S3 client. Either way it is
 * validated by the one schema (`parseConfig`), so a bad key fails the cold start with its path
 * named (ConfigError), never a stack trace.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type SentinelConfig } from '../core/config.js';
import { ConfigError, UpstreamError } from '../core/errors.js';
import { awsErrorName, describeAwsError, httpStatusOf, isThrottlingOrServerError } from './aws/retry.js';
import { parseS3ObjectUri } from './blob-store/s3.js';

export const CONFIG_VARIABLE = 'SENTINEL_CONFIG';

const HINT = `${CONFIG_VARIABLE} holds the configuration as YAML or JSON text, or an s3://bucket/key URI of such a file`;

export async function loadConfigSource(value: string, s3?: S3Client): Promise<SentinelConfig> {
  const trimmed = value.trim();
  if (/^s3:\/\//i.test(trimmed)) {
    const source = `${CONFIG_VARIABLE} ${trimmed}`;
    if (!s3) throw new ConfigError(`${source}: no S3 client to read it with`, { hint: HINT });
    return parseConfigText(await readS3Text(trimmed, s3), source);
  }
  return parseConfigText(trimmed, CONFIG_VARIABLE);
}

/** YAML or JSON text (JSON is read by the YAML parser too) → validated config; empty text = all defaults. */
export function parseConfigText(text: string, source: string): SentinelConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
      hint: HINT,
    });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(
      `${source}: the top level must be a mapping of keys, not ${JSON.stringify(doc).slice(0, 60)}`,
      {
        hint: HINT,
      },
    );
  }
  return parseConfig(doc, source);
}

async function readS3Text(uri: string, s3: S3Client): Promise<string> {
  const { bucket, key } = parseS3ObjectUri(uri, CONFIG_VARIABLE);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    const what = `${CONFIG_VARIABLE} ${uri} cannot be read: ${describeAwsError(error)}`;
    // Throttling or an S3 outage: the next invocation may succeed. Anything else is the deployment's.
    if (isThrottlingOrServerError(error, new Set(['SlowDown'])))
      throw new UpstreamError(what, { cause: error });
    const missing = awsErrorName(error) === 'NoSuchKey' || httpStatusOf(error) === 404;
    throw new ConfigError(what, {
      cause: error,
      hint: missing
        ? 'upload the configuration file there or correct the URI'
        : 'check the function may read the object (s3:GetObject, and kms:Decrypt if SSE-KMS)',
    });
  }
}
