/** Case records → template input (MessageData, SPEC §9). Pure. */

import { accountNameFor, type CaseRecord } from '../cases/model.js';
import { addDays, daysBetween } from '../dates.js';
import type { Owner } from '../ports.js';
import type { AnswerAction, CaseSection, EpisodeView } from './message-model.js';

/** The episode view of a case, from what the case holds (SPEC §9). */
export function episodeView(c: CaseRecord): EpisodeView {
  const e = c.episode;
  const peak = c.peak;
  const spikeFrom = peak.started_on ?? peak.recent_start;
  const spikeTo = !e.ongoing && e.end_day ? addDays(e.end_day, -1) : peak.recent_end;
  return {
    ongoing: e.ongoing,
    spikeFrom: [spikeFrom, spikeTo].sort()[0]!,
    spikeTo,
    endDay: e.ongoing ? null : e.end_day,
    rateSinceUsd: e.ongoing ? null : e.rate_since_usd,
    excessSoFarUsd: e.excess_so_far_usd,
    newestEvaluated: e.newest_evaluated,
    peakIsLatest: peak.finding_id === c.latest.finding_id,
    endedBeforeFirstEmail:
      !e.ongoing && e.end_day !== null && c.notified_at !== null && e.end_day <= c.notified_at.slice(0, 10),
  };
}

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
    peak: c.peak,
    episode: episodeView(c),
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
