/**
 * A deployment whose SENTINEL_CONFIG fails validation (DEPLOY.md): the first invocation fails with
 * the key named and no stack trace, and a `Run Failed` event reaches the deployment's bus (on moto,
 * read back through a rule into an SQS queue).
 */

import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import { baseRecord } from '../../functions/core/runs.js';
import { awsEnvironmentOnMoto, motoEventBridge, motoSqs, uniqueName } from '../fixtures/moto.js';

const sqs = motoSqs();
let queueUrl: string;
const context = { awsRequestId: 'bad-config', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

beforeAll(async () => {
  const busName = uniqueName('sentinel-bus');
  const eventBridge = motoEventBridge();
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('run-failed') }));
  queueUrl = queue.QueueUrl!;
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  await eventBridge.send(
    new PutRuleCommand({
      Name: 'failed',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE], 'detail-type': ['Run Failed'] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'failed', EventBusName: busName, Targets: [{ Id: 'q', Arn: arn }] }),
  );
  process.env.SENTINEL_CONFIG = JSON.stringify({ engine: 'duckdbx', out: 's3://somewhere/state' });
  process.env.SENTINEL_EVENT_BUS = busName;
  awsEnvironmentOnMoto();
});

describe('a refused SENTINEL_CONFIG', () => {
  it('fails the invocation naming the key, without a stack trace, and publishes Run Failed', async () => {
    const { handler } = await import('../../functions/handlers/detect.js');
    const error = (await (handler as unknown as (e: unknown, c: Context) => Promise<unknown>)(
      {},
      context,
    ).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("engine 'duckdbx' is not one of duckdb, athena, trino");
    expect(error.stack).not.toMatch(/\n\s+at /);
    const page = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    const events = (page.Messages ?? []).map(
      (m) => JSON.parse(m.Body!) as { 'detail-type': string; detail: Record<string, unknown> },
    );
    expect(events).toHaveLength(1);
    expect(events[0]!['detail-type']).toBe('Run Failed');
    // The same shape as every Run Failed: a run record.
    expect(events[0]!.detail).toMatchObject({ outcome: 'failed', command: 'scheduled-detect', engine: null });
    // (EventBridge carries our event id in the detail, docs/events.md.)
    const record = baseRecord({
      command: 'run',
      runId: 'r',
      started: new Date(),
      engine: null,
      dryRun: false,
    });
    expect(Object.keys(events[0]!.detail).sort()).toEqual([...Object.keys(record), 'event_id'].sort());
    expect(String(events[0]!.detail.error)).toContain('engine');
  });
});
