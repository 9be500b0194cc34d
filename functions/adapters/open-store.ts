/** The BlobStore behind `out`: a local directory (the S3 adapter comes with the AWS deployment). */
import type { SentinelConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { BlobStore } from '../core/ports.js';
import { LocalDirBlobStore } from './blob-store/local-dir.js';

export function openStore(config: SentinelConfig): BlobStore {
  if (config.out.startsWith('s3://')) {
    throw new ConfigError(
      `out ${config.out}: the S3 store ships with the AWS deployment, not in this build`,
      {
        hint: 'use a local directory for --out',
      },
    );
  }
  return new LocalDirBlobStore(config.out);
}
