/**
 * The FinOps digest (docs/emails.md): what changed since the last digest (transitions, unroutable cases,
 * refused addresses, failed messages) and every live escalated case with fresh answer links.
 * Pure: the notify step decides when to send it and logs it like any other message.
 */

import { episodeFigures } from '../cases/episode.js';
import {
  accountNameFor,
  type CaseRecord,
  caseOwner,
  isLive,
  type MessageKind,
  type NotificationEntry,
} from '../cases/model.js';
import { roundUsd } from '../detect/findings.js';
import type { TroubledRun } from '../health.js';
import type { IsoDate } from '../types.js';
import { messageIdFor } from './grouping.js';
import type { DigestKillSwitch, MessageData } from './message-model.js';
import { type AnswerActionsFor, caseSection, killSwitchView } from './sections.js';

export interface LastDigest {
  /** The digest's log entry (notifications/<message_id>.json). */
  message_id?: string;
  sent_at: string;
  as_of: IsoDate | null;
}

export interface DigestInput {
  cases: CaseRecord[];
  /** Messages of this step that failed (the digest names them). */
  failed: { messageId: string; kind: MessageKind; error: string | null }[];
  last: LastDigest | null;
  /** Detection runs that failed or found the export stale since the last digest (the digest opens with them). */
  troubledRuns?: TroubledRun[];
  /** The detection run's default as-of day: at most one digest per detection day. */
  defaultAsOf: IsoDate;
  now: string;
  notify: { finops: string; escalation: string[]; followUpHours: number };
  answerActions: AnswerActionsFor;
  /** The kill switch, when the deployment has one (docs/kill-switch.md): its mode, release links and failures. */
  killSwitch?: {
    mode: DigestKillSwitch['mode'];
    release: (input: { accountId: string; caseKey: string }) => {
      url: string | null;
      command: string | null;
    };
    failed: DigestKillSwitch['failed'];
  } | null;
}

export interface PlannedDigest {
  messageId: string;
  data: MessageData;
  refs: NotificationEntry['cases'];
}

/**
 * What the live cases put at risk (docs/emails.md "The messages"): the 30-day projections of the
 * ongoing ones, and what every live case spent above its baseline (or avoidably) so far.
 */
export function atRiskOf(live: CaseRecord[]): NonNullable<MessageData['digest']>['atRisk'] {
  let projected30dUsd = 0;
  let ongoingCases = 0;
  let excessSoFarUsd = 0;
  for (const c of live) {
    const figures = episodeFigures(c);
    excessSoFarUsd += figures.excess_so_far_usd;
    if (figures.projected_30d_excess_usd !== null && figures.projected_30d_excess_usd > 0) {
      projected30dUsd += figures.projected_30d_excess_usd;
      ongoingCases += 1;
    }
  }
  return {
    projected30dUsd: roundUsd(projected30dUsd),
    ongoingCases,
    excessSoFarUsd: roundUsd(excessSoFarUsd),
    liveCases: live.length,
  };
}

/** "2 days 3 h", "5 h", "under an hour": how long an account has been stopped. */
export function ageWords(hours: number): string {
  if (hours < 1) return 'under an hour';
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  if (days === 0) return `${rest} h`;
  return `${days} day${days === 1 ? '' : 's'}${rest > 0 ? ` ${rest} h` : ''}`;
}

/** The kill switch's part of the digest: stopped accounts, and what it did since the last digest. */
function digestKillSwitch(cases: CaseRecord[], input: DigestInput, finops: string): DigestKillSwitch | null {
  const ks = input.killSwitch;
  if (!ks) return null;
  const since = input.last?.sent_at ?? '';
  const name = (c: CaseRecord) => accountNameFor(c, caseOwner(c, finops));
  const engaged: DigestKillSwitch['engaged'] = [];
  const wouldEngage: DigestKillSwitch['wouldEngage'] = [];
  const escalated: DigestKillSwitch['escalated'] = [];
  const released: DigestKillSwitch['released'] = [];
  for (const c of [...cases].sort((a, b) => a.account_id.localeCompare(b.account_id))) {
    const view = killSwitchView(c);
    const record = c.kill_switch;
    if (!view || !record) continue;
    const line = { accountId: c.account_id, accountName: name(c), caseKey: c.case_key };
    if (view.status === 'engaged') {
      const ageHours = Math.max(0, Math.floor((Date.parse(input.now) - Date.parse(view.since)) / 3_600_000));
      engaged.push({
        ...line,
        caseState: c.state,
        since: view.since,
        ageHours,
        age: ageWords(ageHours),
        release: ks.release({ accountId: c.account_id, caseKey: c.case_key }),
      });
    } else if (view.status === 'released') {
      if ((record.released_at ?? '') > since)
        released.push({ ...line, at: record.released_at ?? record.at, how: view.releasedHow ?? '' });
    } else if (record.at > since) {
      if (view.status === 'would-engage') wouldEngage.push({ ...line, at: record.at, why: view.why });
      else escalated.push({ ...line, at: record.at, explanation: view.explanation });
    }
  }
  return { mode: ks.mode, engaged, wouldEngage, escalated, released, failed: ks.failed };
}

/** The digest to send, or null when nothing changed and no escalated case is new to this day. */
export function planDigest(input: DigestInput): PlannedDigest | null {
  const { cases, failed, last, defaultAsOf } = input;
  const { finops } = input.notify;
  const live = cases.filter((c) => isLive(c.state));
  const escalated = live.filter((c) => c.state === 'escalated');
  const refused = cases.flatMap((c) =>
    c.refused
      .filter((r) => !r.reported)
      .map((r) => ({ address: r.address, caseKey: c.case_key, error: r.error })),
  );
  const changed = cases.filter((c) => c.undigested.length > 0);
  const troubled = input.troubledRuns ?? [];
  const killSwitch = digestKillSwitch(cases, input, finops);
  const stopped = killSwitch?.engaged ?? [];
  if (changed.length === 0 && refused.length === 0 && failed.length === 0 && !killSwitch?.failed.length) {
    // Escalated cases and stopped accounts alone are listed once per detection day, not once per rerun of that day.
    if ((escalated.length === 0 && stopped.length === 0) || last?.as_of === defaultAsOf) return null;
  }

  const stateCounts: Record<string, number> = {};
  for (const c of cases) stateCounts[c.state] = (stateCounts[c.state] ?? 0) + 1;
  const ownerOf = (c: CaseRecord) => caseOwner(c, finops);
  const data: MessageData = {
    kind: 'finops-digest',
    generatedAt: input.now,
    recipient: { to: [finops], cc: [] },
    followUpHours: input.notify.followUpHours,
    contacts: { finops, escalation: input.notify.escalation },
    sections: [],
    digest: {
      since: last?.sent_at ?? null,
      troubledRuns: troubled,
      stateCounts,
      atRisk: atRiskOf(live),
      changes: changed.flatMap((c) => {
        // The line tells the case as its emails do now (the headline of its section), with its severity.
        const section = caseSection(c, ownerOf(c), () => []);
        return c.undigested.map((u) => ({
          caseKey: c.case_key,
          accountId: c.account_id,
          accountName: section.accountName,
          from: u.from_state,
          to: u.to_state,
          at: u.at,
          kind: c.kind,
          severity: section.episode.severity,
          ownerEmail: section.ownerEmail,
          routed: section.routed,
          section,
          state: c.state,
        }));
      }),
      unroutable: live
        .filter((c) => !ownerOf(c).routed)
        .map((c) => ({
          accountId: c.account_id,
          accountName: accountNameFor(c, ownerOf(c)),
          caseKey: c.case_key,
          openedAt: c.opened_at,
          ageDays: Math.max(0, Math.floor((Date.parse(input.now) - Date.parse(c.opened_at)) / 86_400_000)),
          state: c.state,
        })),
      refusedAddresses: refused,
      failedMessages: failed.map((m) => ({ messageId: m.messageId, kind: m.kind, error: m.error ?? '' })),
      escalated: escalated.map((c) => caseSection(c, ownerOf(c), input.answerActions)),
      killSwitch,
    },
  };
  const refs = cases
    .filter((c) => c.undigested.length > 0 || c.refused.some((r) => !r.reported))
    .map((c) => ({ case_key: c.case_key, epoch: c.epoch, event_ids: c.undigested.map((u) => u.event_id) }));
  // The as-of day keeps one digest per detection day: a rerun of the same day finds it sent.
  const messageId = messageIdFor(
    'finops-digest',
    { to: [finops.toLowerCase()], cc: [] },
    refs.map((r) => ({ caseKey: r.case_key, eventIds: r.event_ids })),
    [
      `as-of:${defaultAsOf}`,
      ...escalated.map((c) => `escalated:${c.case_key}:${c.epoch}`),
      ...refused.map((r) => `refused:${r.caseKey}:${r.address}`),
      ...failed.map((m) => `failed:${m.messageId}`),
      ...troubled.map((r) => `run:${r.run_id}`),
      ...stopped.map((e) => `stopped:${e.accountId}:${e.caseKey}`),
      ...(killSwitch?.failed ?? []).map((f) => `kill-switch-failed:${f.accountId}:${f.action}`),
    ].sort(),
  );
  return { messageId, data, refs };
}
