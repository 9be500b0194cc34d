/**
 * How the hourly watch did on a synthetic organization, beside the bill (docs/watch.md "Reference"): for
 * each incident the watch should see (a label with a `start_hour`), when the watch fired, when the bill
 * first showed it (its first firing as-of day, read by a daily run at 06:00 UTC two days later, or by a
 * weekly run the Monday after), and what was spent between the two; and the watch's findings on
 * accounts with no incident.
 */
import { addDays } from '../core/dates.js';
import type { WatchFinding } from '../core/detect/watch-rule.js';
import { money } from '../core/format.js';
import { HOUR_MS, hourMs } from '../core/hours.js';
import type { IncidentLabel } from './organization.js';
import type { IncidentResult } from './tally.js';

/** The hour of day a scheduled detection runs (the default `cron(0 6 * * ? *)`). */
const DETECT_HOUR = 6;

export interface WatchIncident {
  label: IncidentLabel;
  /** End of the first hour that fired (the watch judges an hour once it has ended), or null. */
  firedAt: number | null;
  finding: WatchFinding | null;
  /** The bill's first firing as-of day, and when a daily and a weekly (Monday) run can first read it. */
  billDay: string | null;
  billDaily: number | null;
  billWeekly: number | null;
  spendToDaily: number | null;
  spendToWeekly: number | null;
}

export interface WatchTally {
  incidents: WatchIncident[];
  falseFindings: WatchFinding[];
}

/** The first scheduled run that evaluates as-of day `asOf`: the default as-of is today − 1 − `exportLagDays`. */
export function firstRunFor(asOf: string, exportLagDays: number, weekly: boolean): number {
  let day = addDays(asOf, 1 + exportLagDays);
  while (weekly && new Date(`${day}T00:00:00Z`).getUTCDay() !== 1) day = addDays(day, 1);
  return Date.parse(`${day}T00:00:00Z`) + DETECT_HOUR * HOUR_MS;
}

export function tallyWatch(input: {
  labels: IncidentLabel[];
  findings: WatchFinding[];
  bill: IncidentResult[];
  /** An account's estimated cost per hour (ms → USD), for the spend between the watch and the bill. */
  hourlyCost: (accountId: string, hourMs: number) => number;
  exportLagDays: number;
}): WatchTally {
  const incidentAccounts = new Set(input.labels.map((l) => l.account_id));
  const incidents = input.labels
    .filter((l) => l.start_hour)
    .map((label) => {
      const start = hourMs(label.start_hour!);
      const hits = input.findings
        .filter(
          (f) => f.account_id === label.account_id && (f.kind === 'runaway' || f.kind === 'new-spender'),
        )
        .flatMap((f) => f.fired_hours.filter((h) => hourMs(h) >= start).map((h) => ({ f, at: hourMs(h) })))
        .sort((a, b) => a.at - b.at);
      const first = hits[0];
      const firedAt = first ? first.at + HOUR_MS : null;
      const billDay = input.bill.find((b) => b.label === label)?.firstFiredOn ?? null;
      const billDaily = billDay ? firstRunFor(billDay, input.exportLagDays, false) : null;
      const billWeekly = billDay ? firstRunFor(billDay, input.exportLagDays, true) : null;
      const spend = (until: number | null) => {
        if (firedAt === null || until === null) return null;
        let sum = 0;
        for (let t = firedAt; t < until; t += HOUR_MS) sum += input.hourlyCost(label.account_id, t);
        return sum;
      };
      return {
        label,
        firedAt,
        finding: first?.f ?? null,
        billDay,
        billDaily,
        billWeekly,
        spendToDaily: spend(billDaily),
        spendToWeekly: spend(billWeekly),
      };
    });
  return { incidents, falseFindings: input.findings.filter((f) => !incidentAccounts.has(f.account_id)) };
}

const when = (ms: number) => {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  return `${day} ${d.toISOString().slice(0, 16).replace('T', ' ')}`;
};

export function watchTallyLines(tally: WatchTally): string[] {
  const lines: string[] = [];
  for (const i of tally.incidents) {
    const start = hourMs(i.label.start_hour!);
    lines.push(`  ${i.label.family} ${i.label.account_id}: began ${when(start)} UTC`);
    if (i.firedAt === null || !i.finding) {
      lines.push('    MISSED by the watch');
      continue;
    }
    const f = i.finding;
    lines.push(
      `    the watch fired ${when(i.firedAt)} UTC, ${((i.firedAt - start) / HOUR_MS).toFixed(0)} h after the start: ${f.kind}, ${money(f.recent_avg_hourly_usd)}/h against ${money(f.expected_hourly_usd ?? 0)} expected, ${f.severity} (priced at ${f.price_basis ?? 'no'} prices; an estimate)`,
    );
    if (i.billDaily === null || i.billWeekly === null) {
      lines.push('    the bill has not shown it yet');
      continue;
    }
    lines.push(
      `    the bill first showed it as of ${i.billDay}: a daily run reads that day on ${when(i.billDaily)} UTC, a weekly Monday run on ${when(i.billWeekly)} UTC`,
    );
    lines.push(
      `    spent between the watch and the bill: ${money(i.spendToDaily ?? 0, 0)} (daily run), ${money(i.spendToWeekly ?? 0, 0)} (weekly run)`,
    );
  }
  lines.push(`Watch findings on accounts with no incident: ${tally.falseFindings.length}`);
  for (const f of tally.falseFindings) {
    lines.push(
      `  false alarm: ${f.account_id} ${f.kind} ${f.first_hour} (${money(f.recent_avg_hourly_usd)}/h)`,
    );
  }
  return lines;
}
