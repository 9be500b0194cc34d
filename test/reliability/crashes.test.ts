/**
 * Killed between every pair of steps (docs/storage.md "The outbox protocol"): a run on S3, SES and
 * EventBridge (moto) is killed with SIGKILL at each of its writes in turn — after the write took
 * effect and before the process heard so, which is every state a crash can leave between two
 * external steps — then the next follow-up or run (an hour later, past the lease) finishes the job.
 * Every case's owner gets the alert, every case event is stored and delivered by the bus, nothing
 * stays due, and a message goes out twice only when the kill fell between SES accepting it and the
 * log saying `sent` (the one window, "At least once").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeRequest,
  isWrite,
  openScenario,
  openSuite,
  pool,
  type Settlement,
  type Suite,
  settlement,
} from './harness.js';
import { recordTrial } from './report.js';
import { FINDINGS, OWNERS_CSV } from './scenario-data.js';

const NOW = '2026-03-03T08:00:00.000Z';
const LATER = '2026-03-03T09:00:00.000Z';
const AFTER = '2026-03-03T10:00:00.000Z';
const DAYS = ['2026-02-28', '2026-03-01'];

let suite: Suite;
beforeAll(async () => {
  suite = await openSuite();
});
afterAll(async () => {
  await suite?.close();
});

/** The 1-based writes to kill at: each kind's first and last occurrence, and every SES send. */
function killPoints(writes: string[]): number[] {
  const chosen = new Set<number>();
  for (const kind of new Set(writes)) {
    chosen.add(writes.indexOf(kind) + 1);
    chosen.add(writes.lastIndexOf(kind) + 1);
  }
  writes.forEach((w, i) => {
    if (w === 'SES SendEmail') chosen.add(i + 1);
  });
  return [...chosen].sort((a, b) => a - b);
}

const clean = (s: Settlement) =>
  s.lost.length === 0 && s.eventsMissing.length === 0 && s.stillDue.length === 0 && s.unlogged === 0;

describe('a run killed at each of its writes, then finished by the next follow-up or run', () => {
  it('loses no case, email or event and sends twice only inside the one window', async () => {
    // The writes of an undisturbed run, in order.
    const baseline = await openScenario(suite, 'crash-baseline', {
      findings: FINDINGS,
      ownersCsv: OWNERS_CSV,
    });
    const writes: string[] = [];
    const ok = await baseline.run('run', NOW, {
      asOfDays: DAYS,
      plan: (r) => {
        if (isWrite(r)) writes.push(describeRequest(r, `${baseline.prefix}state/`));
        return undefined;
      },
    });
    expect(ok.code, ok.stderr).toBe(0);
    const undisturbed = await settlement(baseline);
    expect(undisturbed).toMatchObject({
      lost: [],
      duplicated: [],
      eventsMissing: [],
      stillDue: [],
      unlogged: 0,
    });
    expect(writes.filter((w) => w === 'SES SendEmail')).toHaveLength(4); // three owner alerts and the digest
    expect(writes.length).toBeGreaterThan(20);

    const problems: string[] = [];
    let windowDuplicates = 0;
    const started = Date.now();
    // SENTINEL_RELIABILITY_POINTS=40,42 replays chosen kill points only (a reproduction);
    // SENTINEL_RELIABILITY_ALL_POINTS=1 kills at every write (about 5 minutes on two CPUs). By default,
    // to keep CI's budget, each kind of write is killed at its first and last occurrence, and every
    // SES send (the one window) is.
    const only = process.env.SENTINEL_RELIABILITY_POINTS?.split(',').map(Number);
    const points =
      only ??
      (process.env.SENTINEL_RELIABILITY_ALL_POINTS === '1'
        ? writes.map((_, i) => i + 1)
        : killPoints(writes));
    await pool(points, 3, async (at) => {
      const scenario = await openScenario(suite, `crash-${at}`, {
        findings: FINDINGS,
        ownersCsv: OWNERS_CSV,
      });
      let seen = 0;
      let killedAt = '';
      const crashed = await scenario.run('run', NOW, {
        asOfDays: DAYS,
        plan: (r, child) => {
          if (!isWrite(r) || ++seen !== at) return undefined;
          killedAt = describeRequest(r, `${scenario.prefix}state/`);
          child.kill('SIGKILL');
          // The write still reaches moto; the dead process never hears the answer.
          return { resetAfterForward: true };
        },
      });
      await new Promise((r) => setTimeout(r, 150));
      if (crashed.signal !== 'SIGKILL')
        problems.push(`write ${at} (${writes[at - 1]}): the process was not killed`);
      // Odd kill points are finished by the hourly follow-up, even ones by a rerun of the same days.
      const then =
        at % 2 === 1
          ? await scenario.run('follow-up', LATER)
          : await scenario.run('run', LATER, { asOfDays: DAYS });
      if (then.code !== 0) {
        problems.push(
          `write ${at} (${killedAt}): the next ${at % 2 ? 'follow-up' : 'run'} failed: ${then.stderr.slice(0, 300)}`,
        );
      }
      const more = await scenario.run('follow-up', AFTER);
      if (more.code !== 0)
        problems.push(`write ${at}: a further follow-up failed: ${more.stderr.slice(0, 300)}`);
      const s = await settlement(scenario);
      const inWindow = killedAt === 'SES SendEmail';
      const outside = s.duplicated.filter((d) => !(inWindow && d.times === 2));
      if (inWindow) windowDuplicates += s.duplicated.length;
      if (!clean(s) || outside.length > 0 || (inWindow && s.duplicated.length > 1)) {
        problems.push(`killed at write ${at} (${killedAt}): ${JSON.stringify(s)}`);
      }
    });
    const ms = Date.now() - started;
    recordTrial({
      area: 'crashes',
      tried: `a run (4 cases, 3 owners, digest) killed with SIGKILL at ${points.length === writes.length ? 'each' : `${points.length}`} of its ${writes.length} writes on S3, SES and EventBridge (${points.length === writes.length ? 'all' : `each of the ${new Set(writes).size} kinds of write first and last, every SES send`}), after the write took effect; then a follow-up (odd) or a rerun (even), then another follow-up`,
      times: points.length,
      held:
        problems.length === 0
          ? `every case alerted, every event stored and delivered, nothing left due; ${windowDuplicates} duplicate(s), each a kill between SES accepting the message and the log saying sent`
          : problems.join('; '),
      ok: problems.length === 0,
      figures: { 'writes per run': writes.length, 'SES sends per run': 4, seconds: Math.round(ms / 1000) },
    });
    expect(problems).toEqual([]);
  });
});
