/**
 * The data a message template receives (docs/emails.md). Case logic builds it; templates only format it.
 * Numbers are raw (templates format money and ratios with helpers); strings are unescaped
 * (Handlebars escapes them in HTML; the text part uses them as they are).
 */
import type { Answer, CaseSources, MessageKind } from '../cases/model.js';
import type { TroubledRun } from '../health.js';
import type { Finding, IsoDate, SeriesPoint, Severity } from '../types.js';

/** The answers an owner can give, in the order emails offer them. */
export const ANSWERS: readonly Answer[] = ['stopped', 'legitimate', 'investigating'];

export const MESSAGE_KINDS: readonly MessageKind[] = [
  'owner-alert',
  'reminder',
  'escalation',
  'finops-digest',
];

/** Every kind the renderer knows (here, not in render.ts, so `--help` loads no templating): the four messages about cases, and FinOps' run alert. */
export const RENDERED_KINDS: readonly MessageKind[] = [...MESSAGE_KINDS, 'run-alert'];

export type { Answer, MessageKind };

export interface AnswerAction {
  answer: Answer;
  label: string; // "It is stopped or bounded", "It is legitimate", "Investigating"
  /** Signed https link when ack_base_url is configured, else null. */
  url: string | null;
  /** `sentinel ack --case … --answer …` when there is no link. */
  command: string | null;
}

/** The episode figures a message prints; templates format them, never compute them. */
export interface EpisodeView {
  ongoing: boolean;
  /** The days the spike ran: the peak's `started_on` (or recent window start) to its recent end, or to the day before the end day. */
  spikeFrom: IsoDate;
  spikeTo: IsoDate;
  endDay: IsoDate | null;
  /** Mean daily figure from the end day through the newest evaluated day (null: none recorded). */
  rateSinceUsd: number | null;
  excessSoFarUsd: number;
  newestEvaluated: IsoDate | null;
  /** The peak is not the latest finding: the latest rate is shown beside it. */
  peakIsLatest: boolean;
  /** Ended before the first alert went out (a catch-up that finds a spike already over). */
  endedBeforeFirstEmail: boolean;
  /**
   * Days the case recorded after the latest finding's series, through the newest evaluated day
   * (quiet days once a spike ended): the chart shows them after the finding's own days.
   */
  laterDays: SeriesPoint[];
  /** The newest evaluated day and its figure (runaway: that day's cost, the rate an ongoing episode is told at). */
  latestDay: IsoDate;
  latestDailyUsd: number;
  /** The mean daily figure over the spike's days, and how many days they are. */
  meanDailyUsd: number;
  spikeDays: number;
  /** The baseline the figures are told against (the latest finding's while ongoing, the peak's once ended). */
  baselineUsd: number;
  /** latest, mean and peak ÷ baseline (null for a new spender). */
  latestRatio: number | null;
  meanRatio: number | null;
  peakRatio: number | null;
  /** Ongoing: the latest day's excess per day and over 30 days (null once ended). */
  excessDailyUsd: number | null;
  projected30dUsd: number | null;
  /** The severity shown: on the projection while ongoing, on the excess so far once ended. */
  severity: Severity;
  /** The peak: runaway, the highest day and its date; cache-miss, the peak window's avoidable cost and its last day. */
  peakValue: number;
  peakDay: IsoDate;
  /** Ongoing, and the highest day came before the newest and cost more: the body says "It peaked at …". */
  peakEarlier: boolean;
  /** Ongoing, and the newest day's excess has fallen under half the highest day's: the subject gives both. */
  pastPeak: boolean;
  /** Runaway: what a day must cost to count as above the baseline; cache-miss: the hit ratio a day must reach, and the one its avoidable cost assumes. */
  bandDailyUsd: number | null;
  bandHitRatio: number | null;
  expectedHitRatio: number | null;
}

/** A re-opened epoch (docs/cases.md "Suppression and re-opening"): what closed the earlier one, and what contradicts it. */
export interface ReopenedView {
  fromState: 'resolved' | 'suppressed';
  resolvedOn: IsoDate | null;
  /** The `stopped` or `legitimate` answer that closed the earlier epoch (null: closed without one). */
  answer: { answer: Answer; at: string; note: string | null; by: string | null } | null;
  /** Days after `resolved_on` above the band: the spend that contradicts the resolution (empty: none). */
  contradictingDays: SeriesPoint[];
}

/**
 * What the kill switch did about a case, as its emails tell it (docs/kill-switch.md): `engaged` (Bedrock
 * inference in the account is denied since `since`), `would-engage` (dry-run: enforce mode would have
 * denied it from `since`), `escalated` (max_engaged reached), `released`.
 */
export interface KillSwitchView {
  status: 'engaged' | 'would-engage' | 'escalated' | 'released';
  /** When the stop was attached, or (dry-run, escalated) when the switch decided. */
  since: string;
  /** What made the case qualify: `this critical case (runaway Bedrock spend) opened`. */
  why: string;
  /** The decision's sentence (escalated: how many accounts are stopped already). */
  explanation: string;
  severity: Severity;
  policyId: string | null;
  /** The role pattern the stop leaves untouched (null: nobody in the account can call Bedrock inference). */
  breakGlassRole: string | null;
  releasedAt: string | null;
  /** `the owner answered that the spend is stopped`, … */
  releasedHow: string | null;
}

export interface CaseSection {
  caseKey: string;
  epoch: number;
  state: string; // open | reminded | escalated | acknowledged | resolved | suppressed
  accountId: string;
  accountName: string;
  team: string | null;
  ownerEmail: string;
  /** false: the account is not in the owners mapping and FinOps owns the case. */
  routed: boolean;
  detector: Finding['detector'];
  kind: Finding['kind'];
  /** The latest finding of the case (breakdown, chart, latest rate and projection). */
  finding: Finding;
  /** The peak finding of the epoch: the headline numbers and their dates (docs/emails.md). */
  peak: Finding;
  /** The episode as the case holds it, computed once in core (docs/emails.md "The episode"). */
  episode: EpisodeView;
  firstAsOf: IsoDate;
  /** The highest severity of the epoch (an update alert goes out when it rises). */
  peakSeverity: Finding['severity'];
  /** Set when this epoch re-opened a closed case: the alert says first what closed it and why it is open again. */
  reopened: ReopenedView | null;
  /** true when this alert is sent because the severity rose (update banner). */
  severityRaised: boolean;
  notifiedAt: string | null; // ISO time
  deadline: string | null; // ISO time
  answers: { answer: Answer; at: string; note: string | null; by: string | null }[];
  actions: AnswerAction[];
  /** What each source (the bill, Bedrock's usage metrics) saw of the epoch, and when (null: not recorded). */
  sources?: CaseSources | null;
  /** What the kill switch did about the case in this epoch (a stop in place whatever the epoch); null: nothing. */
  killSwitch?: KillSwitchView | null;
}

export interface MessageData {
  kind: MessageKind;
  generatedAt: string; // ISO time
  recipient: { to: string[]; cc: string[] };
  /** Pilot mode (`notify.pilot`): who the message was for; it goes to FinOps (`recipient`) with a banner. */
  pilot?: { to: string[]; cc: string[] } | null;
  followUpHours: number;
  /** Owner alert, reminder, escalation: the cases reported. A digest lists `digest.escalated` instead. */
  sections: CaseSection[];
  /** Who the copy names as FinOps and the escalation list (`notify.finops`, `notify.escalation`). */
  contacts?: { finops: string; escalation: string[] };
  /** run-alert only: detection failed, or found the export stale (docs/emails.md "When detection is in trouble"). */
  runAlert?: {
    kind: 'stale' | 'failed';
    /** The first run of the condition and the latest. */
    since: TroubledRun;
    latest: TroubledRun;
    /** `schedule.detect`, for "the next scheduled run". */
    schedule: string;
  };
  /** finops-digest only. */
  digest?: {
    /** When the previous digest went out (null: the first digest). */
    since?: string | null;
    /** Detection runs that failed or found the export stale since the last digest: the digest opens with them. */
    troubledRuns?: TroubledRun[];
    stateCounts: Record<string, number>;
    /**
     * What the live cases put at risk: the sum of the ongoing cases' 30-day projections, and what the
     * live cases spent above their baselines (or avoidably) so far.
     */
    atRisk: { projected30dUsd: number; ongoingCases: number; excessSoFarUsd: number; liveCases: number };
    changes: {
      caseKey: string;
      accountId: string;
      accountName: string;
      from: string | null;
      to: string;
      at: string;
      /** What the case is, as every digest line says it (docs/emails.md): kind, severity, episode figure. */
      kind: Finding['kind'];
      severity: Finding['severity'];
      ownerEmail: string;
      routed: boolean;
      /** The case as its emails tell it now: the section the digest line's headline is told from. */
      section: CaseSection;
      state: string;
    }[];
    /** Live cases FinOps owns because their account is not mapped, with how long they have been open. */
    unroutable: {
      accountId: string;
      accountName: string;
      caseKey: string;
      openedAt: string;
      /** Whole days since the epoch opened (the digest lists it until the mapping is fixed). */
      ageDays: number;
      state: string;
    }[];
    refusedAddresses: { address: string; caseKey: string; error: string }[];
    failedMessages: { messageId: string; kind: MessageKind; error: string }[];
    escalated: CaseSection[];
    /** The kill switch (docs/kill-switch.md): null when the deployment has none. */
    killSwitch?: DigestKillSwitch | null;
  };
}

/** The digest's kill switch part: what is stopped now, and what the switch did since the last digest. */
export interface DigestKillSwitch {
  mode: 'off' | 'dry-run' | 'enforce';
  /** Every account stopped now, with how long it has been and the way to lift it. */
  engaged: {
    accountId: string;
    accountName: string;
    caseKey: string;
    caseState: string;
    since: string;
    /** Whole hours since it was engaged, and the same in words ("2 days 3 h"). */
    ageHours: number;
    age: string;
    release: { url: string | null; command: string | null };
  }[];
  /** Since the last digest: what enforce mode would have stopped (dry-run), what it could not (max_engaged), what was lifted. */
  wouldEngage: { accountId: string; accountName: string; caseKey: string; at: string; why: string }[];
  escalated: { accountId: string; accountName: string; caseKey: string; at: string; explanation: string }[];
  released: { accountId: string; accountName: string; caseKey: string; at: string; how: string }[];
  /** Engagements and releases that failed in this step (retried by every run and follow-up). */
  failed: { accountId: string; caseKey: string; action: string; error: string }[];
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}
