import { describe, expect, it } from 'vitest';
import { addDays } from '../../functions/synthetic/calendar.js';
import type { FocusRow } from '../../functions/synthetic/focus-row.js';
import { hourlyMetrics, splitWhole } from '../../functions/synthetic/hourly.js';
import {
  generateOrganization,
  type IncidentLabel,
  ownersCsv,
  SHARED_CC,
} from '../../functions/synthetic/organization.js';
import { Random } from '../../functions/synthetic/random.js';

const END = '2026-03-10';
const org = generateOrganization({ seed: 42, accounts: 40, days: 120, end: END });

const dayOf = (row: FocusRow) => row.chargeperiodstart.toISOString().slice(0, 10);
const usageType = (row: FocusRow) => row.skumeter ?? row.x_usagetype ?? '';

/** docs/detection.md "Input" population: Bedrock inference usage, no AgentCore, no corrections. */
function isBedrockInference(row: FocusRow): boolean {
  const bedrock =
    ['AmazonBedrock', 'AmazonBedrockService', 'AmazonBedrockFoundationModels'].includes(row.x_servicecode) ||
    row.servicename.includes('(Amazon Bedrock Edition)') ||
    row.servicename === 'Amazon Bedrock' ||
    (row.resourceid ?? '').startsWith('arn:aws:bedrock:');
  if (!bedrock || row.x_servicecode === 'AmazonBedrockAgentCore') return false;
  const inference = /token/i.test(usageType(row)) || (row.x_operation ?? '').startsWith('InvokeModel');
  return inference && row.chargecategory === 'Usage' && row.chargeclass !== 'Correction';
}

type TokenClass = 'cache_read' | 'cache_write' | 'input' | 'output' | 'other';
function tokenClassOf(type: string): TokenClass {
  const t = type.toLowerCase();
  if (/cacheread|cache-read|cache_read/.test(t)) return 'cache_read';
  if (/cachewrite|cache-write|cache_write/.test(t)) return 'cache_write';
  if (t.includes('input')) return 'input';
  if (t.includes('output')) return 'output';
  return 'other';
}

function modelKeyOf(row: FocusRow): string {
  if (row.servicename.endsWith(' (Amazon Bedrock Edition)'))
    return row.servicename.replace(' (Amazon Bedrock Edition)', '');
  return usageType(row)
    .replace(/^[A-Z0-9]+-/, '')
    .replace(/-(cross-region-global|global|batch|flex|priority)$/, '')
    .replace(/-(input-tokens|output-tokens|cache-read-input-token-count|cache-write-input-token-count)$/, '');
}

function tokensOf(row: FocusRow): number {
  const unit = row.consumedunit ?? row.pricingunit;
  const scale = unit === '1K tokens' ? 1e3 : unit === '1M tokens' || unit === 'Units' ? 1e6 : 1;
  return (row.consumedquantity ?? 0) * scale;
}

interface Firing {
  account: string;
  detector: IncidentLabel['detector'];
  kind: IncidentLabel['kind'];
  model: string | null;
  asOf: string;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * A compact restatement of docs/detection.md "Runaway inference", "Cache miss" and the budget's daily
 * cap at default thresholds: the oracle the labels are checked against. (The month-over-month rule is
 * left out: a runaway breaks the monthly budget too, and the demo tally counts those separately.)
 */
function evaluate(
  rows: FocusRow[],
  firstDay: string,
  asOf: string,
  accountsOf: { account_id: string; env: string }[],
): Firing[] {
  const inference = rows.filter(isBedrockInference);
  const daily = new Map<string, Map<string, number>>();
  const accounts = new Set(rows.map((r) => r.subaccountid ?? ''));
  for (const row of inference) {
    const perDay = daily.get(row.subaccountid ?? '') ?? new Map<string, number>();
    perDay.set(dayOf(row), (perDay.get(dayOf(row)) ?? 0) + (row.billedcost ?? 0));
    daily.set(row.subaccountid ?? '', perDay);
  }
  const cost = (account: string, day: string) => daily.get(account)?.get(day) ?? 0;
  const span = (account: string, from: number, to: number) => {
    const out: number[] = [];
    for (let i = from; i <= to; i++) {
      const day = addDays(asOf, -i);
      if (day >= firstDay) out.push(cost(account, day));
    }
    return out;
  };
  const firings: Firing[] = [];
  for (const account of accounts) {
    const baseline = span(account, 7, 29);
    if (baseline.length < 14) continue;
    const recent = mean(span(account, 0, 2));
    const avg = mean(baseline);
    const sd = Math.sqrt(mean(baseline.map((x) => (x - avg) ** 2)));
    let kind: 'runaway' | 'new-spender' | null = null;
    if (avg >= 1 && recent > avg + 2 * sd && recent - avg >= 10 && recent >= 1.75 * avg) kind = 'runaway';
    if (avg < 1 && recent >= 50) kind = 'new-spender';
    if (!kind) continue;
    let recurring = false;
    for (let end = 27; end <= 34; end++) {
      const window = [end, end + 1, end + 2].map((i) => addDays(asOf, -i)).filter((d) => d >= firstDay);
      if (window.length === 3 && mean(window.map((d) => cost(account, d))) >= 0.67 * recent) recurring = true;
    }
    if (!recurring) firings.push({ account, detector: 'runaway-inference', kind, model: null, asOf });
  }
  // Daily cap: dev, test and sandbox accounts at $100/day, any day of the last three over it.
  for (const { account_id, env } of accountsOf) {
    if (!['dev', 'test', 'sandbox'].includes(env)) continue;
    if (span(account_id, 0, 2).some((c) => c > 100)) {
      firings.push({ account: account_id, detector: 'budget', kind: 'daily-cap', model: null, asOf });
    }
  }

  type Sums = Record<TokenClass, { tokens: number; cost: number }>;
  const empty = (): Sums => ({
    cache_read: { tokens: 0, cost: 0 },
    cache_write: { tokens: 0, cost: 0 },
    input: { tokens: 0, cost: 0 },
    output: { tokens: 0, cost: 0 },
    other: { tokens: 0, cost: 0 },
  });
  const windows = new Map<string, { recent: Sums; baseline: Sums }>();
  const cacheCapable = new Set<string>();
  for (const row of inference) {
    const day = dayOf(row);
    if (day > asOf || day < addDays(asOf, -34)) continue;
    const model = modelKeyOf(row);
    const cls = tokenClassOf(usageType(row));
    if ((cls === 'cache_read' || cls === 'cache_write') && tokensOf(row) > 0) cacheCapable.add(model);
    const key = `${row.subaccountid}|${model}`;
    const entry = windows.get(key) ?? { recent: empty(), baseline: empty() };
    const sums = day >= addDays(asOf, -6) ? entry.recent : entry.baseline;
    sums[cls].tokens += tokensOf(row);
    sums[cls].cost += row.billedcost ?? 0;
    windows.set(key, entry);
  }
  const prompt = (s: Sums) => s.input.tokens + s.cache_read.tokens + s.cache_write.tokens;
  const promptCost = (s: Sums) => s.input.cost + s.cache_read.cost + s.cache_write.cost;
  for (const [key, { recent, baseline }] of windows) {
    const [account = '', model = ''] = key.split('|');
    if (promptCost(recent) < 100 || prompt(recent) === 0) continue;
    const hit = recent.cache_read.tokens / prompt(recent);
    const baseHit = prompt(baseline) > 0 ? baseline.cache_read.tokens / prompt(baseline) : null;
    const inputPrice = recent.input.cost / recent.input.tokens;
    const readPrice =
      recent.cache_read.tokens > 0 ? recent.cache_read.cost / recent.cache_read.tokens : inputPrice * 0.1;
    let kind: 'cache-regression' | 'cache-absent' | null = null;
    let expected = 0;
    if (baseHit !== null && baseHit - hit >= 0.2) {
      kind = 'cache-regression';
      expected = baseHit;
    } else if (hit < 0.05 && (baseHit ?? 0) < 0.05 && recent.input.tokens > 50e6 && cacheCapable.has(model)) {
      kind = 'cache-absent';
      expected = 0.5;
    }
    if (!kind) continue;
    const avoidable = (expected - hit) * prompt(recent) * (inputPrice - readPrice);
    if (avoidable >= 50) firings.push({ account, detector: 'cache-miss', kind, model, asOf });
  }
  return firings;
}

function dailyBedrockCost(rows: FocusRow[], account: string, day: string): number {
  return rows
    .filter((r) => r.subaccountid === account && dayOf(r) === day && isBedrockInference(r))
    .reduce((sum, r) => sum + (r.billedcost ?? 0), 0);
}

const label = (family: IncidentLabel['family']) => {
  const found = org.labels.find((l) => l.family === family);
  if (!found) throw new Error(`no ${family} label`);
  return found;
};

describe('synthetic organization', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = generateOrganization({ seed: 42, accounts: 40, days: 120, end: END });
    expect(again.rows.length).toBe(org.rows.length);
    expect(JSON.stringify(again.rows.slice(0, 500))).toBe(JSON.stringify(org.rows.slice(0, 500)));
    expect(again.labels).toEqual(org.labels);
    expect(again.owners).toEqual(org.owners);
    const other = generateOrganization({ seed: 7, accounts: 40, days: 120, end: END });
    expect(other.labels.map((l) => l.account_id)).not.toEqual(org.labels.map((l) => l.account_id));
  });

  it('draws the same PRNG sequence for the same seed', () => {
    const a = new Random(123);
    const b = new Random(123);
    const draws = Array.from({ length: 5 }, () => a.next());
    expect(draws).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('covers the requested accounts and days', () => {
    expect(new Set(org.rows.map((r) => r.subaccountid)).size).toBe(40);
    expect(org.start).toBe(addDays(END, -119));
    const days = org.rows
      .filter((r) => r.chargecategory === 'Usage')
      .map(dayOf)
      .sort();
    expect(days[0]).toBe(org.start);
    expect(days.at(-1)).toBe(END);
  });

  it('never writes chargeclass Regular and keeps corrections, credits and tax apart', () => {
    const classes = new Set(org.rows.map((r) => r.chargeclass));
    expect([...classes].sort()).toEqual(['Correction', null]);
    const categories = new Set(org.rows.map((r) => r.chargecategory));
    expect(categories).toEqual(new Set(['Usage', 'Credit', 'Tax']));
    expect(org.rows.filter((r) => r.chargecategory === 'Credit').every((r) => (r.billedcost ?? 0) < 0)).toBe(
      true,
    );
  });

  it('spells Bedrock usage types, units and operations as AWS bills them', () => {
    const bedrock = org.rows.filter(
      (r) => r.chargecategory === 'Usage' && r.chargeclass === null && isBedrockInference(r),
    );
    const types = new Set(bedrock.map(usageType));
    const firstParty =
      /^(USE1|USW2|EUC1)-[A-Za-z0-9.]+-(input-tokens|output-tokens|cache-read-input-token-count|cache-write-input-token-count)(-cross-region-global|-batch)?$/;
    const marketplace =
      /^(USE1|USW2|EUC1)-MP:(USE1|USW2|EUC1)_(Input|Output|CacheReadInput|CacheWriteInput)TokenCount(_Global|_Batch)?-Units$/;
    for (const type of types) expect(firstParty.test(type) || marketplace.test(type), type).toBe(true);
    expect(types).toContain('USE1-Claude4.6Opus-input-tokens');
    expect(types).toContain('USE1-Claude4.6Opus-cache-read-input-token-count');
    expect([...types].some((t) => t.endsWith('-cross-region-global'))).toBe(true);
    expect([...types].some((t) => t.includes('MP:') && t.includes('_Global'))).toBe(true);
    expect(new Set(bedrock.map((r) => r.consumedunit))).toEqual(new Set(['1K tokens', '1M tokens', 'Units']));
    for (const row of bedrock) {
      expect(row.resourceid).toMatch(/^arn:aws:bedrock:[a-z0-9-]+:\d{12}:inference-profile\//);
      const expectedOps =
        dayOf(row) < '2026-01-01' ? ['Usage'] : ['InvokeModelInference', 'InvokeModelStreamingInference'];
      expect(expectedOps).toContain(row.x_operation);
    }
    const marketplaceRow = bedrock.find((r) => r.servicename === 'Claude Opus 4.6 (Amazon Bedrock Edition)');
    expect(marketplaceRow?.x_servicecode).toMatch(/^prod-/);
  });

  it('prices Claude Opus 4.6 regional tokens at the list prices', () => {
    const perMillion = (suffix: string) => {
      const row = org.rows.find(
        (r) => r.skumeter === `USE1-Claude4.6Opus-${suffix}` && r.chargeclass === null,
      );
      if (!row) throw new Error(suffix);
      return ((row.billedcost ?? 0) / tokensOf(row)) * 1e6;
    };
    expect(perMillion('input-tokens')).toBeCloseTo(5.5, 6);
    expect(perMillion('cache-read-input-token-count')).toBeCloseTo(0.55, 6);
    expect(perMillion('cache-write-input-token-count')).toBeCloseTo(6.875, 6);
    expect(perMillion('output-tokens')).toBeCloseTo(27.5, 6);
  });

  it('labels one incident of each family, each on its own account', () => {
    expect(org.labels.map((l) => l.family).sort()).toEqual(
      [
        'cache-absent',
        'cache-regression',
        'midweek-spike',
        'new-spender',
        'output-runaway',
        'sandbox-over-cap',
        'sudden-runaway',
        'weekend-loop',
      ].sort(),
    );
    expect(new Set(org.labels.map((l) => l.account_id)).size).toBe(org.labels.length);
    for (const l of org.labels) expect(l.model === null).toBe(l.detector !== 'cache-miss');
    expect(label('cache-regression').model).toBe('Claude4.6Opus');
    expect(label('cache-absent').model).toBe('Claude4.5Sonnet');
  });

  it('puts the sudden runaway at about $7/day before and about $130/day after its start', () => {
    const l = label('sudden-runaway');
    expect(l.start).toBe(addDays(END, -2));
    const before = Array.from({ length: 23 }, (_, i) =>
      dailyBedrockCost(org.rows, l.account_id, addDays(END, -7 - i)),
    );
    const after = [0, 1, 2].map((i) => dailyBedrockCost(org.rows, l.account_id, addDays(END, -i)));
    expect(mean(before)).toBeGreaterThan(6.5);
    expect(mean(before)).toBeLessThan(8);
    expect(mean(after)).toBeGreaterThan(120);
    expect(mean(after)).toBeLessThan(145);
  });

  it('ends the mid-week spike before the end and keeps it within the last 14 days', () => {
    const l = label('midweek-spike');
    expect(l.end).not.toBeNull();
    expect(new Date(`${l.start}T00:00:00Z`).getUTCDay()).toBe(2);
    expect(l.start >= addDays(END, -13)).toBe(true);
    expect((l.end ?? '') <= addDays(END, -3)).toBe(true);
    expect(dailyBedrockCost(org.rows, l.account_id, l.start)).toBeGreaterThan(80);
    expect(dailyBedrockCost(org.rows, l.account_id, addDays(l.end ?? '', 1))).toBeLessThan(30);
  });

  it('gives the new spender no Bedrock history before its start', () => {
    const l = label('new-spender');
    const earlier = org.rows.filter(
      (r) => r.subaccountid === l.account_id && isBedrockInference(r) && dayOf(r) < l.start,
    );
    expect(earlier).toHaveLength(0);
    expect(dailyBedrockCost(org.rows, l.account_id, END)).toBeGreaterThanOrEqual(80);
  });

  it('fires exactly the labelled incidents under the documented rules over a 14-day catch-up', () => {
    const firings: Firing[] = [];
    for (let i = 13; i >= 0; i--)
      firings.push(...evaluate(org.rows, org.start, addDays(END, -i), org.accounts));
    const labelled = new Set(org.labels.map((l) => `${l.account_id}|${l.detector}`));
    const unexpected = firings.filter((f) => !labelled.has(`${f.account}|${f.detector}`));
    expect(unexpected).toEqual([]);
    for (const l of org.labels) {
      const hits = firings.filter((f) => f.account === l.account_id && f.detector === l.detector);
      expect(hits.length, l.family).toBeGreaterThan(0);
      expect(new Set(hits.map((h) => h.kind)), l.family).toEqual(new Set([l.kind]));
      expect(new Set(hits.map((h) => h.model)), l.family).toEqual(new Set([l.model]));
      // A finding never precedes the incident it reports.
      for (const hit of hits) expect(hit.asOf >= l.start, l.family).toBe(true);
    }
    const onEnd = new Set(evaluate(org.rows, org.start, END, org.accounts).map((f) => f.account));
    expect(onEnd.has(label('midweek-spike').account_id)).toBe(false);
  });

  it('stays quiet on benign accounts for other seeds and sizes too', () => {
    for (const [seed, accounts, end] of [
      [1, 12, '2025-11-30'],
      [99, 60, '2026-02-02'],
    ] as const) {
      const other = generateOrganization({ seed, accounts, days: 90, end });
      const labelled = new Set(other.labels.map((l) => `${l.account_id}|${l.detector}`));
      for (let i = 13; i >= 0; i--) {
        const unexpected = evaluate(other.rows, other.start, addDays(end, -i), other.accounts).filter(
          (f) => !labelled.has(`${f.account}|${f.detector}`),
        );
        expect(unexpected, `seed ${seed}`).toEqual([]);
      }
    }
  });

  it('maps owners with a few accounts left out and one cc shared by several accounts', () => {
    const mapped = new Set(org.owners.map((o) => o.account_id));
    expect(org.accounts.length - mapped.size).toBe(3);
    expect(mapped.has(label('new-spender').account_id)).toBe(false);
    expect(org.owners.filter((o) => o.cc === SHARED_CC).length).toBeGreaterThanOrEqual(3);
    const csv = ownersCsv(org.owners);
    expect(csv.split('\n')[0]).toBe('account_id,owner_email,account_name,team,cc,environment');
    expect(csv.trim().split('\n')).toHaveLength(org.owners.length + 1);
  });

  it('includes AgentCore, everyday services and zero-spend days', () => {
    expect(org.rows.some((r) => r.x_servicecode === 'AmazonBedrockAgentCore')).toBe(true);
    const services = new Set(org.rows.map((r) => r.x_servicecode));
    for (const code of ['AmazonEC2', 'AWSLambda', 'AmazonS3', 'AmazonSageMaker', 'AmazonECS']) {
      expect(services).toContain(code);
    }
    const sporadic = org.accounts.find((a) => a.pattern === 'sporadic');
    expect(sporadic).toBeDefined();
    const zeroDays = Array.from({ length: 30 }, (_, i) => addDays(END, -i)).filter(
      (d) => dailyBedrockCost(org.rows, sporadic?.account_id ?? '', d) === 0,
    );
    expect(zeroDays.length).toBeGreaterThan(5);
  });

  it('leaves the weekend loop out of organizations under 20 accounts, account for account', () => {
    const small = generateOrganization({ seed: 42, accounts: 12, days: 90, end: END });
    expect(small.labels.map((l) => l.family)).not.toContain('weekend-loop');
    expect(small.labels).toHaveLength(6);
  });

  it('puts the weekend loop at $58 an hour from Friday 18:00 UTC for 72 hours, about $4,200', () => {
    const l = label('weekend-loop');
    expect(new Date(`${l.start}T00:00:00Z`).getUTCDay()).toBe(5);
    expect(l.start_hour).toBe(`${l.start}T18:00:00Z`);
    expect(l.end).toBe(addDays(l.start, 3));
    expect(l.end! <= END).toBe(true);
    const loop = [0, 1, 2, 3].map((i) => dailyBedrockCost(org.rows, l.account_id, addDays(l.start, i)));
    const before = Array.from({ length: 10 }, (_, i) =>
      dailyBedrockCost(org.rows, l.account_id, addDays(l.start, -7 - i)),
    );
    const weekday = before.filter(
      (_, i) => ![0, 6].includes(new Date(`${addDays(l.start, -7 - i)}T00:00:00Z`).getUTCDay()),
    );
    expect(mean(weekday)).toBeGreaterThan(18);
    expect(mean(weekday)).toBeLessThan(22);
    // Friday: 6 loop hours and a workday; Saturday and Sunday 24; Monday 18 and a workday.
    const extra = loop.map(
      (c, i) => c - (i === 0 || i === 3 ? mean(weekday) : mean(before.filter((x) => x < 5))),
    );
    expect(extra.reduce((a, b) => a + b, 0)).toBeGreaterThan(4100);
    expect(extra.reduce((a, b) => a + b, 0)).toBeLessThan(4260);
  });
});

describe('synthetic hourly metrics', () => {
  const hourly = hourlyMetrics(org);
  const modelIdOf = (row: FocusRow) =>
    (row.resourceid ?? '').slice((row.resourceid ?? '').lastIndexOf('/') + 1);

  it('holds the same tokens per account, model id, day and token class as the FOCUS rows', () => {
    const columns = {
      input: 'input_tokens',
      output: 'output_tokens',
      cache_read: 'cache_read_tokens',
      cache_write: 'cache_write_tokens',
    } as const;
    const fromBill = new Map<string, number>();
    for (const row of org.rows) {
      if (!isBedrockInference(row) || !/token/i.test(usageType(row))) continue;
      const cls = tokenClassOf(usageType(row));
      if (cls === 'other') continue;
      const key = `${row.subaccountid}|${modelIdOf(row)}|${dayOf(row)}|${columns[cls]}`;
      fromBill.set(key, (fromBill.get(key) ?? 0) + Math.round(tokensOf(row)));
    }
    const fromHours = new Map<string, number>();
    for (const row of hourly) {
      for (const column of Object.values(columns)) {
        const tokens = row[column];
        if (!tokens) continue;
        const key = `${row.account_id}|${row.model_id}|${row.hour.slice(0, 10)}|${column}`;
        fromHours.set(key, (fromHours.get(key) ?? 0) + tokens);
      }
    }
    const nonZero = (m: Map<string, number>) => new Map([...m].filter(([, v]) => v > 0));
    expect(nonZero(fromHours)).toEqual(nonZero(fromBill));
    expect(fromBill.size).toBeGreaterThan(1000);
  });

  it('names model ids the bill links to its model keys, and leaves cache metrics null where none are billed', () => {
    const links = new Map<string, string>();
    for (const row of org.rows)
      if (isBedrockInference(row)) links.set(`${row.subaccountid}|${modelIdOf(row)}`, modelKeyOf(row));
    for (const row of hourly) expect(links.has(`${row.account_id}|${row.model_id}`), row.model_id).toBe(true);
    expect(new Set(hourly.map((r) => r.model_id))).toContain('us.anthropic.claude-opus-4-6-v1');
    expect(new Set(hourly.map((r) => r.model_id))).toContain(
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    );
    // Llama 4 Maverick bills no cache tokens: its rows publish no cache metrics.
    const llama = hourly.filter((r) => r.model_id.includes('llama4'));
    expect(llama.length).toBeGreaterThan(0);
    expect(llama.every((r) => r.cache_read_tokens === null && r.cache_write_tokens === null)).toBe(true);
    expect(hourly.every((r) => (r.invocations ?? 0) >= 1)).toBe(true);
  });

  it('spreads office-hours accounts over office hours and the weekend loop over its own hours', () => {
    const l = label('weekend-loop');
    const rows = hourly.filter((r) => r.account_id === l.account_id);
    const hoursOn = (day: string) =>
      rows.filter((r) => r.hour.startsWith(day)).map((r) => Number(r.hour.slice(11, 13)));
    const thursday = rows.filter((r) => r.hour.startsWith(addDays(l.start, -1)));
    const output = (list: typeof rows) => list.reduce((n, r) => n + (r.output_tokens ?? 0), 0);
    const office = thursday.filter(
      (r) => Number(r.hour.slice(11, 13)) >= 9 && Number(r.hour.slice(11, 13)) < 17,
    );
    // Office hours carry the day; the rest of a workday a trickle.
    expect(output(office) / output(thursday)).toBeGreaterThan(0.9);
    const saturday = hoursOn(addDays(l.start, 1));
    expect(saturday).toEqual(Array.from({ length: 24 }, (_, h) => h));
    const friday = rows.filter((r) => r.hour.startsWith(l.start) && Number(r.hour.slice(11, 13)) >= 18);
    expect(friday).toHaveLength(6);
  });

  it('splits a day into whole hours that add up exactly', () => {
    expect(splitWhole(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitWhole(7, [0, 1, 0, 1])).toEqual([0, 4, 0, 3]);
    expect(splitWhole(0, [1, 1])).toEqual([0, 0]);
  });
});
