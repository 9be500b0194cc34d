/**
 * The case record (docs/cases.md) and the records that travel with it: case events (docs/storage.md `case-events/`),
 * the outbox marks (`due`, `events_due`) and the notification log entry (`notifications/`).
 */
import { createHash } from 'node:crypto';
import type { EventDetailType } from '../events.js';
import type { Owner } from '../ports.js';
import type { DetectorId, Finding, FindingKind, IsoDate, SeriesPoint, Severity } from '../types.js';
import type { CaseEpisode, PeakMetric } from './episode.js';

export const LIVE_STATES = ['open', 'reminded', 'escalated', 'acknowledged'] as const;
export const CLOSED_STATES = ['resolved', 'suppressed'] as const;
export type LiveState = (typeof LIVE_STATES)[number];
export type ClosedState = (typeof CLOSED_STATES)[number];
export type CaseState = LiveState | ClosedState;

export const isLive = (state: CaseState): state is LiveState =>
  (LIVE_STATES as readonly string[]).includes(state);

/** Every message kind the notify step sends (docs/storage.md); `run-alert` tells FinOps detection is in trouble. */
export type MessageKind = 'owner-alert' | 'reminder' | 'escalation' | 'finops-digest' | 'run-alert';
/** An owner's answer to a case (docs/cases.md). */
export type Answer = 'stopped' | 'legitimate' | 'investigating';

/** The account name shown: the mapping's, else the bill's, else the id (docs/emails.md). */
export const accountNameFor = (
  c: Pick<CaseRecord, 'account_name' | 'account_id'>,
  owner: Owner | null,
): string => owner?.accountName || c.account_name || c.account_id;

/**
 * The owner a case writes to: the one stored on it (docs/emails.md). The mapping changes it only through
 * the `route` transition; without a mapping, or when it lacks the account, the stored one stays.
 */
export const caseOwner = (c: CaseRecord, finops: string): Owner => ({
  accountId: c.account_id,
  ownerEmail: c.owner_email ?? finops,
  accountName: c.owner_account_name,
  team: c.owner_team,
  cc: [...c.owner_cc],
  routed: c.routed ?? false,
});

/** Emails a transition can make due; the digest and the run alert are not per case. */
export type CaseMessageKind = Exclude<MessageKind, 'finops-digest' | 'run-alert'>;

export const SEVERITY_RANK: Record<Severity, number> = { medium: 1, high: 2, critical: 3 };
export const KIND_RANK: Record<CaseMessageKind, number> = { 'owner-alert': 1, reminder: 2, escalation: 3 };

/** What a transition makes due besides its events: an email, or a kill-switch check or release (docs/storage.md "Actions"). */
export type ActionKind = CaseMessageKind | 'kill-switch';

/**
 * Why a stop is lifted (docs/kill-switch.md "Release"): the owner's answer, the case closing otherwise,
 * FinOps (the CLI or the digest's signed link), or the policy found gone by reconciliation.
 */
export type KillSwitchReleaseCause =
  | 'answer-stopped'
  | 'answer-legitimate'
  | 'case-resolved'
  | 'case-suppressed'
  | 'finops-cli'
  | 'finops-link'
  | 'policy-gone';

/**
 * A kill-switch due item: `check` when the case opened, re-opened or rose (the executor decides whether
 * it engages), `release` when the stop it engaged is to be lifted.
 */
export type KillSwitchDue =
  | { action: 'check'; change: 'opened' | 'reopened' | 'rose' }
  | { action: 'release'; cause: KillSwitchReleaseCause; by: string | null };

/** An email kind (the action runner's email executor carries these out). */
export const isEmailDue = (item: Pick<DueItem, 'kind'>): boolean => item.kind in KIND_RANK;

/**
 * One transition's pending action. `message_id` is the claim: the id of the unit (a message) the
 * delivery step put it in, set before that unit is logged.
 */
export interface DueItem {
  event_id: string;
  kind: ActionKind;
  /** The alert is due because severity rose (update banner), not because the case opened. */
  raised: boolean;
  message_id: string | null;
  /** kind `kill-switch` only: what to check or do. */
  kill_switch?: KillSwitchDue;
}

/**
 * What the kill switch did about a case (docs/kill-switch.md): `engaged` (the stop is attached for this
 * case), `would-engage` (dry-run: enforce mode would have), `escalated` (max_engaged reached: FinOps got
 * the case as an escalation instead), `released` (the stop it engaged was lifted).
 */
export interface CaseKillSwitch {
  status: 'engaged' | 'would-engage' | 'escalated' | 'released';
  /** The epoch the decision was made in (emails speak of it only in that epoch). */
  epoch: number;
  /** When the decision was recorded. */
  at: string;
  /** The stop policy and when it was first attached (engaged, released). */
  policy_id: string | null;
  engaged_at: string | null;
  /** Why, as the case event and the emails tell it. */
  explanation: string;
  /** What made the case qualify, and at which severity. */
  change: 'opened' | 'reopened' | 'rose' | null;
  severity: Severity;
  /** `kill_switch.break_glass_role` when it was decided: who may still call Bedrock. */
  break_glass_role: string | null;
  released_at: string | null;
  released_by: KillSwitchReleaseCause | null;
  /** Who released it, when a person did (the answer's `by`, the CLI's `--by`). */
  released_by_whom: string | null;
}

export interface CaseAnswer {
  answer: Answer;
  at: string;
  note: string | null;
  by: string | null;
  epoch: number;
}

export type NotificationStatus = 'sending' | 'sent' | 'failed' | 'rejected';

export interface CaseMessageRef {
  message_id: string;
  kind: CaseMessageKind;
  epoch: number;
  at: string;
  /** The Message-ID header it went out with, once sent (later messages of the case reply to it). */
  message_id_header?: string | null;
}

export interface RefusedAddress {
  address: string;
  epoch: number;
  error: string;
  at: string;
  reported: boolean;
}

/** A transition as the FinOps digest lists it. */
export interface DigestChange {
  event_id: string;
  from_state: CaseState | null;
  to_state: CaseState;
  at: string;
}

/** One line of `case-events/event_date=<date>/<event_id>.json`; also the EventBridge detail. */
export interface CaseEvent {
  event_id: string;
  case_key: string;
  epoch: number;
  /** The plain transition name (`reminded`); `occurrence` says which time within the epoch. */
  transition: string;
  /** 1 for the first such transition of the epoch, 2 for the next (docs/storage.md). */
  occurrence: number;
  detail_type: EventDetailType;
  from_state: CaseState | null;
  to_state: CaseState;
  time: string;
  detector: DetectorId;
  kind: FindingKind;
  account_id: string;
  account_name: string;
  model: string | null;
  owner_email: string | null;
  /** The severity the emails show (docs/emails.md "The episode"): on the projection while ongoing, on the excess so far once ended. */
  severity: Severity;
  /** The highest severity of the epoch (an update alert goes out when it rises). */
  peak_severity: Severity;
  /**
   * The episode as the case holds it at this transition, the figures its emails print (docs/emails.md,
   * `episodeFigures`): the peak's value and what it measures, its day and its finding's as-of day, the
   * days the spike ran, ongoing or ended, the end day, the rate since and the excess so far, the newest
   * day's figure, the mean over the spike and the 30-day projection (ongoing only).
   */
  peak_value: number;
  peak_metric: PeakMetric;
  peak_day: IsoDate;
  peak_as_of: IsoDate;
  spike_from: IsoDate;
  spike_to: IsoDate;
  ongoing: boolean;
  end_day: IsoDate | null;
  rate_since_usd: number | null;
  excess_so_far_usd: number;
  latest_day: IsoDate;
  latest_daily_usd: number;
  mean_daily_usd: number;
  projected_30d_excess_usd: number | null;
  /** A re-opened epoch's opening event: the state it re-opened from, and whether spend contradicted a resolution. */
  reopened_from: ClosedState | null;
  contradicted: boolean;
  as_of: IsoDate;
  deadline: string | null;
  resolved_on: IsoDate | null;
  answer: Answer | null;
  note: string | null;
  /** `Kill Switch …` events only: what the kill switch did (docs/events.md "Kill switch events"). */
  kill_switch?: KillSwitchEventDetail;
}

/** The kill switch's part of a `Kill Switch …` case event. */
export interface KillSwitchEventDetail {
  mode: 'dry-run' | 'enforce' | 'off';
  policy_id: string | null;
  engaged_at: string | null;
  explanation: string;
  released_by: KillSwitchReleaseCause | null;
  /** The case did not record it: reconciliation found the stop attached, or gone. */
  reconciled: boolean;
}

/**
 * How an epoch began when it re-opened a closed case (docs/cases.md "Suppression and re-opening"): the
 * answer that closed the earlier epoch, which the owner alert quotes, and — for a resolution the spend
 * since contradicts — the days after `resolved_on` above the finding's band.
 */
export interface ReopenedFrom {
  from_state: ClosedState;
  epoch: number;
  resolved_on: IsoDate | null;
  /** The `stopped` or `legitimate` answer that closed the earlier epoch (null: closed without one). */
  answer: CaseAnswer | null;
  /** Days after `resolved_on` above the band (runaway: cost; cache-miss: hit ratio); empty unless contradicted. */
  contradicting_days: SeriesPoint[];
}

/** What one source of findings saw of a case's epoch (docs/cases.md "One case, two sources"). */
export interface SourceSeen {
  /** When the case first recorded a finding of this source in the epoch (the run's clock). */
  first_at: string;
  /** What that finding covered: the bill's as-of day, or the watch's first firing hour. */
  first_covered: string;
  /** The newest it covered since (the bill's newest as-of day, the watch's newest hour judged). */
  last_covered: string;
}

/** Per source, what it saw of the epoch; a source that has not seen it is null. */
export interface CaseSources {
  bill: SourceSeen | null;
  metrics: SourceSeen | null;
}

export interface CaseRecord {
  case_key: string;
  /** Incremented by every write; the blob version token guards the write itself. */
  version: number;
  epoch: number;
  state: CaseState;
  detector: DetectorId;
  kind: FindingKind;
  account_id: string;
  account_name: string;
  model: string | null;
  /** The owner, cc, team and mapped account name the case writes to (docs/emails.md: kept without a mapping). */
  owner_email: string | null;
  routed: boolean | null;
  owner_cc: string[];
  owner_team: string | null;
  owner_account_name: string | null;
  opened_at: string;
  first_as_of: IsoDate;
  last_as_of: IsoDate;
  latest: Finding;
  peak_severity: Severity;
  /** The epoch's peak of what the detector's peak measures (`peak_metric`). */
  peak_value: number;
  /** What `peak_value` measures. */
  peak_metric: PeakMetric;
  /** The finding with the highest peak value of the epoch: the headline numbers and their dates. */
  peak: Finding;
  /** The episode of the epoch (docs/emails.md): recorded by every detection run that evaluates the detector. */
  episode: CaseEpisode;
  notified_at: string | null;
  notified_run_id: string | null;
  /** The newest as-of day the run that alerted the owner evaluated: auto-resolve counts quiet days after it. */
  notified_through: IsoDate | null;
  deadline: string | null;
  reminders: number;
  /**
   * Per-transition counter of the epoch (`{ reminded: 2 }`), written in the same conditional write
   * as the transition it counts, never recounted from history (docs/storage.md).
   */
  occurrences: Record<string, number>;
  /** Evaluated as-of days after `last_as_of` without a finding (auto-resolve). */
  quiet_days: IsoDate[];
  suppressed_at: string | null;
  suppressed_peak: number | null;
  suppressed_kind: FindingKind | null;
  resolved_on: IsoDate | null;
  closed_at: string | null;
  /** Set when the epoch re-opened a closed case (null in epoch 1). */
  reopened: ReopenedFrom | null;
  answers: CaseAnswer[];
  messages: CaseMessageRef[];
  due: DueItem[];
  events_due: CaseEvent[];
  /** Transitions not yet reported by a FinOps digest. */
  undigested: DigestChange[];
  refused: RefusedAddress[];
  /** Which source saw the epoch first, and when (the digest says it); case files from before have none. */
  sources?: CaseSources | null;
  /** What the kill switch did about the case (absent in case files from before it, and when it did nothing). */
  kill_switch?: CaseKillSwitch | null;
  updated_at: string;
}

/** The notification log entry `notifications/<message_id>.json`: what was (to be) sent, and how it went. */
export interface NotificationEntry {
  message_id: string;
  kind: MessageKind;
  status: NotificationStatus;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  html: string;
  text: string;
  cases: { case_key: string; epoch: number; event_ids: string[] }[];
  created_at: string;
  updated_at: string;
  attempts: number;
  provider_message_id: string | null;
  /** The Message-ID header the message went out with (`<…>`), once sent. */
  message_id_header?: string | null;
  /** Reply-To and the threading headers it was sent with (docs/emails.md "Threading"). */
  reply_to?: string[];
  in_reply_to?: string | null;
  references?: string[];
  /** Pilot mode (`notify.pilot`): the recipients it would have had; it went to FinOps instead. */
  pilot_for?: { to: string[]; cc: string[] } | null;
  error: string | null;
  refused: string[];
}

export const hashId = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);

/**
 * Deterministic (case key, epoch, transition, occurrence): a retried transition rewrites the same
 * event, while one that truly happens again in the epoch is a new event.
 */
export const caseEventId = (caseKey: string, epoch: number, transition: string, occurrence: number): string =>
  hashId('case-event', caseKey, String(epoch), transition, String(occurrence));

export const caseBlobKey = (caseKey: string): string => `cases/${caseKey}.json`;
export const killSwitchEngaged = (c: Pick<CaseRecord, 'kill_switch'>): boolean =>
  c.kill_switch?.status === 'engaged';

export const caseEventBlobKey = (event: CaseEvent): string =>
  `case-events/event_date=${event.time.slice(0, 10)}/${event.event_id}.json`;
export const notificationBlobKey = (messageId: string): string => `notifications/${messageId}.json`;
