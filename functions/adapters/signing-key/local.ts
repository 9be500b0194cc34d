/**
 * Link-signing key for local runs (docs/configuration.md): `SENTINEL_SIGNING_KEY`, else a random key kept in
 * `<out>/.sentinel/signing-key` (mode 0600) and reused, so links from earlier runs keep verifying.
 * Lambda reads its key from Secrets Manager in another adapter.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import type { SigningKey } from '../../core/ports.js';

const MIN_KEY_CHARS = 16;

export interface LocalSigningKeyOptions {
  /** The configured `out`: a local directory or an s3:// URI. */
  out: string;
  /** `SENTINEL_SIGNING_KEY`, when set (the door reads it: adapters/environment.ts). */
  key?: string | undefined;
}

/** The SigningKey port over `loadLocalSigningKey`: read (or created) once, then cached. */
export class LocalSigningKey implements SigningKey {
  readonly kind = 'signing-key' as const;
  private cached: Promise<Buffer> | undefined;

  constructor(private readonly options: LocalSigningKeyOptions) {}

  load(): Promise<Buffer> {
    this.cached ??= loadLocalSigningKey(this.options).catch((error: unknown) => {
      this.cached = undefined;
      throw error;
    });
    return this.cached;
  }
}

export function signingKeyPath(out: string): string {
  return join(out, '.sentinel', 'signing-key');
}

export async function loadLocalSigningKey(options: LocalSigningKeyOptions): Promise<Buffer> {
  const fromEnv = options.key;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_KEY_CHARS) {
      throw new ConfigError(`SENTINEL_SIGNING_KEY is too short to sign answer links safely`, {
        hint: `use at least ${MIN_KEY_CHARS} random characters, e.g. $(openssl rand -base64 32)`,
      });
    }
    return Buffer.from(fromEnv, 'utf8');
  }
  if (/^s3:\/\//i.test(options.out)) {
    throw new ConfigError(`no signing key for answer links with out ${options.out}`, {
      hint: 'set SENTINEL_SIGNING_KEY (locally) or SENTINEL_SIGNING_SECRET_ARN (Lambda)',
    });
  }
  const path = signingKeyPath(options.out);
  const existing = await readKeyFile(path);
  if (existing) return existing;

  await mkdir(join(options.out, '.sentinel'), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32).toString('base64url');
  try {
    // Create-only: two first runs racing both end up with the key that won.
    await writeFile(path, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`cannot create the signing key ${path}`, {
        cause: error,
        hint: 'make --out writable or set SENTINEL_SIGNING_KEY',
      });
    }
  }
  const stored = await readKeyFile(path);
  if (!stored) throw new ConfigError(`the signing key ${path} is empty`, { hint: 'delete it to regenerate' });
  return stored;
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the signing key ${path}`, { cause: error });
  }
  const key = text.trim();
  return key === '' ? undefined : Buffer.from(key, 'utf8');
}
