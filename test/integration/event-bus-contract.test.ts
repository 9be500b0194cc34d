/**
 * The EventBus contract on the JSON-lines file and on EventBridge against the local moto server:
 * per test a bus, a rule matching our source and an SQS queue as its target, read back as a
 * consumer would. EventBridge-only behaviour (the default bus, our id beside EventBridge's) below.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { EventBridgeBus, EventPublishError } from '../../functions/adapters/event-bus/eventbridge.js';
import { JsonlEventBus, type JsonlEventLine } from '../../functions/adapters/event-bus/jsonl.js';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import { busEvent, eventBusContract, type ReceivedEvent } from '../fixtures/event-bus-contract.js';
import { motoEventBridge, motoSqs, uniqueName } from '../fixtures/moto.js';

eventBusContract('JsonlEventBus', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'sentinel-events-')), 'events.jsonl');
  return {
    bus: new JsonlEventBus(path),
    received: async () => {
      const text = await readFile(path, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const line = JSON.parse(l) as JsonlEventLine;
          return {
            id: line.id,
            source: line.source,
            detailType: line['detail-type'],
            time: line.time,
            detail: line.detail,
          };
        });
    },
  };
});

const eventBridge = motoEventBridge();
const sqs = motoSqs();

/** What a rule target receives: EventBridge's envelope. */
interface DeliveredEnvelope {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: Record<string, unknown> & { event_id?: string };
}

/** An SQS queue that a rule on `busName` (matching `pattern`) delivers to; `drain` reads it as a consumer. */
async function queueForRule(busName: string, pattern: Record<string, unknown>) {
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sentinel-events') }));
  const queueUrl = queue.QueueUrl!;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const rule = uniqueName('to-queue');
  await eventBridge.send(
    new PutRuleCommand({ Name: rule, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: rule,
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: attributes.Attributes!.QueueArn! }],
    }),
  );
  const seen: DeliveredEnvelope[] = [];
  return async function drain(expected: number): Promise<DeliveredEnvelope[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = page.Messages ?? [];
      seen.push(...messages.map((m) => JSON.parse(m.Body!) as DeliveredEnvelope));
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
        continue;
      }
      if (seen.length >= expected || Date.now() > deadline) return seen;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
}

/** EventBridge delivers time at second precision (`2026-03-03T06:00:00Z`), on AWS and on moto. */
const isoTime = (time: string) => new Date(time).toISOString();

const asReceived = (envelope: DeliveredEnvelope): ReceivedEvent => {
  const { event_id, ...detail } = envelope.detail;
  return {
    id: event_id ?? '(no event_id)',
    source: envelope.source,
    detailType: envelope['detail-type'],
    time: isoTime(envelope.time),
    detail,
  };
};

eventBusContract('EventBridgeBus on moto (rule → SQS)', async () => {
  const busName = uniqueName('sentinel-bus');
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const drain = await queueForRule(busName, { source: [EVENT_SOURCE] });
  return {
    bus: new EventBridgeBus(eventBridge, { busName }),
    received: async (expected) => (await drain(expected)).map(asReceived),
  };
});

describe('EventBridgeBus on moto', () => {
  it('publishes to the default bus when bus_name is default, our id beside EventBridge’s own', async () => {
    const probe = uniqueName('probe');
    const drain = await queueForRule('default', { source: [EVENT_SOURCE], detail: { probe: [probe] } });
    await new EventBridgeBus(eventBridge, { busName: 'default' }).publish([
      busEvent('evt-default-1', 'Detection Run Completed', { probe }),
    ]);
    const [delivered, ...rest] = await drain(1);
    expect(rest).toEqual([]);
    expect(delivered?.detail.event_id).toBe('evt-default-1');
    expect(delivered?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivered?.id).not.toBe('evt-default-1');
    expect(delivered?.['detail-type']).toBe('Detection Run Completed');
  });

  it('reports every event as not published when the bus does not exist', async () => {
    const bus = new EventBridgeBus(eventBridge, {
      busName: uniqueName('missing-bus'),
      retry: { attempts: 1 },
    });
    const failure = await bus
      .publish([busEvent('evt-a', 'Case Opened'), busEvent('evt-b', 'Case Resolved')])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EventPublishError);
    expect((failure as EventPublishError).failed.map((f) => [f.id, f.errorCode])).toEqual([
      ['evt-a', 'RequestFailed'],
      ['evt-b', 'RequestFailed'],
    ]);
    expect((failure as Error).message).toMatch(/ResourceNotFoundException/);
  });
});
