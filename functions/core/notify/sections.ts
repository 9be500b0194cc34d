/** Case records → template input (MessageData, SPEC §9). Pure. */

import { accountNameFor, type CaseRecord } from '../cases/model.js';
import { daysBetween } from '../dates.js';
import type { Owner } from '../ports.js';
import type { AnswerAction, CaseSection } from './message-model.js';

export type AnswerActionsFor = (input: { caseKey: string; epoch: number }) => AnswerAction[];

export function caseSection(
  c: CaseRecord,
  owner: Owner,
  actions: AnswerActionsFor,
  severityRaised = false,
): CaseSection {
  const f = c.latest;
  return {
    caseKey: c.case_key,
    epoch: c.epoch,
    state: c.state,
    accountId: c.account_id,
    accountName: accountNameFor(c, owner),
    team: owner.team,
    ownerEmail: owner.ownerEmail,
    routed: owner.routed,
    detector: c.detector,
    kind: c.kind,
    finding: f,
    firstAsOf: c.first_as_of,
    daysAbove: f.started_on ? daysBetween(f.started_on, f.as_of) + 1 : null,
    peakSeverity: c.peak_severity,
    severityRaised,
    notifiedAt: c.notified_at,
    deadline: c.deadline,
    answers: c.answers
      .filter((a) => a.epoch === c.epoch)
      .map((a) => ({ answer: a.answer, at: a.at, note: a.note, by: a.by })),
    // Closed cases take no answer: their sections carry no buttons.
    actions:
      c.state === 'resolved' || c.state === 'suppressed'
        ? []
        : actions({ caseKey: c.case_key, epoch: c.epoch }),
  };
}
