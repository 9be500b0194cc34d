/**
 * Who hears about what, with the events the pipeline really publishes, on moto's EventBridge:
 * - the stack's rule (infra/alarms.cjs, DEPLOY.md "Alarms") delivers the scheduled detection's
 *   `Run Failed` and `Data Stale`, and nothing of a follow-up, the answer endpoint or a manual run;
 * - the example chat routing (docs/examples/cases-to-chat.yaml, DEPLOY.md "Routing cases to Slack or
 *   Teams") passes the template check, matches high and critical case openings and escalations, and
 *   turns each into an Amazon Q Developer custom notification with every field filled in — also the
 *   sample event of docs/events.md, into the message DEPLOY.md shows.
 * An SQS queue stands in for each SNS topic (moto's EventBridge delivers to SQS, not SNS).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EventBridgeBus } from '../../functions/adapters/event-bus/eventbridge.js';
import { followUp } from '../../functions/core/commands/follow-up.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { type DetectFn, emptyDetectResult } from '../../functions/core/detect/contract.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { EVENT_SOURCE } from '../../functions/core/events.js';
import { fixedClock } from '../../functions/core/ports.js';
import { refusedConfigRecord, runEvents } from '../../functions/core/runs.js';
import { testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';
import { motoEventBridge, motoSqs, uniqueName } from '../fixtures/moto.js';
import { checkTemplate, type Template } from './template-check.js';

const root = join(import.meta.dirname, '..', '..');
const eventBridge = motoEventBridge();
const sqs = motoSqs();
const busName = uniqueName('sentinel-alarms');

const { RUN_TROUBLE_PATTERN } = createRequire(import.meta.url)('../../infra/alarms.cjs') as {
  RUN_TROUBLE_PATTERN: Record<string, unknown>;
};
const chatTemplate = parse(
  readFileSync(join(root, 'docs', 'examples', 'cases-to-chat.yaml'), 'utf8'),
) as Template;
const chatRule = chatTemplate.Resources.CasesToChatRule!.Properties as {
  EventPattern: { source: string[]; 'detail-type': string[]; detail: { severity: string[] } };
  Targets: { InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
};

interface Envelope {
  'detail-type': string;
  detail: Record<string, unknown>;
}

/** A queue a rule on the bus delivers to (with the target's input transformer, if any); `drain` reads it. */
async function queueForRule(pattern: unknown, target: Partial<Target> = {}) {
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sentinel-alarm') })))
    .QueueUrl!;
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const rule = uniqueName('rule');
  await eventBridge.send(
    new PutRuleCommand({ Name: rule, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: 'q', Arn: arn, ...target }] }),
  );
  return async function drain(): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) return bodies;
      bodies.push(...messages.map((m) => m.Body!));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };
}

const failing: DetectFn = async () => {
  throw new UpstreamError('Athena query q-1 failed: TABLE_NOT_FOUND: focus.focus_export does not exist');
};
/** The export stops at 3 Mar: every later day asked for is stale. */
const stale: DetectFn = async (request) => ({
  ...emptyDetectResult(),
  staleDays: request.asOfDays.filter((d) => d > '2026-03-03'),
  evaluatedDays: request.asOfDays.filter((d) => d <= '2026-03-03'),
  dataThrough: '2026-03-03',
});

let bus: EventBridgeBus;
beforeAll(async () => {
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  bus = new EventBridgeBus(eventBridge, { busName });
});

describe('the stack routes trouble to its topic (infra/alarms.cjs)', () => {
  it("delivers the scheduled detection's Run Failed and Data Stale, nothing of a follow-up, the answer endpoint or a manual run", async () => {
    const drain = await queueForRule(RUN_TROUBLE_PATTERN);
    const t = testPorts({ now: '2026-03-07T06:00:00Z' });
    await expect(
      runPipeline({ ...t.ports, detect: failing }, t.config, { command: 'scheduled-detect' }),
    ).rejects.toThrow(/TABLE_NOT_FOUND/);
    t.clock.set('2026-03-08T06:00:00Z');
    await runPipeline({ ...t.ports, detect: stale }, t.config, { command: 'scheduled-detect' });
    // A manual run over a stale day reports on its terminal: not routed.
    await runPipeline({ ...t.ports, detect: stale }, t.config, { asOfDays: ['2026-03-05'] });
    // A configuration refused at cold start: each function publishes Run Failed with its own command.
    const clock = fixedClock('2026-03-08T07:00:00Z');
    const refused = (['scheduled-detect', 'follow-up', 'ack'] as const).flatMap((command) =>
      runEvents(refusedConfigRecord(command, 'notify.from: not an email address', clock), {
        completed: false,
      }),
    );
    const published = [...t.bus.events, ...refused];
    expect(published.map((e) => `${e.detailType} ${(e.detail as { command: string }).command}`)).toEqual([
      'Run Failed scheduled-detect',
      'Detection Run Completed scheduled-detect',
      'Data Stale scheduled-detect',
      'Detection Run Completed run',
      'Data Stale run',
      'Run Failed scheduled-detect',
      'Run Failed follow-up',
      'Run Failed ack',
    ]);
    await bus.publish(published);
    const delivered = (await drain()).map((body) => JSON.parse(body) as Envelope);
    expect(delivered.map((e) => `${e['detail-type']} ${String(e.detail.command)}`).sort()).toEqual([
      'Data Stale scheduled-detect',
      'Run Failed scheduled-detect',
      'Run Failed scheduled-detect',
    ]);
    const failed = delivered.find((e) => e['detail-type'] === 'Run Failed' && e.detail.engine !== null)!;
    expect(failed.detail.error).toMatch(/TABLE_NOT_FOUND/);
    expect(delivered.find((e) => e['detail-type'] === 'Data Stale')!.detail).toMatchObject({
      data_through: '2026-03-03',
      outcome: 'stale',
    });
  });
});

describe('the example chat routing (docs/examples/cases-to-chat.yaml)', () => {
  const transformer = chatRule.Targets[0]!.InputTransformer;
  const chatQueue = () =>
    queueForRule(chatRule.EventPattern, {
      InputTransformer: {
        InputPathsMap: transformer.InputPathsMap,
        InputTemplate: transformer.InputTemplate,
      },
    });
  /** An Amazon Q Developer custom notification with every variable filled in. */
  const expectCustomNotification = (body: string) => {
    expect(body, 'a variable the event did not fill').not.toMatch(/<[a-z]+>/);
    const message = JSON.parse(body) as {
      version: string;
      source: string;
      content: { textType: string; title: string; description: string; nextSteps: string[] };
      metadata: { threadId: string };
    };
    expect(message).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
    });
    return message;
  };

  it('passes the template check: resource types and properties, and a topic EventBridge may publish to', async () => {
    expect(
      await checkTemplate(chatTemplate, {
        functions: {},
        schedules: {},
        routes: {},
        eventRules: [{ source: EVENT_SOURCE, detailTypes: chatRule.EventPattern['detail-type'] }],
      }),
    ).toEqual([]);
  });

  it('turns high and critical openings and escalations into custom notifications, one thread per case', async () => {
    const drain = await chatQueue();
    // A runaway at ~$125/day above its baseline (high), and a cache miss at $100 avoidable a week (medium).
    const runaway = makeFinding({
      account: '111111111111',
      asOf: '2026-03-05',
      recent: 132.05,
      baseline: 7.32,
    });
    const cache = makeFinding({
      account: '222222222222',
      asOf: '2026-03-05',
      detector: 'cache-miss',
      avoidable: 100,
    });
    const t = testPorts({
      now: '2026-03-07T06:00:00Z',
      findings: [runaway, cache],
      dailyCost: (date) => (date >= '2026-03-03' ? 132.05 : 7.32),
    });
    await runPipeline(t.ports, t.config, { command: 'scheduled-detect' });
    for (let step = 0; step < 2; step++) {
      t.clock.advanceHours(49);
      await followUp(t.ports, t.config);
    }
    const cases = t.bus.events.filter((e) => e.detailType.startsWith('Case '));
    const summary = (e: (typeof cases)[number]) => {
      const d = e.detail as { severity: string; account_id: string };
      return `${e.detailType} ${d.account_id} ${d.severity}`;
    };
    expect(cases.map(summary)).toEqual(
      expect.arrayContaining([
        'Case Opened 111111111111 high',
        'Case Opened 222222222222 medium',
        'Case Escalated 111111111111 high',
      ]),
    );
    await bus.publish(t.bus.events);
    const messages = (await drain()).map(expectCustomNotification);
    // The reminder and the medium case stay out of the channel.
    expect(messages).toHaveLength(2);
    expect(messages.map((m) => m.content.title).sort()).toEqual([
      ':rotating_light: Case Escalated: high runaway on account 111111111111',
      ':rotating_light: Case Opened: high runaway on account 111111111111',
    ]);
    expect(new Set(messages.map((m) => m.metadata.threadId))).toEqual(new Set([runaway.case_key]));
  });

  it("turns docs/events.md's sample event into the message DEPLOY.md shows", async () => {
    const events = readFileSync(join(root, 'docs', 'events.md'), 'utf8');
    const sample = JSON.parse(/^## Sample event\n[\s\S]*?```json\n([\s\S]*?)```/m.exec(events)![1]!) as {
      'detail-type': string;
      source: string;
      time: string;
      detail: Record<string, unknown>;
    };
    const drain = await chatQueue();
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: sample.source,
            DetailType: sample['detail-type'],
            Time: new Date(sample.time),
            Detail: JSON.stringify(sample.detail),
          },
        ],
      }),
    );
    const [body, ...rest] = await drain();
    expect(rest).toEqual([]);
    const message = expectCustomNotification(body!);
    const deploy = readFileSync(join(root, 'DEPLOY.md'), 'utf8');
    const section = /^## Routing cases to Slack or Teams\n([\s\S]*?)^## /m.exec(deploy)?.[1] ?? '';
    const shown = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(shown, 'the message DEPLOY.md shows for the sample event').toContainEqual(message);
    expect(shown, 'the rule pattern DEPLOY.md shows').toContainEqual(chatRule.EventPattern);
  });
});
