/**
 * Faults at Athena, the one external call of detection, through the packaged detect function in the
 * Lambda runtime (docs/decisions/018-the-artifact-as-deployed.md): the Athena API shim over the test
 * Trino answers throttling (TooManyRequestsException, as Athena does) or gives a statement FAILED or
 * CANCELLED with a reason. Throttling is retried and the run succeeds; a failed or cancelled statement
 * fails the invocation with the named error and Athena's reason, the run is recorded failed with a
 * `Run Failed` event, and the next invocation (the fault gone) finishes the days. The function killed
 * at its timeout is the artifact test's (test/integration/lambda-artifact.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../functions/core/runs.js';
import type { AthenaCall } from '../fixtures/athena-shim.js';
import { type DeployedStack, deployStack } from '../fixtures/deployed-stack.js';
import type { RunningFunction } from '../fixtures/lambda-rie.js';
import { ensureLambdaRuntime } from '../setup/lambda-runtime.js';
import { recordTrial } from './report.js';

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

let stack: DeployedStack;
const running: RunningFunction[] = [];

beforeAll(async () => {
  stack = await deployStack({ runtime: await ensureLambdaRuntime() });
});

afterAll(async () => {
  for (const fn of running) await fn.stop();
  await stack?.athena.close();
});

const runsOn = async (day: string) =>
  (await Promise.all((await stack.keys('runs/')).map((k) => stack.json<RunRecord>(k)))).filter(
    (r) => r.started_at.startsWith(day) && r.command === 'scheduled-detect',
  );

/** Throttles the first `times` calls of `operation`; counts them. */
function throttle(operation: string, times: number) {
  const state = { left: times, given: 0 };
  return {
    state,
    api: (call: AthenaCall) => {
      if (call.operation !== operation || state.left <= 0) return undefined;
      state.left -= 1;
      state.given += 1;
      return { status: 400, type: 'TooManyRequestsException', message: 'Rate exceeded' };
    },
  };
}

describe('faults at Athena, through the packaged detect function', () => {
  it('retries throttling; names a FAILED or CANCELLED statement with its reason; the next invocation finishes', async () => {
    const problems: string[] = [];
    let attempts = 0;
    // 1. Throttled: the first StartQueryExecution and GetQueryExecution calls answered "Rate exceeded".
    const starts = throttle('StartQueryExecution', 2);
    const polls = throttle('GetQueryExecution', 3);
    stack.athena.faults.api = (call) => starts.api(call) ?? polls.api(call);
    const detect = await stack.start('detect');
    running.push(detect);
    const throttled = await detect.invoke(scheduled);
    attempts += 1;
    stack.athena.faults.api = undefined;
    if (throttled.failed) problems.push(`throttled: the run failed: ${throttled.logs.slice(-600)}`);
    if ((throttled.json as { outcome?: string } | undefined)?.outcome !== 'succeeded')
      problems.push(`throttled: outcome ${JSON.stringify(throttled.json)}`);
    const given = starts.state.given + polls.state.given;
    recordTrial({
      area: 'faults',
      tried:
        'Athena: TooManyRequestsException on the first 2 StartQueryExecution and 3 GetQueryExecution calls (packaged detect function)',
      times: given,
      held: problems.length === 0 ? 'retried by the client; the run succeeded' : problems.join('; '),
      ok: problems.length === 0 && given === 5,
      figures: { 'throttled calls': given },
    });

    // 2 and 3. A statement FAILED, then one CANCELLED, each on a later day; then the same day again.
    const outcomes = [
      {
        state: 'FAILED' as const,
        reason: 'HIVE_CURSOR_ERROR: Failed to read Parquet file s3://x/y.parquet',
        day: '2026-03-04',
      },
      { state: 'CANCELLED' as const, reason: 'Query cancelled by an administrator', day: '2026-03-05' },
    ];
    for (const o of outcomes) {
      const found: string[] = [];
      await detect.stop();
      const fn = await stack.start('detect', { now: `${o.day}T06:00:00.000Z` });
      running.push(fn);
      stack.athena.faults.statement = (sql) =>
        sql.startsWith('CREATE TABLE') ? { state: o.state, reason: o.reason } : undefined;
      const failed = await fn.invoke(scheduled);
      stack.athena.faults.statement = undefined;
      attempts += 1;
      if (!failed.failed) found.push('the invocation did not fail');
      if (!/AthenaQueryError|Athena/.test(failed.logs) || !failed.logs.includes(o.reason.slice(0, 30)))
        found.push(`its log does not name Athena and the reason: ${failed.logs.slice(-400)}`);
      const [run] = await runsOn(o.day);
      if (run?.outcome !== 'failed' || !run.error?.includes(o.state))
        found.push(`run record: ${JSON.stringify({ outcome: run?.outcome, error: run?.error })}`);
      if (
        !(await stack.events()).some(
          (e) => e['detail-type'] === 'Run Failed' && e.detail.run_id === run?.run_id,
        )
      )
        found.push('no Run Failed event');
      const again = await fn.invoke(scheduled);
      attempts += 1;
      if (again.failed || !/succeeded|stale/.test(String((again.json as { outcome?: string })?.outcome)))
        found.push(`the next invocation did not finish: ${again.logs.slice(-400)}`);
      await fn.stop();
      recordTrial({
        area: 'faults',
        tried: `Athena: the CTAS statement ${o.state} ("${o.reason}"); then the next invocation (packaged detect function)`,
        times: 1,
        held:
          found.length === 0
            ? `the invocation failed naming Athena, ${o.state} and the reason; the run recorded failed with a Run Failed event; the next invocation finished the days`
            : found.join('; '),
        ok: found.length === 0,
      });
      problems.push(...found.map((f) => `${o.state}: ${f}`));
    }
    expect(attempts).toBe(5);
    expect(problems).toEqual([]);
  });
});
