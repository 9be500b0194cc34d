/**
 * The examples in docs/examples/ are what a deployment would use: the configuration passes the one
 * schema, and the owners mapping loads with the owners adapter.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadOwnerDirectory } from '../../functions/adapters/owners/file.js';
import { parseConfig } from '../../functions/core/config.js';

const example = (name: string) => fileURLToPath(new URL(`../../docs/examples/${name}`, import.meta.url));

describe('docs/examples', () => {
  it('sentinel.yaml is a valid configuration for a deployment on AWS', () => {
    const config = parseConfig(parseYaml(readFileSync(example('sentinel.yaml'), 'utf8')), 'sentinel.yaml');
    expect(config.engine).toBe('athena');
    expect(config.out).toMatch(/^s3:\/\//);
    expect(config.owners).toMatch(/^s3:\/\/.*\.csv$/);
    expect(config.notify.transport).toBe('ses');
    expect(config.events.transport).toBe('eventbridge');
    expect(config.detectors.budget.max_uncached_input_tokens_per_day).not.toBeNull();
    expect(config.watch.source).toBe('cloudwatch');
    expect(config.kill_switch.mode).toBe('dry-run');
    expect(config.kill_switch.accounts).toHaveLength(2);
  });

  it('owners.csv loads with the owners adapter, a row with several cc addresses included', async () => {
    const owners = await loadOwnerDirectory(example('owners.csv'), 'finops@example.com');
    expect(owners.configured).toBe(true);
    expect(owners.size).toBeGreaterThanOrEqual(3);
    const ids = readFileSync(example('owners.csv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]!)
      .filter((id) => id !== '');
    const ccCounts = ids.map((id) => owners.lookup(id).cc.length);
    expect(ids.every((id) => owners.lookup(id).routed)).toBe(true);
    expect(Math.max(...ccCounts)).toBeGreaterThanOrEqual(2);
  });
});
