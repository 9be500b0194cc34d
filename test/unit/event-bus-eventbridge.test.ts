/** EventBridgeBus on the SDK mock: batching, partial failures and throttling that moto never produces. */
import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { EventBridgeBus, EventPublishError } from '../../functions/adapters/event-bus/eventbridge.js';
import { BadInputError } from '../../functions/core/errors.js';
import { busEvent } from '../fixtures/event-bus-contract.js';

function busWithMock(options: ConstructorParameters<typeof EventBridgeBus>[1] = {}) {
  const client = new EventBridgeClient({ region: 'eu-west-1' });
  const mock = mockClient(client);
  const waits: number[] = [];
  const bus = new EventBridgeBus(client, {
    ...options,
    retry: { sleep: async (ms) => void waits.push(ms), random: () => 1, ...options.retry },
  });
  const sentIds = () =>
    mock
      .commandCalls(PutEventsCommand)
      .map((c) =>
        (c.args[0].input.Entries ?? []).map((e) => (JSON.parse(e.Detail!) as { event_id: string }).event_id),
      );
  return { mock, bus, waits, sentIds };
}

const ok = (n: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: n }, (_, i) => ({ EventId: `eb-${i}` })),
});
const events = (n: number) =>
  Array.from({ length: n }, (_, i) => busEvent(`e${i}`, 'Case Updated', { n: i }));

describe('EventBridgeBus (SDK mock)', () => {
  it('sends batches of at most 10 entries with our source, detail-type, time and event_id', async () => {
    const { mock, bus, sentIds } = busWithMock({ busName: 'finops-bus' });
    mock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    await bus.publish(events(25));
    expect(sentIds().map((ids) => ids.length)).toEqual([10, 10, 5]);
    const first = mock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(first).toEqual({
      Source: 'ai-spend-sentinel',
      DetailType: 'Case Updated',
      Time: new Date('2026-03-03T06:00:00.000Z'),
      EventBusName: 'finops-bus',
      Detail: JSON.stringify({
        case_key: 'abc123',
        state: 'open',
        account_name: 'R&D <lab> — Zürich ✓',
        n: 0,
        event_id: 'e0',
      }),
    });
  });

  it('leaves EventBusName out for the default bus', async () => {
    const { mock, bus } = busWithMock({ busName: 'default' });
    mock.on(PutEventsCommand).resolves(ok(1));
    await bus.publish(events(1));
    expect(mock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).not.toHaveProperty(
      'EventBusName',
    );
  });

  it('starts a new batch before 256 KB', async () => {
    const { mock, bus, sentIds } = busWithMock();
    mock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const big = Array.from({ length: 4 }, (_, i) =>
      busEvent(`big${i}`, 'Case Opened', { series: 'x'.repeat(100_000) }),
    );
    await bus.publish(big);
    expect(sentIds()).toEqual([
      ['big0', 'big1'],
      ['big2', 'big3'],
    ]);
  });

  it('refuses, before sending anything, an event over 256 KB or with a detail that is not an object', async () => {
    const { mock, bus } = busWithMock();
    await expect(
      bus.publish([busEvent('huge', 'Case Opened', { series: 'x'.repeat(270_000) })]),
    ).rejects.toThrow(/huge \(Case Opened\) is \d+ bytes, over EventBridge's 256 KB/);
    await expect(
      bus.publish([{ ...busEvent('list', 'Case Opened'), detail: [1, 2] }]),
    ).rejects.toBeInstanceOf(BadInputError);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('re-sends only the failed entries with backoff until they get in', async () => {
    const { mock, bus, waits, sentIds } = busWithMock({ retry: { baseMs: 50 } });
    mock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'eb-0' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'eb-2' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' },
        ],
      })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'eb-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' }],
      })
      .resolves(ok(1));
    await bus.publish(events(4));
    expect(sentIds()).toEqual([['e0', 'e1', 'e2', 'e3'], ['e1', 'e3'], ['e3']]);
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after the bounded attempts and names every event still not published', async () => {
    const { mock, bus } = busWithMock({ retry: { attempts: 3 } });
    mock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((_, i) =>
        i === input.Entries.length - 1
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }
          : { EventId: `eb-${i}` },
      ),
    }));
    const failure = await bus.publish(events(12)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EventPublishError);
    expect((failure as EventPublishError).failed).toEqual([
      { id: 'e9', detailType: 'Case Updated', errorCode: 'InternalFailure', errorMessage: 'try later' },
      { id: 'e11', detailType: 'Case Updated', errorCode: 'InternalFailure', errorMessage: 'try later' },
    ]);
    expect((failure as Error).message).toMatch(
      /2 event\(s\) not published: e9 \(Case Updated\): InternalFailure try later; e11/,
    );
    // Each attempt loses its last entry: e0–e9, then e9 twice; e10–e11, then e11 twice.
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(6);
  });

  it('does not retry an entry EventBridge refuses as malformed', async () => {
    const { mock, bus } = busWithMock();
    mock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'eb-0' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    });
    const failure = await bus.publish(events(2)).catch((e: unknown) => e);
    expect((failure as EventPublishError).failed.map((f) => [f.id, f.errorCode])).toEqual([
      ['e1', 'MalformedDetail'],
    ]);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('leaves a throttled request to the SDK client, and reports the batch and the rest as unsent', async () => {
    const throttled = new EventBridgeServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    const { mock, bus } = busWithMock();
    mock.on(PutEventsCommand).resolvesOnce(ok(10)).rejects(throttled);
    const failure = await bus.publish(events(15)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EventPublishError);
    expect((failure as EventPublishError).failed.map((f) => f.id)).toEqual([
      'e10',
      'e11',
      'e12',
      'e13',
      'e14',
    ]);
    expect((failure as Error).cause).toBe(throttled);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});
