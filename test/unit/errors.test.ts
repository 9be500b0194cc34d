/** Errors keep their causes, and every failed run says so on the bus in one shape (docs/events.md). */
import { describe, expect, it } from 'vitest';
import { detect } from '../../functions/core/commands/detect.js';
import { parseConfig } from '../../functions/core/config.js';
import { describeError, UpstreamError } from '../../functions/core/errors.js';
import { silentLogger } from '../../functions/core/log.js';
import { fixedClock } from '../../functions/core/ports.js';
import { MemoryBlobStore, RecordingBus } from '../fixtures/case-ports.js';

describe('describeError', () => {
  it("names the causes under an error, each once, and our error's fix", () => {
    const provider = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const error = new UpstreamError('S3 put of cases/a.json failed', {
      cause: provider,
      hint: 'the next run retries it',
    });
    expect(describeError(error)).toBe(
      'S3 put of cases/a.json failed\n  cause: ThrottlingException: Rate exceeded\n  fix: the next run retries it',
    );
  });

  it('leaves out a cause whose words the message already holds, and a validation library’s own error', () => {
    const inner = new Error('disk full');
    expect(describeError(new UpstreamError('write failed: disk full', { cause: inner }))).toBe(
      'write failed: disk full',
    );
    let zod: unknown;
    try {
      parseConfig({ engine: 'x' });
    } catch (e) {
      zod = e;
    }
    expect(describeError(zod)).not.toContain('cause:');
  });
});

describe('a failed manual detect', () => {
  it('writes its run record and publishes Run Failed with it, as every door does', async () => {
    const store = new MemoryBlobStore();
    const bus = new RecordingBus();
    const failure = new UpstreamError('the engine stopped', { cause: new Error('connection reset') });
    await expect(
      detect(
        {
          detect: async () => {
            throw failure;
          },
          store,
          events: bus,
          clock: fixedClock('2026-03-03T08:00:00Z'),
          log: silentLogger(),
        },
        parseConfig({}),
        { asOfDays: ['2026-03-01'], detectors: ['runaway-inference'] },
      ),
    ).rejects.toBe(failure);
    expect(bus.events.map((e) => e.detailType)).toEqual(['Run Failed']);
    const detail = bus.events[0]!.detail as { outcome: string; command: string; error: string };
    expect(detail).toMatchObject({ outcome: 'failed', command: 'detect' });
    expect(detail.error).toContain('cause: connection reset');
    expect((await store.list('runs/')).length).toBe(1);
  });
});
