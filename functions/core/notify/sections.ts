/** Case records → template input (MessageData, docs/emails.md). Pure. */

import { episodeFigures } from '../cases/episode.js';
import { accountNameFor, type CaseRecord } from '../cases/model.js';
import { qualifyingWords, releaseWords } from '../kill-switch/words.js';
import type { Owner } from '../ports.js';
import type {
  AnswerAction,
  CaseSection,
  EpisodeView,
  KillSwitchView,
  ReopenedView,
} from './message-model.js';

/** The episode view of a case, from what the case holds (docs/emails.md): the figures its events carry too. */
export function episodeView(c: CaseRecord): EpisodeView {
  const figures = episodeFigures(c);
  const seriesEnd = c.latest.series[c.latest.series.length - 1]?.date ?? c.latest.as_of;
  const newest = c.episode.newest_evaluated ?? seriesEnd;
  return {
    ongoing: figures.ongoing,
    spikeFrom: figures.spike_from,
    spikeTo: figures.spike_to,
    endDay: figures.end_day,
    rateSinceUsd: figures.rate_since_usd,
    excessSoFarUsd: figures.excess_so_far_usd,
    newestEvaluated: c.episode.newest_evaluated,
    peakIsLatest: c.peak.finding_id === c.latest.finding_id,
    endedBeforeFirstEmail:
      figures.end_day !== null && c.notified_at !== null && figures.end_day <= c.notified_at.slice(0, 10),
    laterDays: c.episode.days
      .filter((d) => d.date > seriesEnd && d.date <= newest)
      .map((d) => ({ date: d.date, cost_usd: d.cost_usd, hit_ratio: d.hit_ratio })),
    latestDay: figures.latest_day,
    latestDailyUsd: figures.latest_daily_usd,
    meanDailyUsd: figures.mean_daily_usd,
    spikeDays: figures.spike_days,
    baselineUsd: figures.baseline_daily_usd,
    latestRatio: figures.latest_ratio,
    meanRatio: figures.mean_ratio,
    peakRatio: figures.peak_ratio,
    excessDailyUsd: figures.excess_daily_usd,
    projected30dUsd: figures.projected_30d_excess_usd,
    severity: figures.severity,
    peakValue: figures.peak_value,
    peakDay: figures.peak_day,
    peakEarlier:
      figures.ongoing &&
      figures.peak_day < figures.latest_day &&
      figures.peak_value > figures.latest_daily_usd,
    // Past the peak: the newest day's excess has fallen under half the highest day's (the subject then says both).
    pastPeak:
      figures.ongoing &&
      figures.latest_daily_usd - figures.baseline_daily_usd <
        (figures.peak_value - figures.baseline_daily_usd) / 2,
    bandDailyUsd: figures.band_daily_usd,
    bandHitRatio: figures.band_hit_ratio,
    expectedHitRatio: figures.expected_hit_ratio,
  };
}

/** What closed the earlier epoch of a re-opened case, and the spend that contradicts it (docs/cases.md). */
export function reopenedView(c: CaseRecord): ReopenedView | null {
  const r = c.reopened;
  if (!r) return null;
  return {
    fromState: r.from_state,
    resolvedOn: r.resolved_on,
    answer: r.answer && { answer: r.answer.answer, at: r.answer.at, note: r.answer.note, by: r.answer.by },
    contradictingDays: r.contradicting_days,
  };
}

/**
 * What the kill switch did about a case, for its emails (docs/kill-switch.md): a stop in place is told
 * whatever the epoch (the account is stopped now); a dry run, an escalation instead or a release only
 * in the epoch it happened in.
 */
export function killSwitchView(c: CaseRecord): KillSwitchView | null {
  const ks = c.kill_switch;
  if (!ks || (ks.status !== 'engaged' && ks.epoch !== c.epoch)) return null;
  return {
    status: ks.status,
    since: ks.engaged_at ?? ks.at,
    why: qualifyingWords(c.kind, ks),
    explanation: ks.explanation,
    severity: ks.severity,
    policyId: ks.policy_id,
    breakGlassRole: ks.break_glass_role,
    releasedAt: ks.released_at,
    releasedHow: ks.released_by ? releaseWords(ks.released_by, ks.released_by_whom) : null,
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
    peakSeverity: c.peak_severity,
    reopened: reopenedView(c),
    severityRaised,
    notifiedAt: c.notified_at,
    deadline: c.deadline,
    answers: c.answers
      .filter((a) => a.epoch === c.epoch)
      .map((a) => ({ answer: a.answer, at: a.at, note: a.note, by: a.by })),
    sources: c.sources ?? null,
    killSwitch: killSwitchView(c),
    // Closed cases take no answer: their sections carry no buttons.
    actions:
      c.state === 'resolved' || c.state === 'suppressed'
        ? []
        : actions({ caseKey: c.case_key, epoch: c.epoch }),
  };
}
