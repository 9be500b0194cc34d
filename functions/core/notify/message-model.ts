/**
 * The data a message template receives (docs/emails.md). Case logic builds it; templates only format it.
 * Numbers are raw (templates format money and ratios with helpers); strings are unescaped
 * (Handlebars escapes them in HTML; the text part uses them as they are).
 */
import type { PeakMetric } from '../cases/episode.js';
import type { Answer, MessageKind } from '../cases/model.js';
import type { Finding, IsoDate, SeriesPoint } from '../types.js';

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
  /** Days the spend has run above the band (started_on .. as_of), runaway only. */
  daysAbove: number | null;
  peakSeverity: Finding['severity'];
  /** true when this alert is sent because the severity rose (update banner). */
  severityRaised: boolean;
  notifiedAt: string | null; // ISO time
  deadline: string | null; // ISO time
  answers: { answer: Answer; at: string; note: string | null; by: string | null }[];
  actions: AnswerAction[];
}

export interface MessageData {
  kind: MessageKind;
  generatedAt: string; // ISO time
  recipient: { to: string[]; cc: string[] };
  followUpHours: number;
  /** Owner alert, reminder, escalation: the cases reported. A digest lists `digest.escalated` instead. */
  sections: CaseSection[];
  /** Who the copy names as FinOps and the escalation list (`notify.finops`, `notify.escalation`). */
  contacts?: { finops: string; escalation: string[] };
  /** finops-digest only. */
  digest?: {
    /** When the previous digest went out (null: the first digest). */
    since?: string | null;
    stateCounts: Record<string, number>;
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
      /** The peak's figure: $/day (runaway) or avoidable $ (cache-miss), and whether the episode ended. */
      peakValue: number;
      peakMetric: PeakMetric;
      /** The peak in words, by its detector (`$132.05/day`, `$808.54 avoidable`). */
      peakText: string;
      ongoing: boolean;
      state: string;
    }[];
    unroutable: { accountId: string; accountName: string; caseKey: string }[];
    refusedAddresses: { address: string; caseKey: string; error: string }[];
    failedMessages: { messageId: string; kind: MessageKind; error: string }[];
    escalated: CaseSection[];
  };
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}
