/**
 * Reading the case store without reading JSON by hand (`sentinel cases`, `sentinel show`, docs/cli.md):
 * every case as its emails tell it, and one case with its history from `case-events/`.
 */
import { episodeFigures } from '../cases/episode.js';
import {
  accountNameFor,
  type CaseEvent,
  type CaseRecord,
  type CaseState,
  CLOSED_STATES,
  caseOwner,
  LIVE_STATES,
} from '../cases/model.js';
import { listCaseKeys, readAllCases, readCase } from '../cases/store.js';
import { BadInputError } from '../errors.js';
import type { BlobStore } from '../ports.js';
import type { IsoDate } from '../types.js';

const STATES: readonly CaseState[] = [...LIVE_STATES, ...CLOSED_STATES];
const STATE_ORDER = new Map(STATES.map((s, i) => [s, i]));

/** One case as `sentinel cases` lists it: what it is, who owns it, and the figures its emails give. */
export interface CaseListing {
  case_key: string;
  state: CaseState;
  epoch: number;
  detector: CaseRecord['detector'];
  kind: CaseRecord['kind'];
  account_id: string;
  account_name: string;
  model: string | null;
  owner_email: string;
  routed: boolean;
  opened_at: string;
  first_as_of: IsoDate;
  last_as_of: IsoDate;
  deadline: string | null;
  resolved_on: IsoDate | null;
  severity: CaseRecord['peak_severity'];
  ongoing: boolean;
  latest_day: IsoDate;
  latest_daily_usd: number;
  peak_value: number;
  peak_metric: CaseRecord['peak_metric'];
  excess_so_far_usd: number;
  projected_30d_excess_usd: number | null;
}

/** `--state`: state names, `live` or `closed`, comma-separated; a bad one names the ones there are. */
export function parseStates(values: readonly string[]): Set<CaseState> {
  const states = new Set<CaseState>();
  for (const value of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')) {
    if (value === 'live') for (const s of LIVE_STATES) states.add(s);
    else if (value === 'closed') for (const s of CLOSED_STATES) states.add(s);
    else if ((STATES as readonly string[]).includes(value)) states.add(value as CaseState);
    else
      throw new BadInputError(`--state '${value}' is not a case state`, {
        hint: `name one or more of live, closed, ${STATES.join(', ')} (comma-separated)`,
      });
  }
  return states;
}

export function caseListing(c: CaseRecord, finops: string): CaseListing {
  const owner = caseOwner(c, finops);
  const figures = episodeFigures(c);
  return {
    case_key: c.case_key,
    state: c.state,
    epoch: c.epoch,
    detector: c.detector,
    kind: c.kind,
    account_id: c.account_id,
    account_name: accountNameFor(c, owner),
    model: c.model,
    owner_email: owner.ownerEmail,
    routed: owner.routed,
    opened_at: c.opened_at,
    first_as_of: c.first_as_of,
    last_as_of: c.last_as_of,
    deadline: c.deadline,
    resolved_on: c.resolved_on,
    severity: figures.severity,
    ongoing: figures.ongoing,
    latest_day: figures.latest_day,
    latest_daily_usd: figures.latest_daily_usd,
    peak_value: figures.peak_value,
    peak_metric: figures.peak_metric,
    excess_so_far_usd: figures.excess_so_far_usd,
    projected_30d_excess_usd: figures.projected_30d_excess_usd,
  };
}

/** Every case (or those in the states asked for): live first, then by account and key. */
export async function listCases(
  store: BlobStore,
  input: { finops: string; states?: ReadonlySet<CaseState> },
): Promise<{ listing: CaseListing; record: CaseRecord }[]> {
  const wanted = input.states && input.states.size > 0 ? input.states : null;
  return (await readAllCases(store))
    .filter((c) => wanted === null || wanted.has(c.state))
    .sort(
      (a, b) =>
        (STATE_ORDER.get(a.state) ?? 9) - (STATE_ORDER.get(b.state) ?? 9) ||
        a.account_id.localeCompare(b.account_id) ||
        a.case_key.localeCompare(b.case_key),
    )
    .map((record) => ({ listing: caseListing(record, input.finops), record }));
}

/**
 * One case by its key, or by a prefix of it that names one case (the key as an email shows it, or
 * its first characters); its case events, oldest first.
 */
export async function showCase(
  store: BlobStore,
  key: string,
): Promise<{ record: CaseRecord; events: CaseEvent[] }> {
  const keys = await listCaseKeys(store);
  const matches = keys.includes(key) ? [key] : keys.filter((k) => k.startsWith(key));
  if (matches.length !== 1) {
    throw new BadInputError(
      matches.length === 0
        ? `no case '${key}' in ${store.describe('cases/')}`
        : `'${key}' names ${matches.length} cases: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`,
      { hint: "give the case key as the email shows it; 'sentinel cases' lists them" },
    );
  }
  const record = (await readCase(store, matches[0]!))!.record;
  const events: CaseEvent[] = [];
  for (const eventKey of await store.list('case-events/')) {
    const blob = await store.get(eventKey);
    if (!blob) continue;
    const event = JSON.parse(blob.body) as CaseEvent;
    if (event.case_key === record.case_key) events.push(event);
  }
  // Transitions of one instant (an answer given by `--now` at the alert's time) read in lifecycle order.
  const step = (e: CaseEvent) => (e.from_state === null ? -1 : (STATE_ORDER.get(e.to_state) ?? 9));
  events.sort(
    (a, b) =>
      a.time.localeCompare(b.time) ||
      a.epoch - b.epoch ||
      step(a) - step(b) ||
      a.event_id.localeCompare(b.event_id),
  );
  return { record, events };
}
