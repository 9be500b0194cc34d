/**
 * The case state machine of docs/cases.md as ONE table (state × event → next state + effects) and one
 * function that applies it. Pure: time comes from the context, owners from the input.
 * Rows are tried in order; the first whose state, event and condition match applies.
 */
import { addDays, utcDay } from '../dates.js';
import { caseDetectorOfFinding, detectorFor, sourceOfFinding } from '../detect/registry.js';
import type { EventDetailType } from '../events.js';
import type { Owner } from '../ports.js';
import type { DailyFigures, Finding, FindingSource, IsoDate, SeriesPoint } from '../types.js';
import {
  computeEpisode,
  DEFAULT_BAND,
  type EpisodeBand,
  emptyEpisode,
  episodeFigures,
  peakMetricOf,
  peakValueOf,
  recordDays,
  recordSeries,
} from './episode.js';
import type { Answer, CaseSources } from './model.js';
import {
  type CaseAnswer,
  type CaseEvent,
  type CaseMessageKind,
  type CaseRecord,
  type CaseState,
  type ClosedState,
  caseEventId,
  isLive,
  type KillSwitchEventDetail,
  type KillSwitchReleaseCause,
  LIVE_STATES,
  SEVERITY_RANK,
} from './model.js';

export interface CaseRules {
  followUpHours: number;
  autoResolveDays: number;
  suppressDays: number;
  resuppressGrowth: number;
  /** The detectors' bands, for the episode's end day (default k 2, hit-ratio drop 0.2). */
  band?: EpisodeBand;
  /**
   * The kill switch's detectors when its mode is not `off` (docs/kill-switch.md): a case of theirs that
   * opens, re-opens or rises gets a kill-switch check due. Absent or null: no check (a stop already in
   * place is still released when its case closes, in every mode).
   */
  killSwitch?: { detectors: readonly string[] } | null;
}

export interface TransitionContext {
  now: Date;
  rules: CaseRules;
}

export type CaseInput =
  | {
      type: 'finding';
      finding: Finding;
      /** A catch-up day or within `notify_max_age_days` of the default as-of day (docs/cases.md row 1). */
      mayOpen: boolean;
      runId: string;
      /** The directory's owner (FinOps when unmapped): stored when the case has none, or when mapped. */
      owner: Owner | null;
      /** The daily figures the run read for the case (docs/emails.md "The episode"), on its last input of the run. */
      days?: DailyFigures[];
    }
  /** The owners mapping names this owner for the account (docs/emails.md: the current mapping wins). */
  | { type: 'route'; owner: Owner }
  | {
      type: 'answer';
      answer: Answer;
      note: string | null;
      by: string | null;
      /** The epoch the answer was given for (link or --epoch); null: the current one. */
      epoch: number | null;
      defaultAsOf: IsoDate;
    }
  | { type: 'deadline' }
  /** Evaluated as-of days of this run without a finding for the case (auto-resolve). */
  | {
      type: 'quiet';
      days: IsoDate[];
      runId: string;
      /** The daily figures the run read for the case, quiet days included (docs/emails.md "The episode"). */
      figures?: DailyFigures[];
    }
  | { type: 'expiry' };

export type CaseInputType = CaseInput['type'];
type From = CaseState | 'none';

type Effect =
  | 'open-epoch'
  | 'record-contradiction'
  | 'record-finding'
  | 'alert-due'
  | 'update-alert-due'
  | 'reminder-due'
  | 'escalation-due'
  | 'notified-now'
  | 'deadline-from-now'
  | 'deadline-none'
  | 'count-reminder'
  | 'record-answer'
  | 'record-quiet-days'
  | 'resolved-on-default-as-of'
  | 'resolved-on-quiet-day'
  | 'resolved-on-expiry'
  | 'suppress-at-peak'
  | 'set-route'
  | 'kill-switch-check'
  | 'close';

interface Subject {
  c: CaseRecord | null;
  input: CaseInput;
  ctx: TransitionContext;
}

export interface TransitionRow {
  from: readonly From[];
  on: CaseInputType;
  /** The condition in the words of docs/cases.md (shown by tests and the table printout). */
  when: string;
  guard?: (s: Subject) => boolean;
  /** 'same': state unchanged; 'none': no case (nothing stored). */
  to: CaseState | 'same' | 'none';
  effects: readonly Effect[];
  event?: EventDetailType;
  /** The input is refused (answers on closed cases, old epochs); nothing changes. */
  refuse?: (s: Subject) => string;
}

const LIVE = LIVE_STATES;
const ALL: readonly From[] = [...LIVE_STATES, 'resolved', 'suppressed'];
const H_MS = (ctx: TransitionContext) => ctx.rules.followUpHours * 3_600_000;

const finding = (s: Subject): Finding | null => (s.input.type === 'finding' ? s.input.finding : null);
const mayOpen = (s: Subject): boolean => s.input.type === 'finding' && s.input.mayOpen;
const answerIs = (s: Subject, answer: Answer): boolean =>
  s.input.type === 'answer' && s.input.answer === answer;
const deadlinePassed = (s: Subject): boolean =>
  s.c?.deadline != null && s.ctx.now.getTime() >= Date.parse(s.c.deadline);
const oldEpoch = (s: Subject): boolean =>
  s.input.type === 'answer' && s.input.epoch !== null && s.c !== null && s.input.epoch !== s.c.epoch;
const investigatedThisEpoch = (c: CaseRecord | null): boolean =>
  c?.answers.some((a) => a.epoch === c.epoch && a.answer === 'investigating') ?? false;

const sameAddress = (a: string | null, b: string): boolean =>
  a?.trim().toLowerCase() === b.trim().toLowerCase();

function routeChangesOwner(c: CaseRecord, owner: Owner): boolean {
  return !sameAddress(c.owner_email, owner.ownerEmail) || c.routed !== owner.routed;
}

/**
 * The quiet days that count toward auto-resolve: evaluated as-of days after the case's latest finding
 * and after the newest day its owner was alerted about (`notified_through`). A rerun of the days the
 * alert already covered does not resolve the case the owner was just asked about.
 */
function quietDaysAfter(c: CaseRecord, input: CaseInput): IsoDate[] {
  const floor = c.notified_through && c.notified_through > c.last_as_of ? c.notified_through : c.last_as_of;
  const added = input.type === 'quiet' ? input.days.filter((d) => d > floor) : [];
  return [...new Set([...c.quiet_days.filter((d) => d > floor), ...added])].sort();
}

function suppressionEnd(c: CaseRecord, ctx: TransitionContext): number {
  return Date.parse(c.suppressed_at ?? '') + ctx.rules.suppressDays * 86_400_000;
}

const bandOf = (ctx: TransitionContext): EpisodeBand => ctx.rules.band ?? DEFAULT_BAND;

/**
 * The finding's days after `resolved_on` above its band (runaway: baseline + k·σ; cache-miss: hit
 * ratio still `min_hit_ratio_drop` below the baseline): the spend that contradicts a resolution.
 */
export function contradictingDays(f: Finding, resolvedOn: IsoDate, band: EpisodeBand): SeriesPoint[] {
  const above = detectorFor(f).aboveBand(f, band);
  return f.series.filter((p) => p.date > resolvedOn && p.date <= f.as_of && above(p));
}

const contradicts = (s: Subject): boolean => {
  const f = finding(s);
  const resolvedOn = s.c?.resolved_on;
  if (!mayOpen(s) || !f || !resolvedOn || f.as_of <= resolvedOn) return false;
  return contradictingDays(f, resolvedOn, bandOf(s.ctx)).length > 0;
};

/** The severity the case would show once this finding is recorded (docs/emails.md "The episode"). */
function severityAfterFinding(s: Subject): Finding['severity'] | null {
  if (!s.c || s.input.type !== 'finding') return null;
  const c = structuredClone(s.c);
  applyEffect(c, 'record-finding', { ...s, c }, c.state);
  recordEpisode(c, s.input, s.ctx);
  return c.episode.told?.severity ?? null;
}

export const TRANSITIONS: readonly TransitionRow[] = [
  // ── findings ────────────────────────────────────────────────────────────────────────────
  {
    from: ['none'],
    on: 'finding',
    when: 'a catch-up day or within notify_max_age_days of the default as-of day',
    guard: mayOpen,
    to: 'open',
    effects: ['open-epoch', 'alert-due', 'notified-now', 'deadline-from-now', 'kill-switch-check'],
    event: 'Case Opened',
  },
  {
    from: ['none'],
    on: 'finding',
    when: 'any other finding (an explicit backfill of old days)',
    to: 'none',
    effects: [],
  },
  {
    from: LIVE,
    on: 'finding',
    when: 'the severity shown, once it is recorded, above the epoch peak severity',
    guard: (s) => {
      if (!mayOpen(s) || s.c === null) return false;
      const after = severityAfterFinding(s);
      return after !== null && SEVERITY_RANK[after] > SEVERITY_RANK[s.c.peak_severity];
    },
    to: 'same',
    effects: ['record-finding', 'update-alert-due', 'kill-switch-check'],
    event: 'Case Updated',
  },
  {
    from: LIVE,
    on: 'finding',
    when: 'any finding: latest numbers and peak in the case file only',
    to: 'same',
    effects: ['record-finding'],
  },
  {
    from: ['resolved'],
    on: 'finding',
    when: 'may open and its recent window starts after resolved_on',
    guard: (s) =>
      mayOpen(s) &&
      s.c?.resolved_on != null &&
      // The watch's windows are hours: the day of its first hour is what counts.
      (finding(s)?.recent_start ?? '').slice(0, 10) > s.c.resolved_on,
    to: 'open',
    effects: ['open-epoch', 'alert-due', 'notified-now', 'deadline-from-now', 'kill-switch-check'],
    event: 'Case Opened',
  },
  {
    from: ['resolved'],
    on: 'finding',
    when: 'may open, its as-of day is after resolved_on and a day since resolved_on is above its band: the resolution is contradicted',
    guard: contradicts,
    to: 'open',
    effects: [
      'open-epoch',
      'record-contradiction',
      'alert-due',
      'notified-now',
      'deadline-from-now',
      'kill-switch-check',
    ],
    event: 'Case Opened',
  },
  {
    from: ['resolved'],
    on: 'finding',
    when: 'its recent window still holds days up to resolved_on and no day since is above its band (or an old backfill)',
    to: 'same',
    effects: [],
  },
  {
    from: ['suppressed'],
    on: 'finding',
    when: 'may open and of another kind, or at least resuppress_growth × the peak at answer time',
    guard: (s) => {
      const f = finding(s);
      if (!mayOpen(s) || !f || !s.c) return false;
      if (f.kind !== s.c.suppressed_kind) return true;
      return peakValueOf(f) >= s.ctx.rules.resuppressGrowth * (s.c.suppressed_peak ?? 0);
    },
    to: 'open',
    effects: ['open-epoch', 'alert-due', 'notified-now', 'deadline-from-now', 'kill-switch-check'],
    event: 'Case Opened',
  },
  { from: ['suppressed'], on: 'finding', when: 'any other finding', to: 'same', effects: [] },

  // ── routing (run and follow-up, with a mapping that has the account) ─────────────────────
  {
    from: LIVE,
    on: 'route',
    when: 'the mapping names another owner: the new owner gets an owner alert, deadline unchanged',
    guard: (s) => s.input.type === 'route' && s.c !== null && routeChangesOwner(s.c, s.input.owner),
    to: 'same',
    effects: ['set-route', 'alert-due'],
    event: 'Case Rerouted',
  },
  {
    from: ALL,
    on: 'route',
    when: 'the same owner (cc, team or name refreshed), or a closed case',
    to: 'same',
    effects: ['set-route'],
  },
  { from: ['none'], on: 'route', when: 'no case: nothing', to: 'none', effects: [] },

  // ── deadlines (follow-up and run) ────────────────────────────────────────────────────────
  {
    from: ['open', 'acknowledged'],
    on: 'deadline',
    when: 'the deadline passed without stopped/legitimate',
    guard: deadlinePassed,
    to: 'reminded',
    effects: ['count-reminder', 'reminder-due', 'deadline-from-now'],
    event: 'Case Reminded',
  },
  {
    from: ['reminded'],
    on: 'deadline',
    when: 'the deadline passed, no answer',
    guard: deadlinePassed,
    to: 'escalated',
    effects: ['escalation-due', 'deadline-none'],
    event: 'Case Escalated',
  },
  {
    from: ALL,
    on: 'deadline',
    when: 'no deadline passed (escalated: nothing more)',
    to: 'same',
    effects: [],
  },
  { from: ['none'], on: 'deadline', when: 'no case: nothing', to: 'none', effects: [] },

  // ── answers ──────────────────────────────────────────────────────────────────────────────
  {
    from: ['none'],
    on: 'answer',
    when: 'no such case',
    to: 'none',
    effects: [],
    refuse: () => 'there is no case with this key in the case store',
  },
  {
    from: ALL,
    on: 'answer',
    when: 'the answer names an earlier epoch (a link from before a re-open)',
    guard: oldEpoch,
    to: 'same',
    effects: [],
    refuse: (s) =>
      `this answer is for an earlier occurrence of the case (epoch ${s.input.type === 'answer' ? s.input.epoch : '?'}); ` +
      `it was re-opened since (epoch ${s.c?.epoch}) — answer the most recent email`,
  },
  {
    from: ['resolved', 'suppressed'],
    on: 'answer',
    when: 'any answer on a closed case',
    to: 'same',
    effects: [],
    refuse: (s) =>
      `the case is closed (${s.c?.state}${s.c?.resolved_on ? ` on ${s.c.resolved_on}` : ''}); nothing changed`,
  },
  {
    from: ['open', 'reminded', 'escalated'],
    on: 'answer',
    when: 'investigating, the first in this epoch',
    guard: (s) => answerIs(s, 'investigating') && !investigatedThisEpoch(s.c),
    to: 'acknowledged',
    effects: ['record-answer', 'deadline-from-now'],
    event: 'Case Acknowledged',
  },
  {
    from: LIVE,
    on: 'answer',
    when: 'a later investigating: the note is recorded (no snoozing)',
    guard: (s) => answerIs(s, 'investigating'),
    to: 'same',
    effects: ['record-answer'],
  },
  {
    from: LIVE,
    on: 'answer',
    when: 'stopped (stopped or bounded)',
    guard: (s) => answerIs(s, 'stopped'),
    to: 'resolved',
    effects: ['record-answer', 'resolved-on-default-as-of', 'deadline-none', 'close'],
    event: 'Case Resolved',
  },
  {
    from: LIVE,
    on: 'answer',
    when: 'legitimate',
    guard: (s) => answerIs(s, 'legitimate'),
    to: 'suppressed',
    effects: ['record-answer', 'suppress-at-peak', 'deadline-none', 'close'],
    event: 'Case Suppressed',
  },

  // ── quiet days (auto-resolve) ────────────────────────────────────────────────────────────
  {
    from: LIVE,
    on: 'quiet',
    when: 'auto_resolve_days consecutive evaluated days without a finding, not in the run that notified',
    guard: (s) =>
      s.c !== null &&
      s.input.type === 'quiet' &&
      s.c.notified_run_id !== s.input.runId &&
      quietDaysAfter(s.c, s.input).length >= s.ctx.rules.autoResolveDays,
    to: 'resolved',
    effects: ['record-quiet-days', 'resolved-on-quiet-day', 'deadline-none', 'close'],
    event: 'Case Resolved',
  },
  { from: LIVE, on: 'quiet', when: 'fewer quiet days: counted', to: 'same', effects: ['record-quiet-days'] },
  { from: ['resolved', 'suppressed'], on: 'quiet', when: 'closed: nothing', to: 'same', effects: [] },
  { from: ['none'], on: 'quiet', when: 'no case: nothing', to: 'none', effects: [] },

  // ── suppression expiry (run and follow-up) ───────────────────────────────────────────────
  {
    from: ['suppressed'],
    on: 'expiry',
    when: 'suppress_days passed (never for a suppressed cache-absent)',
    guard: (s) =>
      s.c !== null &&
      s.c.suppressed_kind !== 'cache-absent' &&
      s.ctx.now.getTime() >= suppressionEnd(s.c, s.ctx),
    to: 'resolved',
    effects: ['resolved-on-expiry', 'close'],
    event: 'Case Resolved',
  },
  { from: ALL, on: 'expiry', when: 'otherwise nothing', to: 'same', effects: [] },
  { from: ['none'], on: 'expiry', when: 'no case: nothing', to: 'none', effects: [] },
];

export interface Applied {
  row: TransitionRow;
  /** The case after the input (null: still no case). */
  next: CaseRecord | null;
  changed: boolean;
  /** Set when the input is refused; `next` is the unchanged case. */
  refusal?: string;
  /** The case event this transition appended, if any. */
  event?: CaseEvent;
}

export function findRow(c: CaseRecord | null, input: CaseInput, ctx: TransitionContext): TransitionRow {
  const from: From = c ? c.state : 'none';
  const subject = { c, input, ctx };
  const row = TRANSITIONS.find(
    (r) => r.on === input.type && r.from.includes(from) && (!r.guard || r.guard(subject)),
  );
  // The table ends every event with a catch-all row, so this is a programming error.
  if (!row) throw new Error(`no case transition for state ${from} on ${input.type}`);
  return row;
}

/** Applies one input to a case (null: no case yet) by the table. Never mutates `current`. */
export function applyCaseInput(
  current: CaseRecord | null,
  input: CaseInput,
  ctx: TransitionContext,
): Applied {
  const row = findRow(current, input, ctx);
  const subject = { c: current, input, ctx };
  if (row.refuse) return { row, next: current, changed: false, refusal: row.refuse(subject) };
  if (row.to === 'none') return { row, next: current, changed: false };

  const before = current ? JSON.stringify(current) : '';
  const next = current ? structuredClone(current) : seedCase(input);
  if (row.to !== 'same') next.state = row.to;
  for (const effect of row.effects)
    applyEffect(next, effect, { ...subject, c: next }, current?.state ?? null);
  if (input.type === 'finding' && row.effects.some((e) => e === 'record-finding' || e === 'open-epoch'))
    recordSource(next, input.finding, ctx);
  // A run records what it evaluated on a case that was live, also in the transition that closes it.
  const evaluatedLive = isLive(next.state) || (current !== null && isLive(current.state));
  if ((input.type === 'finding' || input.type === 'quiet') && evaluatedLive) recordEpisode(next, input, ctx);
  let event: CaseEvent | undefined;
  if (row.event) {
    event = caseEvent(next, row.event, current?.state ?? null, input, ctx);
    next.events_due.push(event);
    next.undigested.push({
      event_id: event.event_id,
      from_state: event.from_state,
      to_state: event.to_state,
      at: event.time,
    });
    for (const item of next.due) if (item.event_id === DUE_PLACEHOLDER) item.event_id = event.event_id;
  }
  const changed = JSON.stringify(next) !== before;
  if (changed) next.updated_at = ctx.now.toISOString();
  return event ? { row, next, changed, event } : { row, next, changed };
}

/**
 * Records what a detection run saw on a live case (docs/emails.md "The episode"): the daily figures it read
 * (quiet days included, each day's avoidable cost against the peak as it stands), a finding's daily
 * series and as-of day, or the evaluated days without one, then recomputes the episode.
 */
function recordEpisode(c: CaseRecord, input: CaseInput, ctx: TransitionContext): void {
  // The bill has confirmed the case: the watch's estimates no longer tell its episode.
  if (input.type === 'finding' && underBill(c, input.finding)) return;
  const band = bandOf(ctx);
  const evaluated =
    input.type === 'finding' ? [input.finding.as_of] : input.type === 'quiet' ? input.days : [];
  let newest = c.episode.newest_evaluated;
  for (const d of evaluated) if (newest === null || d > newest) newest = d;
  const figures = input.type === 'finding' ? input.days : input.type === 'quiet' ? input.figures : undefined;
  let days = figures ? recordDays(c.episode.days, figures, c.peak, band) : c.episode.days;
  if (input.type === 'finding') days = recordSeries(days, input.finding);
  c.episode = computeEpisode(
    {
      peak: c.peak,
      latest: c.latest,
      lastFiring: c.last_as_of,
      newestEvaluated: newest,
      days,
      start: c.episode.spike_from,
      after: c.reopened?.from_state === 'resolved' ? c.reopened.resolved_on : null,
    },
    band,
  );
  // The peak value is the episode's (runaway: its highest recorded day).
  if (c.episode.told && c.episode.told.peak_value > c.peak_value) c.peak_value = c.episode.told.peak_value;
  // The epoch's peak severity is the highest the case has shown (an update alert goes out when it rises).
  const shown = c.episode.told?.severity;
  if (shown && SEVERITY_RANK[shown] > SEVERITY_RANK[c.peak_severity]) c.peak_severity = shown;
}

/**
 * One case, two sources (docs/cases.md): the bill confirms what the watch estimated. A metrics finding
 * on a case whose latest finding is the bill's changes nothing but the case's sources.
 */
const underBill = (c: CaseRecord, f: Finding): boolean =>
  sourceOfFinding(f) === 'metrics' && sourceOfFinding(c.latest) === 'bill';

/** The bill's first finding on a case the watch opened: its figures replace the estimate's. */
const billTakesOver = (c: CaseRecord, f: Finding): boolean =>
  sourceOfFinding(f) === 'bill' && sourceOfFinding(c.latest) === 'metrics';

/** What each source saw of the epoch: the first time and what it covered, and the newest it covered. */
function recordSource(c: CaseRecord, f: Finding, ctx: TransitionContext): void {
  const source: FindingSource = sourceOfFinding(f);
  const covered = 'first_hour' in f ? f.first_hour : f.as_of;
  const newest = 'observed_through' in f ? f.observed_through : f.as_of;
  const sources: CaseSources = c.sources ?? { bill: null, metrics: null };
  const seen = sources[source];
  c.sources = {
    ...sources,
    [source]: seen
      ? {
          first_at: seen.first_at,
          // ISO days or hours (one source, one form): text order is time order.
          first_covered: [covered, seen.first_covered].sort()[0]!,
          last_covered: [newest, seen.last_covered].sort()[1]!,
        }
      : { first_at: ctx.now.toISOString(), first_covered: covered, last_covered: newest },
  };
}

/** Dues are added before the event id is known; the row's event replaces this marker. */
const DUE_PLACEHOLDER = '(this transition)';

function addDue(c: CaseRecord, kind: CaseMessageKind, raised: boolean): void {
  c.due.push({ event_id: DUE_PLACEHOLDER, kind, raised, message_id: null });
}

function applyEffect(c: CaseRecord, effect: Effect, s: Subject, from: CaseState | null): void {
  const { input, ctx } = s;
  const now = ctx.now.toISOString();
  switch (effect) {
    case 'open-epoch': {
      const f = finding(s)!;
      // A re-open keeps what closed the earlier epoch: the alert quotes the answer (docs/cases.md).
      c.reopened =
        from === 'resolved' || from === 'suppressed'
          ? {
              from_state: from as ClosedState,
              epoch: c.epoch,
              resolved_on: c.resolved_on,
              answer: closingAnswer(c),
              contradicting_days: [],
            }
          : null;
      c.epoch += 1;
      c.kind = f.kind;
      c.opened_at = now;
      c.first_as_of = f.as_of;
      c.last_as_of = f.as_of;
      c.latest = f;
      // Raised to the severity the episode shows once this run records it (recordEpisode).
      c.peak_severity = 'medium';
      c.peak_value = peakValueOf(f);
      c.peak_metric = peakMetricOf(f);
      c.peak = f;
      c.episode = emptyEpisode();
      c.reminders = 0;
      c.occurrences = {};
      c.quiet_days = [];
      c.suppressed_at = null;
      c.suppressed_peak = null;
      c.suppressed_kind = null;
      c.resolved_on = null;
      c.closed_at = null;
      // Which source saw it first is told per epoch.
      c.sources = null;
      // Dues of an earlier epoch are moot: the new alert carries the latest numbers.
      c.due = [];
      // The stored owner stays unless the mapping names one (docs/emails.md).
      if (input.type === 'finding' && input.owner && (c.owner_email === null || input.owner.routed))
        storeOwner(c, input.owner);
      return;
    }
    case 'record-contradiction': {
      const f = finding(s)!;
      if (c.reopened?.resolved_on)
        c.reopened.contradicting_days = contradictingDays(f, c.reopened.resolved_on, bandOf(ctx));
      return;
    }
    case 'record-finding': {
      const f = finding(s)!;
      if (underBill(c, f)) return;
      if (billTakesOver(c, f)) {
        // The bill's figures replace the estimate's: its episode is told from the bill's days alone.
        c.latest = f;
        c.peak = f;
        c.kind = f.kind;
        c.account_name = f.account_name;
        c.last_as_of = f.as_of;
        c.peak_value = peakValueOf(f);
        c.peak_metric = peakMetricOf(f);
        c.quiet_days = [];
        c.episode = emptyEpisode();
        return;
      }
      if (f.as_of >= c.last_as_of) {
        c.latest = f;
        c.kind = f.kind;
        c.account_name = f.account_name;
        c.last_as_of = f.as_of;
        c.quiet_days = c.quiet_days.filter((d) => d > f.as_of);
      }
      // The peak finding (its breakdown stands beside the headline) is the highest ranked; the peak
      // value is the highest of the epoch (runaway: its highest day), whichever finding holds it.
      if (detectorFor(f).peakRank(f) > detectorFor(c.peak).peakRank(c.peak)) c.peak = f;
      if (peakValueOf(f) > c.peak_value) c.peak_value = peakValueOf(f);
      return;
    }
    case 'alert-due':
      addDue(c, 'owner-alert', false);
      return;
    case 'update-alert-due':
      addDue(c, 'owner-alert', true);
      return;
    case 'reminder-due':
      addDue(c, 'reminder', false);
      return;
    case 'escalation-due':
      addDue(c, 'escalation', false);
      return;
    case 'notified-now':
      c.notified_at = now;
      c.notified_run_id = input.type === 'finding' ? input.runId : null;
      c.notified_through = input.type === 'finding' ? input.finding.as_of : null;
      return;
    case 'deadline-from-now':
      c.deadline = new Date(ctx.now.getTime() + H_MS(ctx)).toISOString();
      return;
    case 'deadline-none':
      c.deadline = null;
      return;
    case 'count-reminder':
      c.reminders += 1;
      return;
    case 'record-answer':
      if (input.type === 'answer') {
        c.answers.push({ answer: input.answer, at: now, note: input.note, by: input.by, epoch: c.epoch });
      }
      return;
    case 'record-quiet-days':
      // The run that alerted the owner saw these days: later runs count only newer ones.
      if (input.type === 'quiet' && c.notified_run_id === input.runId) {
        const newest = input.days.at(-1) ?? null;
        if (newest && (c.notified_through === null || newest > c.notified_through))
          c.notified_through = newest;
      }
      c.quiet_days = quietDaysAfter(c, input);
      return;
    case 'resolved-on-default-as-of':
      c.resolved_on = input.type === 'answer' ? input.defaultAsOf : utcDay(ctx.now);
      return;
    case 'resolved-on-quiet-day':
      c.resolved_on = c.quiet_days[ctx.rules.autoResolveDays - 1] ?? c.quiet_days.at(-1) ?? c.last_as_of;
      return;
    case 'resolved-on-expiry':
      c.resolved_on = addDays(utcDay(new Date(c.suppressed_at ?? now)), ctx.rules.suppressDays);
      return;
    case 'suppress-at-peak':
      c.suppressed_at = now;
      c.suppressed_peak = c.peak_value;
      c.suppressed_kind = c.kind;
      return;
    case 'set-route':
      if (input.type === 'route') storeOwner(c, input.owner);
      return;
    case 'kill-switch-check': {
      // The executor decides with the organization's facts and what is engaged (docs/kill-switch.md).
      if (!ctx.rules.killSwitch?.detectors.includes(c.detector)) return;
      const change = from === null ? 'opened' : isLive(from) ? 'rose' : 'reopened';
      c.due.push({
        event_id: DUE_PLACEHOLDER,
        kind: 'kill-switch',
        raised: false,
        message_id: null,
        kill_switch: { action: 'check', change },
      });
      return;
    }
    case 'close':
      c.closed_at = now;
      // Nothing is sent for a closed case: what was due is moot (docs/storage.md retries only live cases).
      c.due = c.due.filter((d) => d.message_id !== null);
      // A stop this case engaged is lifted when it closes, in every mode (docs/kill-switch.md "Release").
      if (c.kill_switch?.status === 'engaged') {
        c.due.push({
          event_id: DUE_PLACEHOLDER,
          kind: 'kill-switch',
          raised: false,
          message_id: null,
          kill_switch: { action: 'release', ...closingCause(c, input) },
        });
      }
      return;
  }
}

/** Why a closing transition lifts the stop (docs/kill-switch.md "Release"), and who answered. */
function closingCause(c: CaseRecord, input: CaseInput): { cause: KillSwitchReleaseCause; by: string | null } {
  if (input.type === 'answer' && input.answer !== 'investigating') {
    return { cause: input.answer === 'stopped' ? 'answer-stopped' : 'answer-legitimate', by: input.by };
  }
  return { cause: c.state === 'suppressed' ? 'case-suppressed' : 'case-resolved', by: null };
}

/** The `stopped` or `legitimate` answer that closed the current epoch, if an answer did. */
function closingAnswer(c: CaseRecord): CaseAnswer | null {
  const closing = c.answers.filter((a) => a.epoch === c.epoch && a.answer !== 'investigating');
  return closing.at(-1) ?? null;
}

function storeOwner(c: CaseRecord, owner: Owner): void {
  c.owner_email = owner.ownerEmail;
  c.routed = owner.routed;
  c.owner_cc = [...owner.cc];
  c.owner_team = owner.team;
  c.owner_account_name = owner.accountName;
}

function seedCase(input: CaseInput): CaseRecord {
  if (input.type !== 'finding') throw new Error(`a case can only be created by a finding, not ${input.type}`);
  const f = input.finding;
  return {
    case_key: f.case_key,
    version: 0,
    epoch: 0,
    state: 'open',
    // The watch's runaway opens the bill's runaway case of the account (one case, two sources).
    detector: caseDetectorOfFinding(f),
    kind: f.kind,
    account_id: f.account_id,
    account_name: f.account_name,
    model: f.model,
    owner_email: null,
    routed: null,
    owner_cc: [],
    owner_team: null,
    owner_account_name: null,
    opened_at: '',
    first_as_of: f.as_of,
    last_as_of: f.as_of,
    latest: f,
    peak_severity: f.severity,
    peak_value: peakValueOf(f),
    peak_metric: peakMetricOf(f),
    peak: f,
    episode: emptyEpisode(),
    notified_at: null,
    notified_run_id: null,
    notified_through: null,
    deadline: null,
    reminders: 0,
    occurrences: {},
    quiet_days: [],
    suppressed_at: null,
    suppressed_peak: null,
    suppressed_kind: null,
    resolved_on: null,
    closed_at: null,
    reopened: null,
    answers: [],
    messages: [],
    due: [],
    events_due: [],
    undigested: [],
    refused: [],
    sources: null,
    updated_at: '',
  };
}

/** The plain transition name of a case event: `Case Reminded` → `reminded`, `Kill Switch Engaged` → `kill-switch-engaged`. */
export const transitionName = (detailType: EventDetailType): string =>
  detailType
    .replace(/^Case /, '')
    .toLowerCase()
    .replaceAll(' ', '-');

/**
 * A `Kill Switch …` case event (docs/events.md): the case as it stands, with what the kill switch did.
 * Appended to `events_due` (and counted in `occurrences`) by the caller's conditional write, like a
 * transition's own event; the state does not change.
 */
export function killSwitchCaseEvent(
  c: CaseRecord,
  detailType: Extract<EventDetailType, `Kill Switch ${string}`>,
  detail: KillSwitchEventDetail,
  now: Date,
): CaseEvent {
  const ctx: TransitionContext = {
    now,
    rules: { followUpHours: 0, autoResolveDays: 0, suppressDays: 0, resuppressGrowth: 2 },
  };
  // Neither an answer nor a finding: the event carries no answer or note.
  const event = caseEvent(c, detailType, c.state, { type: 'deadline' }, ctx);
  event.kill_switch = detail;
  c.events_due.push(event);
  return event;
}

function caseEvent(
  c: CaseRecord,
  detailType: EventDetailType,
  from: CaseState | null,
  input: CaseInput,
  ctx: TransitionContext,
): CaseEvent {
  const transition = transitionName(detailType);
  // Counted on the case in the same write as the transition: a retry re-reads the same count.
  const occurrence = (c.occurrences[transition] ?? 0) + 1;
  c.occurrences = { ...c.occurrences, [transition]: occurrence };
  const figures = episodeFigures(c);
  return {
    event_id: caseEventId(c.case_key, c.epoch, transition, occurrence),
    case_key: c.case_key,
    epoch: c.epoch,
    transition,
    occurrence,
    detail_type: detailType,
    from_state: from,
    to_state: c.state,
    time: ctx.now.toISOString(),
    detector: c.detector,
    kind: c.kind,
    account_id: c.account_id,
    account_name: c.account_name,
    model: c.model,
    owner_email: c.owner_email,
    severity: figures.severity,
    peak_severity: c.peak_severity,
    peak_value: figures.peak_value,
    peak_metric: figures.peak_metric,
    peak_day: figures.peak_day,
    peak_as_of: figures.peak_as_of,
    spike_from: figures.spike_from,
    spike_to: figures.spike_to,
    ongoing: figures.ongoing,
    end_day: figures.end_day,
    rate_since_usd: figures.rate_since_usd,
    excess_so_far_usd: figures.excess_so_far_usd,
    latest_day: figures.latest_day,
    latest_daily_usd: figures.latest_daily_usd,
    mean_daily_usd: figures.mean_daily_usd,
    projected_30d_excess_usd: figures.projected_30d_excess_usd,
    reopened_from: detailType === 'Case Opened' ? (c.reopened?.from_state ?? null) : null,
    contradicted: detailType === 'Case Opened' && (c.reopened?.contradicting_days.length ?? 0) > 0,
    as_of: c.last_as_of,
    deadline: c.deadline,
    resolved_on: c.resolved_on,
    answer: input.type === 'answer' ? input.answer : null,
    note: input.type === 'answer' ? input.note : null,
  };
}

/** Applies inputs in order; refusals stop nothing (they change nothing). */
export function applyCaseInputs(
  current: CaseRecord | null,
  inputs: readonly CaseInput[],
  ctx: TransitionContext,
): { next: CaseRecord | null; applied: Applied[] } {
  let c = current;
  const applied: Applied[] = [];
  for (const input of inputs) {
    const result = applyCaseInput(c, input, ctx);
    applied.push(result);
    c = result.next;
  }
  return { next: c, applied };
}

export { isLive };
