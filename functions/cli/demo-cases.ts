/**
 * The case half of `sentinel demo`: open cases from the demo's findings, write the owner emails to
 * `<out>/outbox/`, then let time pass on the clock (+49 h, +97 h) with one owner answering, and
 * print each case's timeline from `case-events/`.
 */
import { join } from 'node:path';
import { openNotifyPorts } from '../adapters/open-ports.js';
import type { CaseEvent } from '../core/cases/model.js';
import { readAllCases } from '../core/cases/store.js';
import { acknowledge } from '../core/commands/acknowledge.js';
import { followUp } from '../core/commands/follow-up.js';
import { runPipeline } from '../core/commands/run.js';
import type { SentinelConfig } from '../core/config.js';
import { fixedDetection } from '../core/detect/contract.js';
import type { Logger } from '../core/log.js';
import { type Clock, fixedClock } from '../core/ports.js';
import type { CaseDays, Finding, IsoDate } from '../core/types.js';
import { caseSummaryLines, deliveryLines } from './case-summary.js';

export async function demoCases(input: {
  config: SentinelConfig;
  out: string;
  asOfDays: IsoDate[];
  findings: Finding[];
  /** The daily figures detection read for the findings' cases (the quiet days after a spike). */
  caseDays: CaseDays[];
  clock: Clock;
  log: Logger;
  say: (line?: string) => void;
  /** What the dry-run kill switch would have saved (said after the run's deliveries). */
  killSwitchLines?: string[];
}): Promise<void> {
  const { asOfDays, findings, caseDays, log, say } = input;
  // The demo's 14 days stand for one catch-up: every day of it may open a case.
  const config: SentinelConfig = {
    ...input.config,
    cases: {
      ...input.config.cases,
      notify_max_age_days: Math.max(input.config.cases.notify_max_age_days, asOfDays.length),
    },
  };
  const start = input.clock.now().getTime();
  const at = (hours: number) => fixedClock(new Date(start + hours * 3_600_000));
  const stamp = (hours: number) => at(hours).now().toISOString().slice(0, 16).replace('T', ' ');
  const outbox = join(input.out, 'outbox');

  say();
  say(
    `3. Opening cases and emailing owners (${stamp(0)} UTC; the ${asOfDays.length} as-of days count as one catch-up)`,
  );
  const ports = await openNotifyPorts(config, { clock: at(0), log });
  const result = await runPipeline(
    {
      ...ports,
      // Detection already ran above: hand its findings to the case step as this run's result.
      detect: fixedDetection(findings, caseDays),
    },
    config,
    { asOfDays },
  );
  const records = new Map(
    (result.delivery.cases ?? (await readAllCases(ports.store))).map((c) => [c.case_key, c]),
  );
  for (const line of caseSummaryLines(result.cases, records)) say(`   ${line}`);
  for (const line of deliveryLines(result.delivery, outbox)) say(`   ${line}`);
  for (const line of input.killSwitchLines ?? []) say(`   ${line}`);

  const answering = result.cases.find((c) => c.routed !== false);
  if (answering) {
    // The owner answers every section of the one email their account got (one answer link per case).
    const theirs = result.cases.filter((c) => c.accountId === answering.accountId && c.routed !== false);
    const what = theirs.length > 1 ? `all ${theirs.length} issues on` : 'the issue on';
    say();
    say(
      `4. ${stamp(2)}: ${answering.ownerEmail} answers "investigating" for ${what} ${answering.accountName}`,
    );
    for (const c of theirs) {
      await acknowledge({ ...ports, clock: at(2) }, config, {
        caseKey: c.caseKey,
        answer: 'investigating',
        note: 'found a retry loop in the ingestion agent; rolling back',
        by: answering.ownerEmail,
      });
    }
    say(`   ${stamp(26)}: the same owner answers "stopped"`);
    for (const c of theirs) {
      await acknowledge({ ...ports, clock: at(26) }, config, {
        caseKey: c.caseKey,
        answer: 'stopped',
        note: 'rolled back; spend is back to baseline',
        by: answering.ownerEmail,
      });
    }
  }
  for (const [step, hours] of [
    [5, 49],
    [6, 97],
  ] as const) {
    say();
    say(`${step}. Follow-up at +${hours} h (${stamp(hours)} UTC): no answer from the others`);
    const follow = await followUp(await openNotifyPorts(config, { clock: at(hours), log }), config);
    for (const line of deliveryLines(follow.delivery, null)) say(`   ${line}`);
  }

  say();
  say('7. Case timelines (case-events/):');
  const events: CaseEvent[] = [];
  for (const key of await ports.store.list('case-events/')) {
    const blob = await ports.store.get(key);
    if (blob) events.push(JSON.parse(blob.body) as CaseEvent);
  }
  const byCase = new Map<string, CaseEvent[]>();
  for (const e of events) byCase.set(e.case_key, [...(byCase.get(e.case_key) ?? []), e]);
  for (const c of await readAllCases(ports.store)) {
    const timeline = (byCase.get(c.case_key) ?? [])
      .sort((a, b) => a.time.localeCompare(b.time) || (a.as_of ?? '').localeCompare(b.as_of ?? ''))
      .map((e) => {
        // A case that stays open but changes (a higher severity, a later day) reads as "updated".
        // The kill switch leaves the state as it is: its events read by what it did.
        const what =
          e.transition === 'updated'
            ? `updated (${e.severity})`
            : e.transition.startsWith('kill-switch-')
              ? e.transition.replaceAll('-', ' ')
              : e.to_state;
        return `${e.time.slice(5, 16).replace('T', ' ')} ${what}${e.answer ? ` (${e.answer})` : ''}`;
      });
    say(`   ${c.account_id} ${c.account_name.padEnd(24)} ${c.kind.padEnd(16)} ${timeline.join(' → ')}`);
  }
  say();
  say(`Emails: ${join(outbox, 'index.html')}   Events: ${join(input.out, 'events.jsonl')}`);
}
