/** docs/emails.md "When detection is in trouble": failed and stale detection runs reach FinOps, once per condition. */
import { describe, expect, it } from 'vitest';
import { followUp } from '../../functions/core/commands/follow-up.js';
import { runPipeline } from '../../functions/core/commands/run.js';
import { type DetectFn, emptyDetectResult } from '../../functions/core/detect/contract.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { type DetectionHealth, HEALTH_KEY } from '../../functions/core/health.js';
import { renderMessage } from '../../functions/core/notify/render.js';
import { renderedData, testPorts } from '../fixtures/case-ports.js';
import { makeFinding } from '../fixtures/findings.js';

const failing: DetectFn = async () => {
  throw new UpstreamError('Athena query q-1 failed: TABLE_NOT_FOUND: focus.focus_export does not exist');
};
/** The export stops at 3 Mar: every day asked for after it is stale. */
const stale: DetectFn = async (request) => ({
  ...emptyDetectResult(),
  staleDays: request.asOfDays.filter((d) => d > '2026-03-03'),
  evaluatedDays: request.asOfDays.filter((d) => d <= '2026-03-03'),
  dataThrough: '2026-03-03',
});

const runAlerts = (t: ReturnType<typeof testPorts>) => t.mailer.sent.filter((m) => m.kind === 'run-alert');

describe('detection in trouble reaches FinOps', () => {
  it('mails FinOps once when scheduled runs fail, again only after a success, and the next digest opens with them', async () => {
    const t = testPorts({ now: '2026-03-09T06:00:00Z' });
    const broken = { ...t.ports, detect: failing };
    for (const at of ['2026-03-09T06:00:00Z', '2026-03-10T06:00:00Z']) {
      t.clock.set(at);
      await expect(runPipeline(broken, t.config, { command: 'scheduled-detect' })).rejects.toThrow(
        /TABLE_NOT_FOUND/,
      );
      t.clock.advanceHours(1);
      await followUp(t.ports, t.config); // the hourly follow-up sends nothing more
    }
    expect(runAlerts(t)).toHaveLength(1);
    const alert = runAlerts(t)[0]!;
    expect(alert).toMatchObject({ to: ['finops@example.com'], cc: [] });
    const { subject, text } = renderMessage(renderedData(alert));
    expect(subject).toBe(
      'ai-spend-sentinel: detection failed on Mon 9 Mar 2026 - no AI spend is checked until it runs again',
    );
    expect(text).toMatch(/^DETECTION FAILED\n/);
    expect(text).toContain('TABLE_NOT_FOUND');

    // A run that succeeds clears the condition; its digest opens with the two failed runs.
    t.clock.set('2026-03-11T06:00:00Z');
    await runPipeline(
      { ...t.ports, detect: testPorts({ findings: [makeFinding({ asOf: '2026-03-09' })] }).ports.detect },
      t.config,
      {
        command: 'scheduled-detect',
      },
    );
    const digest = t.mailer.sent.find((m) => m.kind === 'finops-digest')!;
    const data = renderedData(digest);
    expect(data.digest!.troubledRuns!.map((r) => r.outcome)).toEqual(['failed', 'failed']);
    const rendered = renderMessage(data);
    expect(rendered.text).toMatch(
      /^DETECTION NEEDS ATTENTION\. 2 detection runs failed since the last digest/,
    );
    expect(rendered.subject).toContain('2 failed runs');
    expect(t.store.json<DetectionHealth>(HEALTH_KEY)).toMatchObject({ condition: null, unreported: [] });

    // A new failure after the success is a new condition: mailed again.
    t.clock.set('2026-03-12T06:00:00Z');
    await expect(runPipeline(broken, t.config, { command: 'scheduled-detect' })).rejects.toThrow();
    expect(runAlerts(t)).toHaveLength(2);
  });

  it('tells FinOps once that the export is stale: the digest opens with it, or a run alert when no digest goes out', async () => {
    const t = testPorts({ now: '2026-03-07T06:00:00Z' }); // default as-of 5 Mar; the export stops at 3 Mar
    const result = await runPipeline({ ...t.ports, detect: stale }, t.config, { asOfDays: ['2026-03-05'] });
    expect(result.run.outcome).toBe('stale');
    // Nothing else changed, so no digest: the run alert says it.
    expect(t.mailer.sent.map((m) => m.kind)).toEqual(['run-alert']);
    const { subject, text } = renderMessage(renderedData(runAlerts(t)[0]!));
    expect(subject).toBe('ai-spend-sentinel: the cost export is stale - its newest charge is Tue 3 Mar 2026');
    expect(text).toContain('as-of Thu 5 Mar 2026 could not be evaluated');
    // The next stale run mails nothing more, whatever the hour.
    t.clock.set('2026-03-08T06:00:00Z');
    await runPipeline({ ...t.ports, detect: stale }, t.config, { asOfDays: ['2026-03-06'] });
    t.clock.advanceHours(1);
    await followUp(t.ports, t.config);
    expect(runAlerts(t)).toHaveLength(1);
  });

  it('lets the digest be the one message when a stale run sends one anyway', async () => {
    const t = testPorts({ findings: [makeFinding({ asOf: '2026-03-03' })], now: '2026-03-07T06:00:00Z' });
    const staleWithFinding: DetectFn = async (request, ports) => ({
      ...(await t.ports.detect(request, ports)),
      staleDays: ['2026-03-05'],
      dataThrough: '2026-03-03',
    });
    await runPipeline({ ...t.ports, detect: staleWithFinding }, t.config, {
      asOfDays: ['2026-03-03', '2026-03-05'],
    });
    const kinds = t.mailer.sent.map((m) => m.kind);
    expect(kinds).toContain('finops-digest');
    expect(kinds).not.toContain('run-alert');
    const digest = renderMessage(renderedData(t.mailer.sent.find((m) => m.kind === 'finops-digest')!));
    expect(digest.text).toMatch(/^DETECTION NEEDS ATTENTION\. The cost export was stale for 1 run/);
    expect(digest.text).toContain('stale: newest charge 3 Mar, as-of 5 Mar not evaluated');
    expect(digest.subject).toContain('stale cost data');
  });

  it('retries a run alert whose send failed from the hourly follow-up, still once', async () => {
    const t = testPorts({ now: '2026-03-09T06:00:00Z' });
    t.mailer.failures.push(new UpstreamError('SES throttled'));
    await expect(
      runPipeline({ ...t.ports, detect: failing }, t.config, { command: 'scheduled-detect' }),
    ).rejects.toThrow();
    expect(runAlerts(t)).toHaveLength(0);
    t.clock.advanceHours(1);
    await followUp(t.ports, t.config);
    t.clock.advanceHours(1);
    await followUp(t.ports, t.config);
    expect(runAlerts(t)).toHaveLength(1);
  });

  it('records nothing for a dry run or a manual detect', async () => {
    const t = testPorts({ now: '2026-03-09T06:00:00Z' });
    await expect(runPipeline({ ...t.ports, detect: failing }, t.config, { dryRun: true })).rejects.toThrow();
    expect(await t.store.get(HEALTH_KEY)).toBeUndefined();
    expect(t.mailer.sent).toEqual([]);
  });
});
