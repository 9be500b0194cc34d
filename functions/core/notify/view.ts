/**
 * Facts derived from MessageData for the templates: chart geometry, the top tag and resource,
 * whether compute stayed flat, per-day rates. Kept out of the templates so they only format, and
 * so the HTML and text parts cannot disagree on a number.
 */

import { detectorFor, sourceOfFinding } from '../detect/registry.js';
import { date, dateRange, dateTime, daysInclusive, hourDateTime, money, shortDate } from '../format.js';
import type { BreakdownEntry, Finding, Severity } from '../types.js';
import type { CaseSection, EpisodeView, KillSwitchView, MessageData } from './message-model.js';

export const CHART_HEIGHT_PX = 120;

const TOKEN_CLASS_WORDS: Record<string, string> = {
  input: 'input',
  output: 'output',
  cache_read: 'cache reads',
  cache_write: 'cache writes',
  cache_write_1h: 'cache writes (1 h)',
  other: 'other',
};
const TEXT_CHART_DAYS = 10;
const TEXT_CHART_WIDTH = 30;

const SEVERITY_ORDER: Record<Severity, number> = { medium: 1, high: 2, critical: 3 };
const SEVERITY_COLOR: Record<Severity, string> = { critical: '#b42318', high: '#c4320a', medium: '#b54708' };

export interface ChartBar {
  date: string;
  costUsd: number;
  hitRatio: number | null;
  /** Stacked cells, top to bottom: empty space, the part above baseline, the part up to baseline. */
  spacePx: number;
  excessPx: number;
  basePx: number;
  excessColor: string;
  baseColor: string;
  /** Cache-miss: a heat colour for the day's hit ratio (null on runaway). */
  hitColor: string | null;
  inRecent: boolean;
}

export interface ChartView {
  bars: ChartBar[];
  /** The baseline the bars are split at, the one the figures beside the chart name. */
  baselineUsd: number;
  heightPx: number;
  maxUsd: number;
  firstDate: string;
  middleDate: string;
  lastDate: string;
  /** First day of the trailing run of elevated days (above the band, or cache hit ratio down). */
  elevatedSince: string | null;
  /**
   * One line per day for the text part (`27 Feb  $128.40  ##########`): the last 10 days, reaching back
   * to the day before the spike's first day so the text shows every spike day the HTML bars show.
   */
  textLines: string[];
  /** Some bar is marked red: the legend names the red swatch only then. */
  hasMarked: boolean;
  /** What a red bar means (the detector's words). */
  markedLegend: string;
  /** The daily hit-ratio strip under the bars (prompt-cache detectors). */
  hitStrip: boolean;
}

export interface RateEntry {
  key: string;
  /** For tags: `name` and `value` of `name=value`. */
  name: string;
  value: string;
  recentCostUsd: number;
  recentPerDay: number;
  baselinePerDay: number;
  recentTokens: number;
}

export interface SectionView {
  /** The diagnosis's first clause (what the rise looks like); tag, resource and compute have their own lines. */
  diagnosisLead: string;
  severityLabel: string;
  severityColor: string;
  /** The detector's partial (`templates/partials/<partial>.*.hbs`) and its headline (`<partial>-headline`). */
  partial: string;
  headlinePartial: string;
  /** What the chart's bars are ("Bedrock inference", "prompt-token") and the question asked. */
  chartSubject: string;
  chartLine: string;
  askQuestion: string;
  recentDays: number;
  /**
   * When the breakdown's figures are from (the peak's window, per day over it): "over the last 3 days"
   * while the peak is the latest finding of an ongoing episode, else "at the peak" and its dates.
   */
  breakdownWhen: { rate: string; tokens: string; column: string; columnShort: string };
  baselineDays: number;
  /** The spike's days (`episode.spikeDays`) and its first day above the band (`episode.spikeFrom`). */
  runningDays: number;
  runningSince: string;
  /** A re-opened epoch, in words: what closed the earlier one and the days that contradict it. */
  reopened: {
    contradicted: boolean;
    /** The answer that closed the earlier epoch: `stopped` or `legitimate` (null: closed without one). */
    answer: string | null;
    answeredAt: string | null;
    note: string | null;
    by: string | null;
    fromState: string;
    resolvedOn: string | null;
    /** `Fri 13 Dec: $130.50/day`, one per day after `resolved_on` above the band. */
    dayLines: string[];
    /** What those days are above, in the detector's words. */
    bandWords: string;
  } | null;
  chart: ChartView;
  /** The as-of day the section speaks of: the newest day evaluated for the case. */
  asOf: string;
  topTag: RateEntry | null;
  topResource: RateEntry | null;
  topUsageType: RateEntry | null;
  topRegion: RateEntry | null;
  tokenClasses: RateEntry[];
  /** Output tokens per input token in the recent window (null with no input tokens). */
  outputPerInput: number | null;
  compute: { recentPerDay: number; baselinePerDay: number; flat: boolean; known: boolean };
  /**
   * The account's month-end forecast against last month, every Bedrock charge counted (the newest
   * finding's, docs/detection.md "Budget"); null where the run did not cover last month whole.
   */
  month: { forecastUsd: number; lastMonthUsd: number; mtdUsd: number; ratio: number | null } | null;
  lastAnswer: CaseSection['answers'][number] | null;
  hasAnswers: boolean;
  /** The owner answered `investigating` in this epoch (and nothing closed it). */
  investigating: boolean;
  /** true: answer buttons are signed links; false: `sentinel ack` command lines. */
  hasLinks: boolean;
  /**
   * Which source saw the case first, and when (docs/cases.md "One case, two sources"): "first seen by
   * Bedrock's usage metrics …; the bill …". Null for a case file that did not record it.
   */
  seenFirst: string | null;
}

export interface MessageView {
  maxSeverity: Severity;
  maxSeverityLabel: string;
  maxSeverityColor: string;
  single: boolean;
  caseCount: number;
  anySeverityRaised: boolean;
  /** Earliest first-alert time and deadline across the sections (null when none is set). */
  firstNotifiedAt: string | null;
  deadline: string | null;
  /** `Acme (111111111111)` for one account, `3 accounts` for more. */
  accountsLabel: string;
  /** FinOps stands in as owner of every case: no owner is mapped for their accounts (docs/emails.md). */
  fallbackOwner: boolean;
  finops: string;
  escalation: string[];
  usesCommands: boolean;
  /** Some case has an `investigating` answer: reminders and escalations say "not yet stopped or explained". */
  investigating: boolean;
  /** What a reminder and an escalation say the cases wait for: "no answer yet" / "no answer from the owner", or "not yet stopped or explained". */
  reminderWaiting: string;
  escalationWaiting: string;
  /** Some case re-opened because the spend contradicts its resolution (a `stopped` answer). */
  contradicted: boolean;
  /** Some case re-opened this epoch (the subject says "Re-opened:"). */
  anyReopened: boolean;
  /** Some section is told from Bedrock's usage metrics (an estimate the bill confirms later). */
  anyEstimate: boolean;
  digestStateRows: { state: string; cases: number }[];
  digestLiveCount: number;
  digestHasIssues: boolean;
  /**
   * An escalation that comes instead of a stop (kill_switch.max_engaged reached): every case of it is live,
   * not escalated by its deadlines, and the kill switch escalated it (docs/kill-switch.md).
   */
  killSwitchInstead: boolean;
  /** What the escalation's preheader says came before it (nothing, for one that comes instead of a stop). */
  escalationAfter: string;
  /** What the kill switch did about the cases, by what it did (docs/kill-switch.md): said first in the message. */
  killSwitch: {
    engaged: KillSwitchLine[];
    wouldEngage: KillSwitchLine[];
    escalated: KillSwitchLine[];
    released: KillSwitchLine[];
    any: boolean;
  };
}

/** One account the kill switch acted on, as a message's opening lines tell it. */
export interface KillSwitchLine extends KillSwitchView {
  accountId: string;
  accountName: string;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function splitTag(key: string): { name: string; value: string } {
  const at = key.indexOf('=');
  return at === -1 ? { name: key, value: '' } : { name: key.slice(0, at), value: key.slice(at + 1) };
}

function rates(entries: BreakdownEntry[], recentDays: number, baselineDays: number): RateEntry[] {
  // Breakdown costs are window totals (docs/findings.md); shown per day so the two windows compare.
  return entries.map((e) => ({
    key: e.key,
    ...splitTag(e.key),
    recentCostUsd: e.recent_cost_usd,
    recentPerDay: e.recent_cost_usd / Math.max(recentDays, 1),
    baselinePerDay: e.baseline_cost_usd / Math.max(baselineDays, 1),
    recentTokens: e.recent_tokens,
  }));
}

/** The latest finding's days, then the days the case recorded after them (quiet days), the last 30. */
function chartOf(finding: Finding, episode: EpisodeView, band: number, markedLegend: string): ChartView {
  const series = [...finding.series, ...episode.laterDays].slice(-30);
  // An ended spike's excess stops the day before its end day.
  const marks = detectorFor(finding).chartMarks(finding, episode.ongoing ? null : episode.endDay);
  const maxUsd = Math.max(0, ...series.map((p) => p.cost_usd));
  const scale = maxUsd > 0 ? CHART_HEIGHT_PX / maxUsd : 0;
  let elevatedSince: string | null = null;
  const bars = series.map((p): ChartBar => {
    const inRecent = p.date >= finding.recent_start && p.date <= finding.recent_end;
    const heightPx = p.cost_usd > 0 ? Math.max(2, Math.round(p.cost_usd * scale)) : 0;
    const elevated = marks.elevated(p);
    if (elevated) elevatedSince ??= p.date;
    else elevatedSince = null;
    let basePx = heightPx;
    let excessPx = 0;
    if (elevated || marks.highlighted(p, inRecent)) {
      // Split at the baseline: the part above it is the excess; otherwise the whole bar is marked.
      const basePart = marks.splitAtBaseline ? Math.min(heightPx, Math.round(Math.max(band, 0) * scale)) : 0;
      basePx = basePart;
      excessPx = heightPx - basePart;
    }
    return {
      date: p.date,
      costUsd: p.cost_usd,
      hitRatio: p.hit_ratio,
      spacePx: CHART_HEIGHT_PX - heightPx,
      excessPx,
      basePx,
      excessColor: '#d92d20',
      baseColor: '#84caff',
      hitColor:
        p.hit_ratio === null
          ? null
          : p.hit_ratio >= 0.7
            ? '#12b76a'
            : p.hit_ratio >= 0.4
              ? '#f79009'
              : '#f04438',
      inRecent,
    };
  });
  // The text part shows what the bars show: every spike day, from the day before the first one.
  const spikeAt = series.findIndex((p) => p.date >= episode.spikeFrom);
  const textFrom = Math.max(
    0,
    Math.min(series.length - TEXT_CHART_DAYS, spikeAt < 0 ? series.length : spikeAt - 1),
  );
  const textLines = series.slice(textFrom).map((p) => {
    const width = maxUsd > 0 ? Math.round((p.cost_usd / maxUsd) * TEXT_CHART_WIDTH) : 0;
    const hit = p.hit_ratio === null ? '' : `  hit ${(p.hit_ratio * 100).toFixed(0)}%`;
    return `${shortDate(p.date).padEnd(7)}${money(p.cost_usd).padStart(12)}  ${'#'.repeat(width)}${hit}`;
  });
  return {
    bars,
    baselineUsd: band,
    heightPx: CHART_HEIGHT_PX,
    maxUsd,
    firstDate: series[0]?.date ?? finding.as_of,
    middleDate: series[Math.floor(series.length / 2)]?.date ?? finding.as_of,
    lastDate: series[series.length - 1]?.date ?? finding.as_of,
    elevatedSince,
    textLines,
    hasMarked: bars.some((b) => b.excessPx > 0),
    markedLegend,
    hitStrip: marks.hitStrip,
  };
}

/** The newest finding's month; case files from before it was recorded have none. */
function monthOf(f: Finding): SectionView['month'] {
  const forecast = f.forecast_month_usd ?? null;
  const last = f.last_month_usd ?? null;
  if (forecast === null || last === null) return null;
  return {
    forecastUsd: forecast,
    lastMonthUsd: last,
    mtdUsd: f.mtd_usd ?? 0,
    ratio: last > 0 ? forecast / last : null,
  };
}

/** `"a; b; c."` → `"A."`: the email shows the other clauses as their own lines. */
export function diagnosisLead(diagnosis: string): string {
  const lead = diagnosis.split('; ')[0]!.replace(/\.$/, '').trim();
  return lead ? `${lead.charAt(0).toUpperCase()}${lead.slice(1)}.` : '';
}

/** The words of which source saw a case first and when, and the other's, if it has seen it too. */
export function seenFirstWords(sources: CaseSection['sources']): string | null {
  if (!sources || (!sources.bill && !sources.metrics)) return null;
  const bill = sources.bill
    ? `the bill on ${dateTime(sources.bill.first_at)} (as of ${shortDate(sources.bill.first_covered)})`
    : null;
  const metrics = sources.metrics
    ? `Bedrock's usage metrics (the hourly watch, an estimate) on ${dateTime(sources.metrics.first_at)}, for the hour from ${hourDateTime(sources.metrics.first_covered)}`
    : null;
  const metricsFirst =
    metrics !== null && (bill === null || (sources.metrics?.first_at ?? '') < (sources.bill?.first_at ?? ''));
  const [first, then] = metricsFirst ? [metrics, bill] : [bill, metrics];
  return `First seen by ${first}${then ? `; then by ${then}` : ''}.`;
}

export function sectionView(section: CaseSection, now?: string | null): SectionView {
  // The headline numbers are the peak's (docs/emails.md): so are the severity, the diagnosis and the
  // breakdown beside them. The chart and the days running are the latest finding's (the newest days).
  const latest = section.finding;
  const f = section.peak;
  const recentDays = daysInclusive(f.recent_start, f.recent_end);
  const baselineDays = daysInclusive(f.baseline_start, f.baseline_end);
  // The severity shown is the episode's (docs/emails.md "The episode"), not the peak finding's.
  const severity = section.episode.severity;
  const computeKnown =
    Number.isFinite(f.compute_recent_avg_daily_usd) && Number.isFinite(f.compute_baseline_avg_daily_usd);
  const computeDelta = Math.abs(f.compute_recent_avg_daily_usd - f.compute_baseline_avg_daily_usd);
  const tags = rates(f.breakdown.tags, recentDays, baselineDays);
  const resources = rates(f.breakdown.resources, recentDays, baselineDays);
  const usageTypes = rates(f.breakdown.usage_types, recentDays, baselineDays);
  const regions = rates(f.breakdown.regions, recentDays, baselineDays);
  const lastAnswer = section.answers[section.answers.length - 1] ?? null;
  const detector = detectorFor(f);
  const episode = section.episode;
  const words = detector.emailWords(f, {
    bandDailyUsd: episode.bandDailyUsd,
    bandHitRatio: episode.bandHitRatio,
    expectedHitRatio: episode.expectedHitRatio,
    now: now ?? null,
    sources: section.sources ?? null,
  });
  const reopened = section.reopened;
  return {
    ...words.flags,
    ...words.facts,
    diagnosisLead: diagnosisLead(f.diagnosis),
    severityLabel: capitalize(severity),
    severityColor: SEVERITY_COLOR[severity],
    reopened: reopened && {
      contradicted: reopened.contradictingDays.length > 0,
      answer: reopened.answer?.answer ?? null,
      answeredAt: reopened.answer?.at ?? null,
      note: reopened.answer?.note ?? null,
      by: reopened.answer?.by ?? null,
      fromState: reopened.fromState,
      resolvedOn: reopened.resolvedOn,
      dayLines: reopened.contradictingDays.map((d) => `${date(d.date)}: ${words.dayFigure(d)}`),
      bandWords: words.bandWords,
    },
    partial: detector.partial,
    headlinePartial: `${detector.partial}-headline`,
    chartSubject: words.chartSubject,
    chartLine: words.chartLine,
    askQuestion: words.askQuestion,
    recentDays,
    baselineDays,
    runningDays: episode.spikeDays,
    runningSince: episode.spikeFrom,
    // Split at the baseline the figures beside the chart name: the latest's while ongoing, the peak's once ended.
    chart: chartOf(latest, episode, episode.baselineUsd, words.markedLegend),
    breakdownWhen:
      section.episode.ongoing && section.episode.peakIsLatest
        ? {
            // Window totals per day: said as the average they are, never as "now".
            rate: `over the last ${recentDays === 1 ? 'day' : `${recentDays} days`}`,
            tokens: `in the last ${recentDays === 1 ? '1 day' : `${recentDays} days`}`,
            column: `Last ${recentDays === 1 ? 'day' : `${recentDays} days`}, per day`,
            columnShort: 'Recent/day',
          }
        : {
            rate: `at the peak (${dateRange(f.recent_start, f.recent_end)})`,
            tokens: `on ${dateRange(f.recent_start, f.recent_end)}`,
            column: 'At the peak, per day',
            columnShort: 'Peak/day',
          },
    // The newest as-of day evaluated for the case (quiet days included), else the latest finding's.
    asOf: section.episode.newestEvaluated ?? latest.as_of,
    // A tag value new in the recent window (one agent-run-id) before one that also covered the baseline (docs/emails.md).
    topTag: tags.find((t) => t.baselinePerDay === 0 && t.recentCostUsd > 0) ?? tags[0] ?? null,
    topResource: resources[0] ?? null,
    topUsageType: usageTypes[0] ?? null,
    topRegion: regions[0] ?? null,
    // Human words, not column names (docs/emails.md): `cache_read` → `cache reads`.
    tokenClasses: rates(f.breakdown.token_classes, recentDays, baselineDays).map((e) => ({
      ...e,
      key: TOKEN_CLASS_WORDS[e.key] ?? e.key,
    })),
    outputPerInput: f.input_tokens > 0 ? f.output_tokens / f.input_tokens : null,
    month: monthOf(latest),
    compute: {
      recentPerDay: f.compute_recent_avg_daily_usd,
      baselinePerDay: f.compute_baseline_avg_daily_usd,
      // Within 15% (or $1/day) counts as flat: organic growth moves compute with AI spend.
      flat: computeKnown && computeDelta <= Math.max(0.15 * f.compute_baseline_avg_daily_usd, 1),
      known: computeKnown && (f.compute_recent_avg_daily_usd > 0 || f.compute_baseline_avg_daily_usd > 0),
    },
    lastAnswer,
    hasAnswers: section.answers.length > 0,
    investigating: section.answers.some((a) => a.answer === 'investigating'),
    hasLinks: section.actions.length > 0 && section.actions.every((a) => a.url !== null),
    seenFirst: seenFirstWords(section.sources),
  };
}

const STATE_ORDER = ['open', 'acknowledged', 'reminded', 'escalated', 'resolved', 'suppressed'];
const LIVE_STATES = new Set(['open', 'acknowledged', 'reminded', 'escalated']);

export function messageView(data: MessageData): MessageView {
  const cases = data.kind === 'finops-digest' ? (data.digest?.escalated ?? []) : data.sections;
  // The bracketed severity is the highest the sections show, so a subject never outranks its message.
  const maxSeverity = cases.reduce<Severity>(
    (max, s) => (SEVERITY_ORDER[s.episode.severity] > SEVERITY_ORDER[max] ? s.episode.severity : max),
    'medium',
  );
  const earliest = (values: (string | null)[]): string | null =>
    values.filter((v): v is string => typeof v === 'string').sort()[0] ?? null;
  const accounts = new Map(cases.map((s) => [s.accountId, s.accountName]));
  const [onlyId, onlyName] = [...accounts][0] ?? ['', ''];
  const counts = data.digest?.stateCounts ?? {};
  const stateRows = [
    ...STATE_ORDER.filter((s) => s in counts),
    ...Object.keys(counts)
      .filter((s) => !STATE_ORDER.includes(s))
      .sort(),
  ].map((state) => ({ state, cases: counts[state] ?? 0 }));
  const digest = data.digest;
  // After an `investigating` answer a case is not unanswered: "not yet stopped or explained" (docs/emails.md).
  const investigating = cases.some((s) => s.answers.some((a) => a.answer === 'investigating'));
  // One line per account: two cases of one account share its stop.
  const killSwitchLines = (status: KillSwitchView['status']): KillSwitchLine[] => {
    const lines = new Map<string, KillSwitchLine>();
    for (const s of data.kind === 'finops-digest' ? [] : cases) {
      if (s.killSwitch?.status === status && !lines.has(s.accountId)) {
        lines.set(s.accountId, { ...s.killSwitch, accountId: s.accountId, accountName: s.accountName });
      }
    }
    return [...lines.values()];
  };
  const killSwitchInstead =
    data.kind === 'escalation' &&
    cases.length > 0 &&
    cases.every((s) => s.state !== 'escalated' && s.killSwitch?.status === 'escalated');
  const killSwitch = {
    engaged: killSwitchLines('engaged'),
    wouldEngage: killSwitchLines('would-engage'),
    escalated: killSwitchLines('escalated'),
    released: killSwitchLines('released'),
  };
  return {
    maxSeverity,
    maxSeverityLabel: capitalize(maxSeverity),
    maxSeverityColor: SEVERITY_COLOR[maxSeverity],
    single: cases.length === 1,
    caseCount: cases.length,
    anySeverityRaised: cases.some((s) => s.severityRaised),
    firstNotifiedAt: earliest(cases.map((s) => s.notifiedAt)),
    deadline: earliest(cases.map((s) => s.deadline)),
    accountsLabel: accounts.size === 1 ? `${onlyName || onlyId} (${onlyId})` : `${accounts.size} accounts`,
    fallbackOwner: cases.length > 0 && cases.every((s) => !s.routed),
    finops: data.contacts?.finops ?? 'FinOps',
    escalation: data.contacts?.escalation ?? [],
    usesCommands: cases.some((s) => s.actions.some((a) => a.url === null)),
    // After an `investigating` answer a case is not unanswered: "not yet stopped or explained" (docs/emails.md).
    investigating,
    reminderWaiting: investigating ? 'not yet stopped or explained' : 'no answer yet',
    escalationWaiting: killSwitchInstead
      ? 'the kill switch could not stop it'
      : investigating
        ? 'not yet stopped or explained'
        : 'no answer from the owner',
    killSwitchInstead,
    escalationAfter: killSwitchInstead ? '' : ' after the alert and a reminder',
    contradicted: cases.some((s) => (s.reopened?.contradictingDays.length ?? 0) > 0),
    anyReopened: cases.some((s) => s.reopened !== null),
    anyEstimate: cases.some((s) => sourceOfFinding(s.peak) === 'metrics'),
    digestStateRows: stateRows,
    digestLiveCount: stateRows.filter((r) => LIVE_STATES.has(r.state)).reduce((n, r) => n + r.cases, 0),
    digestHasIssues:
      (digest?.unroutable.length ?? 0) +
        (digest?.refusedAddresses.length ?? 0) +
        (digest?.failedMessages.length ?? 0) >
      0,
    killSwitch: { ...killSwitch, any: Object.values(killSwitch).some((l) => l.length > 0) },
  };
}
