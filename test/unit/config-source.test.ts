/** SENTINEL_CONFIG as YAML or JSON text, validated by the one schema; s3:// handled in the moto test. */
import { describe, expect, it } from 'vitest';
import { loadConfigSource } from '../../functions/adapters/config-source.js';
import { defaultConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';

const failureOf = async (value: string): Promise<ConfigError> => {
  const outcome = await loadConfigSource(value).catch((e: unknown) => e);
  expect(outcome).toBeInstanceOf(ConfigError);
  return outcome as ConfigError;
};

describe('SENTINEL_CONFIG', () => {
  it('reads YAML text over the defaults', async () => {
    const config = await loadConfigSource(
      'engine: athena\nout: s3://state-bucket/sentinel\nnotify:\n  from: sentinel@acme.example\n',
    );
    expect(config.engine).toBe('athena');
    expect(config.out).toBe('s3://state-bucket/sentinel');
    expect(config.notify.from).toBe('sentinel@acme.example');
    expect(config.notify.follow_up_hours).toBe(defaultConfig().notify.follow_up_hours);
  });

  it('reads JSON text', async () => {
    const config = await loadConfigSource('{"engine":"athena","athena":{"workgroup":"finops"}}');
    expect(config.athena.workgroup).toBe('finops');
  });

  it('takes empty text as all defaults', async () => {
    expect(await loadConfigSource('  ')).toEqual(defaultConfig());
  });

  it('names an unknown key', async () => {
    const failure = await failureOf('notify:\n  form: sentinel@acme.example\n');
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure.message).toMatch(/^SENTINEL_CONFIG is not valid:\n {2}notify: unknown key 'form'; the keys here are /);
  });

  it('names the path of a value out of range', async () => {
    const failure = await failureOf('{"detectors":{"runaway-inference":{"k":0}}}');
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure.message).toContain('detectors.runaway-inference.k');
  });

  it('refuses text that is not YAML or JSON, or not a mapping, saying what the variable holds', async () => {
    const broken = await failureOf('{"engine": "athena"');
    expect(broken).toBeInstanceOf(ConfigError);
    expect(broken.message).toMatch(/^SENTINEL_CONFIG is not valid YAML or JSON/);
    const path = await failureOf('./sentinel.yaml');
    expect(path.message).toMatch(/top level must be a mapping/);
    expect(path.hint).toMatch(/s3:\/\/bucket\/key/);
  });

  it('needs an S3 client for an s3:// URI', async () => {
    const failure = await failureOf('s3://state-bucket/config/sentinel.yaml');
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure.message).toBe(
      'SENTINEL_CONFIG s3://state-bucket/config/sentinel.yaml: no S3 client to read it with',
    );
  });
});
