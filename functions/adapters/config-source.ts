/**
 * Configuration in Lambda (SPEC §12): `SENTINEL_CONFIG` holds YAML or JSON text, or an `s3://`
 * URI of such a file; validated with the one schema, so a bad key fails the cold start naming it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type SentinelConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';

export async function loadConfigSource(
  value: string | undefined,
  s3?: () => Promise<S3Client>,
): Promise<SentinelConfig> {
  if (value === undefined || value.trim() === '') {
    throw new ConfigError('SENTINEL_CONFIG is not set', {
      hint: 'the deployment sets it from its parameters; set YAML/JSON text or an s3:// URI',
    });
  }
  let text = value;
  let source = 'SENTINEL_CONFIG';
  const uri = /^s3:\/\/([^/]+)\/(.+)$/i.exec(value.trim());
  if (uri) {
    if (!s3) throw new ConfigError(`SENTINEL_CONFIG ${value}: no S3 client to read it with`);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const object = await (await s3()).send(new GetObjectCommand({ Bucket: uri[1], Key: uri[2] }));
      text = (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      throw new ConfigError(`SENTINEL_CONFIG ${value}: cannot read the file (${(error as Error).name})`, {
        cause: error,
        hint: 'check the URI and that the function role may read it',
      });
    }
    source = value.trim();
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${source}: not valid YAML/JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${source}: the top level must be a mapping of keys`);
  }
  return parseConfig(parsed, source);
}
