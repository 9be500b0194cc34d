/** Notification throughput: render owner alerts and write them to a local outbox. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxMailer } from '../functions/adapters/mailer/outbox.js';
import { exampleMessage } from '../functions/cli/render-examples.js';
import { createRenderer } from '../functions/core/notify/render.js';

export interface NotifyThroughput {
  messages: number;
  renderSeconds: number;
  writeSeconds: number;
  totalSeconds: number;
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

export async function notifyThroughput(messages: number): Promise<NotifyThroughput> {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-bench-outbox-'));
  try {
    const started = process.hrtime.bigint();
    const renderer = createRenderer();
    const template = exampleMessage('owner-alert');
    const rendered = [];
    for (let i = 0; i < messages; i++) {
      const owner = `owner-${i}@example.com`;
      const data = {
        ...template,
        recipient: { to: [owner], cc: [`team-${i % 50}@example.com`] },
        sections: template.sections.map((s) => ({
          ...s,
          accountId: String(100000000000 + i),
          accountName: `account-${i}`,
        })),
      };
      const body = renderer.render(data);
      rendered.push({ owner, i, body, caseKeys: data.sections.map((s) => `${s.caseKey}-${i}`) });
    }
    const renderSeconds = seconds(started);
    const writing = process.hrtime.bigint();
    const mailer = new OutboxMailer(dir, { refuse: [], now: () => new Date('2026-03-02T06:00:00Z') });
    for (const m of rendered) {
      await mailer.send({
        messageId: `bench-${String(m.i).padStart(5, '0')}`,
        from: 'sentinel@example.com',
        to: [m.owner],
        cc: [],
        subject: m.body.subject,
        html: m.body.html,
        text: m.body.text,
        caseKeys: m.caseKeys,
        kind: 'owner-alert',
        replyTo: [],
        inReplyTo: null,
        references: [],
      });
    }
    await mailer.flush();
    const writeSeconds = seconds(writing);
    return { messages, renderSeconds, writeSeconds, totalSeconds: seconds(started) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
