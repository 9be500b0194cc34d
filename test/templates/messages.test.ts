import { describe, expect, it } from 'vitest';
import { exampleMessage } from '../../functions/cli/render-examples.js';
import { DEFAULT_BAND } from '../../functions/core/cases/episode.js';
import type { CaseRecord } from '../../functions/core/cases/model.js';
import { applyCaseInput, type CaseInput } from '../../functions/core/cases/transitions.js';
import { addDays } from '../../functions/core/dates.js';
import { dateRange } from '../../functions/core/format.js';
import { buildAnswerActions, verifyAnswerLink } from '../../functions/core/notify/answer-links.js';
import type { MessageData } from '../../functions/core/notify/message-model.js';
import { MESSAGE_KINDS, renderMessage } from '../../functions/core/notify/render.js';
import { caseSection } from '../../functions/core/notify/sections.js';
import { sectionView } from '../../functions/core/notify/view.js';
import type { Finding } from '../../functions/core/types.js';
import { asCacheMiss, asRunaway, makeFinding } from '../fixtures/findings.js';

const HOSTILE_NAME = 'R&D <script>alert("x")</script> Lab';

/** Each example holds both docs/detection.md "Reference numbers" reference cases (runaway and cache incident). */
const REFERENCE_NUMBERS = [
  '18.0×', // spike 132.05 / 7.32
  '$132.05',
  '$7.32',
  '$124.73',
  '$3,741.90',
  '20.3%', // hit ratio 1.67 / 8.241
  '0.20265',
  '90.0%',
  '6.47 B',
  '$35,585.00',
  '$28,447.16', // avoidable 28,447.155, to the cent
  '$121,916.38',
];

function withHostileAccountName(data: MessageData): MessageData {
  const rename = (s: MessageData['sections'][number]) => ({
    ...s,
    accountName: HOSTILE_NAME,
    finding: { ...s.finding, account_name: HOSTILE_NAME },
  });
  return {
    ...data,
    sections: data.sections.map(rename),
    digest: data.digest && { ...data.digest, escalated: data.digest.escalated.map(rename) },
  };
}

const casesOf = (data: MessageData) =>
  data.kind === 'finops-digest' ? data.digest!.escalated : data.sections;

describe.each(MESSAGE_KINDS)('%s message', (kind) => {
  const data = exampleMessage(kind);
  const rendered = renderMessage(data);

  it.each(REFERENCE_NUMBERS)('shows %s in both the HTML and the text part', (value) => {
    expect(rendered.html).toContain(value);
    expect(rendered.text).toContain(value);
  });

  it('has a one-line subject', () => {
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject.length).toBeGreaterThan(10);
  });

  it('is a self-contained HTML email: no scripts, SVG, remote images or stylesheets', () => {
    expect(rendered.html).not.toMatch(/<script/i);
    expect(rendered.html).not.toMatch(/<svg/i);
    expect(rendered.html).not.toMatch(/<img[^>]+src=["']?https?:/i);
    expect(rendered.html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(rendered.html).not.toMatch(/url\(\s*['"]?https?:/i);
    // Fluid up to 600 px: holds at 400 px (mobile) and at 900 px (docs/emails.md).
    expect(rendered.html).toMatch(/width="100%"[^>]*max-width:600px/);
  });

  it('draws the daily-spend chart with table cells', () => {
    expect(rendered.html).toMatch(/<td height="\d+" bgcolor="#d92d20"/);
  });

  it('is plain text in the text part', () => {
    expect(rendered.text).not.toMatch(/<\/?(p|td|strong|table)\b/);
    expect(rendered.text).not.toMatch(/&(amp|lt|gt|quot|#\d+);/);
  });

  it('escapes an account name from the bill in HTML and keeps it readable in text and subject', () => {
    const hostile = renderMessage(withHostileAccountName(data));
    expect(hostile.html).not.toContain('<script>alert');
    expect(hostile.html).toContain('R&amp;D &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Lab');
    expect(hostile.text).toContain(HOSTILE_NAME);
    if (kind !== 'finops-digest' && data.sections.length === 1)
      expect(hostile.subject).toContain(HOSTILE_NAME);
  });

  it('shows sentinel ack command lines when there is no ack_base_url', () => {
    for (const section of casesOf(data)) {
      for (const answer of ['stopped', 'legitimate', 'investigating']) {
        const command = `sentinel ack --case ${section.caseKey} --answer ${answer} --out ./sentinel-out`;
        expect(rendered.text).toContain(command);
        // HTML: the same command, each flag kept with its value (docs/emails.md: never break inside a flag).
        const visible = rendered.html
          .replace(/<\/?span[^>]*>/g, '')
          .replace(/&#x2F;|&#x3D;/g, (e) => (e === '&#x2F;' ? '/' : '='));
        expect(visible).toContain(command);
      }
    }
    expect(rendered.html).not.toContain('/ack?');
  });

  it('shows signed answer links when ack_base_url is set', () => {
    const key = 'template-test-key-0123456789';
    const expiresAt = new Date('2026-03-31T00:00:00Z');
    const signed = (s: MessageData['sections'][number]) => ({
      ...s,
      actions: buildAnswerActions({
        caseKey: s.caseKey,
        epoch: s.epoch,
        ackBaseUrl: 'https://sentinel.example.com/',
        key,
        expiresAt,
        out: 'unused',
      }),
    });
    const linked = renderMessage({
      ...data,
      sections: data.sections.map(signed),
      digest: data.digest && { ...data.digest, escalated: data.digest.escalated.map(signed) },
    });
    expect(linked.text).not.toContain('sentinel ack');
    expect(linked.html).not.toContain('sentinel ack');
    const urls = linked.text.match(/https:\/\/sentinel\.example\.com\/ack\?\S+/g) ?? [];
    expect(urls).toHaveLength(casesOf(data).length * 3);
    for (const url of urls) {
      const params = new URL(url).searchParams;
      expect(() => verifyAnswerLink(params, { key, now: new Date('2026-03-10T00:00:00Z') })).not.toThrow();
      // The same link, HTML-escaped, is the button's href.
      const hrefs = linked.html.match(/href="([^"]+)"/g) ?? [];
      const unescaped = hrefs.map((h) =>
        h
          .slice(6, -1)
          .replace(/&amp;/g, '&')
          .replace(/&#x3D;/g, '=')
          .replace(/&#x2F;/g, '/'),
      );
      expect(unescaped).toContain(url);
    }
  });
});

describe('message wording', () => {
  it('owner alert asks for an answer within the follow-up hours with one button per answer', () => {
    const { text } = renderMessage(exampleMessage('owner-alert'));
    expect(text).toContain(
      'ran at $132.05/day on 1 Mar, 18.0× its baseline of $7.32/day, and has averaged $132.05/day over the 3 days since 27 Feb.',
    );
    expect(text).toContain('(within 48 hours)');
    expect(text).toContain('agent-run-id = nightly-triage-7f3a');
    expect(text).toContain('inference-profile/global.anthropic.claude-opus-4-6-v1');
    expect(text).toContain('13.5 M output vs 10.6 M input');
    expect(text).toContain('stayed flat');
    expect(text).toMatch(/UPDATE: SEVERITY RAISED/);
  });

  it('tells FinOps as the fallback owner why the alert came to them, instead of "which you own"', () => {
    const data = exampleMessage('owner-alert');
    const unrouted = { ...data, sections: [{ ...data.sections[0]!, routed: false }] };
    for (const part of [renderMessage(unrouted).text, renderMessage(unrouted).html]) {
      expect(part).toContain('no owner is mapped for this account; add it to the owners file');
      expect(part).not.toContain('which you own');
    }
    expect(renderMessage(data).text).toContain('which you own');
  });

  const withEpisode = (
    kind: 'owner-alert' | 'reminder',
    episode: Partial<MessageData['sections'][number]['episode']>,
  ): MessageData => {
    const data = exampleMessage(kind);
    const s = data.sections.find((x) => x.detector === 'runaway-inference')!;
    return { ...data, sections: [{ ...s, episode: { ...s.episode, ...episode } }] };
  };
  const ENDED = {
    ongoing: false,
    spikeFrom: '2026-02-27',
    spikeTo: '2026-03-01',
    endDay: '2026-03-02',
    rateSinceUsd: 7.4,
    excessSoFarUsd: 374.19,
  };

  it('episode ongoing: the latest rate and the 30-day projection', () => {
    const { text, html, subject } = renderMessage(withEpisode('owner-alert', {}));
    for (const part of [text, html]) {
      expect(part).toMatch(
        /has averaged (<strong>)?\$132\.05\/day(<\/strong>)? over the 3 days since 27 Feb/,
      );
      expect(part).toContain("If it continues at the latest day's rate, it adds");
    }
    expect(subject).toContain('18.0× baseline ($132.05/day, 1 Mar)');
  });

  it('episode ended before the first email: peak with its dates, end day, rate since, excess so far; no projection', () => {
    const { text, html, subject } = renderMessage(
      withEpisode('owner-alert', { ...ENDED, endedBeforeFirstEmail: true }),
    );
    expect(text).toContain(
      'ran at $132.05/day on average, 18.0× its $7.32/day baseline, on 27 Feb – 1 Mar 2026 (highest day $135.70, 28 Feb); back to $7.40/day since 2 Mar.',
    );
    expect(text).toContain('The spike has ended: it spent $374.19 above the baseline.');
    expect(html).toContain('The spike has ended: it spent <strong>$374.19</strong> above the baseline.');
    for (const part of [text, html]) {
      expect(part).not.toContain('If it continues');
      expect(part).not.toContain('has averaged');
    }
    expect(subject).toContain('ran 18.0× baseline ($132.05/day, 27 Feb – 1 Mar 2026), ended');
  });

  it('episode ended after the first email: the reminder says it ended since the first alert', () => {
    const { text, html } = renderMessage(withEpisode('reminder', { ...ENDED, endedBeforeFirstEmail: false }));
    expect(text).toContain('The spike has ended since the first alert: it spent $374.19 above the baseline.');
    expect(html).toContain('The spike has ended since the first alert');
    expect(text).toContain('Excess so far  $374.19');
    expect(html).toContain('Excess so far');
  });

  it("episode ended: the breakdown beside the peak's numbers is the peak's, not the latest finding's", () => {
    const data = withEpisode('reminder', { ...ENDED, peakIsLatest: false });
    const s = data.sections[0]!;
    // The latest finding fired two days after the peak, on the tail of the spike, another tag on top.
    const latest = {
      ...s.peak,
      finding_id: 'latest',
      as_of: '2026-03-03',
      recent_avg_daily_usd: 48.9,
      output_tokens: 1_234_567,
      diagnosis: 'input and output rose together: more calls of the same shape.',
      breakdown: {
        ...s.peak.breakdown,
        tags: [{ key: 'team=support', recent_cost_usd: 90, baseline_cost_usd: 0, recent_tokens: 1 }],
      },
    };
    const { text, html } = renderMessage({ ...data, sections: [{ ...s, finding: latest }] });
    const peakTag = s.peak.breakdown.tags.find((t) => t.baseline_cost_usd === 0) ?? s.peak.breakdown.tags[0]!;
    for (const part of [text, html]) {
      expect(part).toContain('$132.05/day'); // the peak's headline
      expect(part).toContain(peakTag.key.split('=')[1]!);
      expect(part).not.toContain('team = support');
      expect(part).not.toContain('1.23 M');
      expect(part).not.toContain('more calls of the same shape');
      // The breakdown is the peak's window, said so: not "now", not "the last 3 days".
      expect(part).toContain(`/day at the peak (${dateRange(s.peak.recent_start, s.peak.recent_end)}), `);
      expect(part).toContain(`Tokens on ${dateRange(s.peak.recent_start, s.peak.recent_end)}:`);
      expect(part).not.toMatch(/\/day now|Tokens in the last/);
    }
    expect(text).toContain('Peak/day');
    expect(html).toContain('At the peak, per day');
  });

  it("cache-miss episode ended: the peak's hit ratio and avoidable cost, and the avoidable cost so far", () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const latest = {
      ...cache.finding,
      finding_id: 'latest',
      cache_hit_ratio: 0.61,
      avoidable_cost_usd: 512.5,
    };
    const ended = {
      ...cache,
      finding: latest,
      episode: { ...cache.episode, ...ENDED, excessSoFarUsd: 30123.45, peakIsLatest: false },
    };
    const { text, html, subject } = renderMessage({ ...data, sections: [ended] });
    for (const part of [text, html, subject]) {
      expect(part).toContain('20.3%'); // the peak's hit ratio
      expect(part).toContain('$28,447.16'); // the peak's avoidable cost
      expect(part).not.toContain('61%');
      expect(part).not.toContain('$512.50');
    }
    for (const part of [text, html]) {
      expect(part).toContain('Avoidable so far');
      expect(part).toContain('$30,123.45');
      expect(part).not.toContain('30-day excess');
    }
  });

  it('episode ongoing past its peak: the subject gives the peak with its day and the latest rate', () => {
    const data = withEpisode('owner-alert', {
      peakIsLatest: false,
      pastPeak: true,
      peakEarlier: true,
      latestDay: '2026-03-04',
      latestDailyUsd: 61.5,
      latestRatio: 8.4,
      peakRatio: 18.54,
    });
    const s = data.sections[0]!;
    const latest = { ...s.peak, finding_id: 'latest', recent_avg_daily_usd: 99.99 };
    const { subject, text } = renderMessage({ ...data, sections: [{ ...s, finding: latest }] });
    expect(subject).toContain('peaked 18.5× baseline ($135.70/day, 28 Feb), now $61.50/day, on');
    expect(text).toContain('ran at $61.50/day on 4 Mar, 8.4× its baseline');
    expect(text).toContain('It peaked at $135.70/day on 28 Feb.');
    // The latest finding's 3-day mean is the detector's, never the owner's rate.
    for (const part of [subject, text]) expect(part).not.toContain('$99.99');
  });

  it('episode ended: the cache-miss and new-spender subjects say so', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const endedCache = { ...cache, episode: { ...cache.episode, ...ENDED } };
    expect(renderMessage({ ...data, sections: [endedCache] }).subject).toMatch(/\(was 90\.0%\), ended, on /);
    const runaway = withEpisode('owner-alert', ENDED).sections[0]!;
    const newSpender = {
      ...runaway,
      kind: 'new-spender' as const,
      peak: { ...asRunaway(runaway.peak), kind: 'new-spender' as const },
    };
    expect(renderMessage({ ...data, sections: [newSpender] }).subject).toContain(
      'new Bedrock spend ran at $132.05/day (27 Feb – 1 Mar 2026), ended, on',
    );
  });

  it('episode ended: the chart goes on through the quiet days the case recorded, and their spend is no excess', () => {
    const data = withEpisode('reminder', {
      ...ENDED,
      newestEvaluated: '2026-03-04',
      laterDays: [
        { date: '2026-03-02', cost_usd: 10.4, hit_ratio: null },
        { date: '2026-03-03', cost_usd: 7.1, hit_ratio: null },
        { date: '2026-03-04', cost_usd: 10.7, hit_ratio: null },
      ],
    });
    const s = data.sections[0]!;
    const view = sectionView(s);
    const bars = view.chart.bars;
    // Above the baseline average, under the band: an ended spike's quiet days draw no excess.
    expect(bars.at(-1)).toMatchObject({ date: '2026-03-04', costUsd: 10.7, excessPx: 0 });
    expect(bars.find((b) => b.date === '2026-03-02')?.excessPx).toBe(0); // the end day
    expect(bars.find((b) => b.date === '2026-03-01')!.excessPx).toBeGreaterThan(0); // the spike's last day
    expect(view.asOf).toBe('2026-03-04');
    const { text, html } = renderMessage(data);
    expect(text).toMatch(/4 Mar +\$10\.70/);
    expect(text).toContain('as of Wed 4 Mar 2026');
    expect(html).toContain('as of Wed 4 Mar 2026');
  });

  it('keeps each flag of a command line with its value: lines break between flags, never inside one', () => {
    const { html } = renderMessage(exampleMessage('owner-alert'));
    expect(html).toContain('<span style="white-space:nowrap;">--answer investigating</span>');
    expect(html).toMatch(/<span style="white-space:nowrap;">--out [^<]+<\/span>/);
    expect(html).not.toMatch(/overflow-wrap:anywhere;">sentinel ack --case/);
  });

  it('reminder says when the first alert went out and the new deadline', () => {
    const { text, subject } = renderMessage(exampleMessage('reminder'));
    expect(subject).toMatch(/^Reminder:/);
    expect(text).toContain('The first alert went out on Tue 3 Mar 2026, 06:00 UTC');
    expect(text).toContain('please answer by Sat 7 Mar 2026, 06:00 UTC');
  });

  it('escalation is addressed to the escalation list and names the owner', () => {
    const { text, subject } = renderMessage(exampleMessage('escalation'));
    expect(subject).toMatch(/^Escalation:/);
    expect(text).toContain('To finops-escalation@example.com:');
    expect(text).toContain('The owner, dana.owner@example.com, has not answered');
  });

  it('digest lists state counts, changes, unroutable cases, refused addresses and failed messages', () => {
    const { text } = renderMessage(exampleMessage('finops-digest'));
    expect(text).toMatch(/escalated\s+2/);
    expect(text).toContain('reminded -> escalated');
    expect(text).toContain(
      'ML Research Lab (333333333333), open for 4 days since 5 Mar 06:00, case e4d2a0917c3b58f6',
    );
    expect(text).toContain('former.owner@example.com');
    expect(text).toContain('TooManyRequestsException');
    expect(text).toContain('ESCALATED, STILL UNANSWERED (2)');
    // Each case with its kind, severity, episode figure and state (docs/emails.md).
    expect(text).toContain(
      '7 Mar 06:00: reminded -> escalated, runaway, High: Bedrock spend 18.0× baseline ($132.05/day, 1 Mar) on Checkout Prod (111111111111)\n    First seen by the bill on Tue 3 Mar 2026, 06:00 UTC (as of 1 Mar).\n    owner dana.owner@example.com, case 9a41d3c7e2b85f10',
    );
    expect(text).toContain(
      'acknowledged -> resolved, cache-regression, High: prompt cache hit ratio 20.3% (was 90.0%), ended, on Search Platform (444444444444), $2,140.50 avoidable in 7 days',
    );
    expect(text).toContain('owner finops@example.com (not in the owners mapping), case e4d2a0917c3b58f6');
  });

  it('does not ask whether caching works again of a model that never cached (cache-absent)', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const finding = { ...asCacheMiss(cache.finding), kind: 'cache-absent' as const };
    const absent = { ...cache, kind: 'cache-absent' as const, finding, peak: finding };
    const { text, html } = renderMessage({ ...data, sections: [absent] });
    for (const part of [text, html]) {
      expect(part).not.toContain('working again');
      expect(part).toContain('will prompt caching be turned on for this model');
    }
  });

  it('cache-miss episode ended: no 30-day projection, says the hit ratio is back and since when', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const ended = {
      ...cache,
      episode: { ...cache.episode, ...ENDED, excessSoFarUsd: 28447.16, endedBeforeFirstEmail: true },
    };
    const { text, html } = renderMessage({ ...data, sections: [ended] });
    for (const part of [text, html]) {
      expect(part).toContain('The hit ratio is back since 2 Mar: the regression has ended');
      expect(part).not.toContain('if nothing changes');
    }
  });

  it('uses human words: token classes and re-opened cases', () => {
    const data = exampleMessage('owner-alert');
    const { text, html } = renderMessage(data);
    expect(text).toContain('cache reads');
    expect(text).not.toMatch(/^\s+cache_read\b/m);
    expect(text).not.toContain('occurrence');
    const reopened = renderMessage({ ...data, sections: [{ ...data.sections[0]!, epoch: 2 }] });
    expect(reopened.text).toContain('open again since it was re-opened');
    expect(html).not.toContain('occurrence');
  });

  it('strips CR/LF that reach the subject from data', () => {
    const data = exampleMessage('owner-alert');
    const one = { ...data, sections: [{ ...data.sections[0]!, accountName: 'Evil\r\nBcc: x@evil.example' }] };
    expect(renderMessage(one).subject).not.toMatch(/[\r\n]/);
  });

  it('refuses a digest without its digest data', () => {
    const { digest: _digest, ...data } = exampleMessage('finops-digest');
    expect(() => renderMessage(data)).toThrow(/digest data/);
  });
});

/** A case through the case engine, as a message section (the way the delivery step builds it). */
const owner = {
  accountId: '111111111111',
  ownerEmail: 'ana@example.com',
  accountName: 'Payments',
  team: null,
  cc: [],
  routed: true,
};
const rules = {
  followUpHours: 48,
  autoResolveDays: 3,
  suppressDays: 30,
  resuppressGrowth: 2,
  band: DEFAULT_BAND,
};
const seriesOf = (asOf: string, cost: (d: string) => number, hit?: (d: string) => number) =>
  Array.from({ length: 30 }, (_, i) => addDays(asOf, i - 29)).map((date) => ({
    date,
    cost_usd: cost(date),
    hit_ratio: hit ? hit(date) : null,
  }));
const runawayOf = (over: Parameters<typeof makeFinding>[0]) => asRunaway(makeFinding(over));
const findingInput = (finding: Finding): CaseInput => ({
  type: 'finding',
  finding,
  mayOpen: true,
  runId: 'r',
  owner,
});
function caseThrough(inputs: CaseInput[], at = '2026-12-19T06:00:00Z'): CaseRecord {
  let c: CaseRecord | null = null;
  for (const input of inputs) c = applyCaseInput(c, input, { now: new Date(at), rules }).next;
  return c!;
}
const messageOf = (
  kind: MessageData['kind'],
  c: CaseRecord,
  generatedAt = '2026-12-19T06:00:00Z',
): MessageData => ({
  kind,
  generatedAt,
  recipient: { to: ['ana@example.com'], cc: [] },
  followUpHours: 48,
  contacts: { finops: 'finops@example.com', escalation: ['finops@example.com'] },
  sections: [
    caseSection(c, owner, ({ caseKey, epoch }) =>
      buildAnswerActions({
        caseKey,
        epoch,
        ackBaseUrl: null,
        expiresAt: new Date('2027-01-01T00:00:00Z'),
        out: './out',
      }),
    ),
  ],
});

describe('email truth', () => {
  // $7.32/day, then $130.88 on 17 Dec: the 3-day mean the detector fires on is $48.51.
  const spike = (d: string) => (d >= '2026-12-17' ? 130.88 : 7.32);
  const firstDay = (): Finding => ({
    ...runawayOf({ asOf: '2026-12-17', recent: 48.51, baseline: 7.32 }),
    series: seriesOf('2026-12-17', spike),
    started_on: '2026-12-17',
  });

  it("tells a spike's first day at that day's rate, not the detector's diluted 3-day mean", () => {
    const { text, html, subject } = renderMessage(
      messageOf('owner-alert', caseThrough([findingInput(firstDay())])),
    );
    expect(text).toContain(
      'ran at $130.88/day on 17 Dec, 17.9× its baseline of $7.32/day, its first day above the baseline.',
    );
    expect(html).toContain('<strong>$130.88/day on 17 Dec, 17.9× its baseline</strong>');
    expect(subject).toBe(
      '[High] Bedrock spend 17.9× baseline ($130.88/day, 17 Dec) on Payments (111111111111) - please answer within 48 h',
    );
    for (const part of [text, html]) {
      expect(part).toContain('$3,706.80'); // 30 × ($130.88 − $7.32): the latest day's excess
      expect(part).not.toContain('$48.51');
      expect(part).not.toMatch(/has run for 1 day/);
    }
  });

  it('pairs a day count only with the mean over those days', () => {
    const later = {
      ...runawayOf({ asOf: '2026-12-19', recent: 130.88, baseline: 7.32 }),
      series: seriesOf('2026-12-19', spike),
      started_on: '2026-12-17',
    };
    const c = caseThrough([findingInput(firstDay()), findingInput(later)]);
    const { text } = renderMessage(messageOf('owner-alert', c));
    expect(text).toContain('and has averaged $130.88/day over the 3 days since 17 Dec.');
  });

  it('says first, in the re-opened alert, that the "stopped" answer is contradicted, with the days and figures', () => {
    const opened = caseThrough([findingInput(firstDay())]);
    const stopped = applyCaseInput(
      opened,
      {
        type: 'answer',
        answer: 'stopped',
        note: 'killed the agent',
        by: 'ana@example.com',
        epoch: null,
        defaultAsOf: '2026-12-17',
      },
      { now: new Date('2026-12-19T09:00:00Z'), rules },
    ).next!;
    const next = {
      ...runawayOf({ asOf: '2026-12-19', recent: 130.88, baseline: 7.32 }),
      series: seriesOf('2026-12-19', spike),
      started_on: '2026-12-17',
    };
    const c = applyCaseInput(stopped, findingInput(next), { now: new Date('2026-12-21T06:00:00Z'), rules })
      .next!;
    expect(c.epoch).toBe(2);
    const { text, html, subject } = renderMessage(messageOf('owner-alert', c, '2026-12-21T06:00:00Z'));
    expect(subject).toMatch(/^Re-opened: \[High\] /);
    // First of all, the message says an answer is contradicted; the section then gives the days.
    expect(text).toMatch(/^\*\*\* RE-OPENED: AN ANSWER "STOPPED" IS CONTRADICTED BY THE SPEND SINCE\./);
    const section = text.slice(text.indexOf('RE-OPENED: the answer'));
    expect(text.indexOf('RE-OPENED: the answer')).toBeLessThan(text.indexOf('== Runaway'));
    expect(section).toContain(
      'RE-OPENED: the answer "stopped" given on Sat 19 Dec 2026, 09:00 UTC by ana@example.com is contradicted by the spend since. Its note: "killed the agent".',
    );
    expect(section).toContain('Days after 17 Dec above $8.12/day');
    expect(section).toContain('  - Fri 18 Dec 2026: $130.88/day\n  - Sat 19 Dec 2026: $130.88/day');
    expect(html).toContain('is contradicted by the spend since.</strong>');
    expect(html).toContain('<li>Fri 18 Dec 2026: $130.88/day</li><li>Sat 19 Dec 2026: $130.88/day</li>');
  });

  it('quotes the earlier answer and its note in a re-opened alert', () => {
    const data = exampleMessage('owner-alert');
    const s = data.sections[0]!;
    const reopened = {
      ...s,
      epoch: 2,
      reopened: {
        fromState: 'suppressed' as const,
        resolvedOn: null,
        answer: {
          answer: 'legitimate' as const,
          at: '2026-12-12T10:00:00Z',
          note: 'support bot launch',
          by: null,
        },
        contradictingDays: [],
      },
    };
    const { text, html } = renderMessage({ ...data, sections: [reopened] });
    expect(text).toContain(
      'RE-OPENED. The earlier answer, on Sat 12 Dec 2026, 10:00 UTC: legitimate -- "support bot launch".',
    );
    expect(html).toContain('<strong>legitimate</strong> &mdash; &ldquo;support bot launch&rdquo;');
  });

  it('says "not yet stopped or explained" in reminders and escalations after an investigating answer', () => {
    const investigating = [
      {
        answer: 'investigating' as const,
        at: '2026-03-04T09:12:00Z',
        note: 'on it',
        by: 'dana.owner@example.com',
      },
    ];
    const reminder = exampleMessage('reminder');
    const r = renderMessage({
      ...reminder,
      sections: reminder.sections.map((s) => ({ ...s, answers: investigating })),
    });
    expect(r.text).toMatch(/^REMINDER: NOT YET STOPPED OR EXPLAINED\./);
    expect(r.html).toContain('<strong>Reminder: not yet stopped or explained.</strong>');
    const escalation = exampleMessage('escalation');
    const e = renderMessage({
      ...escalation,
      sections: escalation.sections.map((s) => ({ ...s, answers: investigating })),
    });
    expect(e.subject).toMatch(/^Escalation: \[Critical\] not yet stopped or explained - /);
    expect(e.text).toMatch(/^ESCALATION: NOT YET STOPPED OR EXPLAINED\./);
    expect(e.text).toContain(
      'The owner, dana.owner@example.com, is investigating but has not said whether it is stopped or legitimate.',
    );
    for (const part of [r.text, r.html, e.text, e.html, e.subject]) {
      expect(part).not.toMatch(/no answer yet|no answer from the owner|has not answered/i);
    }
    // Without an answer they still say so.
    expect(renderMessage(reminder).text).toMatch(/^REMINDER: NO ANSWER YET\./);
    expect(renderMessage(escalation).subject).toContain('no answer from the owner');
  });

  it('tells a cache-absent model by the hit ratio it assumes, with no baseline hit ratio and no red swatch without red bars', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const finding = {
      ...asCacheMiss(cache.peak),
      kind: 'cache-absent' as const,
      baseline_cache_hit_ratio: 0,
      cache_hit_ratio: 0.004,
    };
    const absent = {
      ...cache,
      kind: 'cache-absent' as const,
      finding,
      peak: finding,
      episode: { ...cache.episode, expectedHitRatio: 0.5 },
    };
    const { text, html, subject } = renderMessage({ ...data, sections: [absent] });
    for (const part of [text, html]) {
      expect(part).not.toMatch(/Baseline hit ratio|Hit ratio before/i);
      expect(part).not.toContain('Which workload lost its cache');
      expect(part).toContain('Which workload runs uncached');
      expect(part).toMatch(/reads about (<strong>)?50%(<\/strong>)? of prompt tokens from the cache/);
    }
    expect(html).toContain('>If cached</div>');
    expect(text).toContain('If cached           50%');
    expect(subject).toContain('prompt caching unused (hit ratio 0.4%)');
    expect(subject).toContain('$28,447.16 avoidable in 7 days');
    // The window the avoidable cost is counted on is drawn red, and the legend says what red is.
    const view = sectionView(absent);
    expect(view.chart.bars.filter((b) => b.excessPx > 0).map((b) => b.date)).toEqual(
      view.chart.bars.filter((b) => b.inRecent).map((b) => b.date),
    );
    expect(html).toContain('the days the avoidable cost is counted on');
    // A chart with no red bar has no red swatch.
    const calm = {
      ...cache,
      finding: { ...cache.finding, series: cache.finding.series.map((p) => ({ ...p, hit_ratio: 0.9 })) },
    };
    expect(sectionView(calm).chart.hasMarked).toBe(false);
    expect(renderMessage({ ...data, sections: [calm] }).html).not.toContain('on days the hit ratio was down');
  });

  it('says per what an avoidable cost is, in the subject', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    expect(renderMessage({ ...data, sections: [cache] }).subject).toContain('$28,447.16 avoidable in 7 days');
  });

  it('shows every spike day of an ended spike in the text chart, as the HTML bars do', () => {
    // $139 on 1–3 Mar, then 9 quiet days recorded: the text chart still starts before 1 Mar.
    const cost = (d: string) => (d >= '2026-03-01' && d <= '2026-03-03' ? 139 : 12);
    const f = {
      ...runawayOf({ asOf: '2026-03-03', recent: 139, baseline: 12 }),
      series: seriesOf('2026-03-03', cost),
    };
    const quiet = Array.from({ length: 9 }, (_, i) => addDays('2026-03-04', i));
    const c = caseThrough([
      findingInput(f),
      {
        type: 'quiet',
        days: quiet,
        runId: 'r2',
        figures: seriesOf('2026-03-12', cost).map((p) => ({ ...p, prompt_tokens: 0, cache_read_tokens: 0 })),
      },
    ]);
    expect(c.episode.ongoing).toBe(false);
    const { text } = renderMessage(messageOf('reminder', c, '2026-03-13T06:00:00Z'));
    for (const day of ['28 Feb', '1 Mar', '2 Mar', '3 Mar', '12 Mar'])
      expect(text).toMatch(new RegExp(`^  ${day} +\\$`, 'm'));
  });

  it('gives a new spender the same four figures in the HTML cards and the text part', () => {
    const cost = (d: string) => (d >= '2026-03-03' ? 600 : 0);
    const f = {
      ...runawayOf({ asOf: '2026-03-03', recent: 200, baseline: 0, kind: 'new-spender' }),
      spike_ratio: null,
      series: seriesOf('2026-03-03', cost),
      started_on: '2026-03-03',
    };
    const { text, html } = renderMessage(
      messageOf('owner-alert', caseThrough([findingInput(f)], '2026-03-05T06:00:00Z')),
    );
    for (const [label, textLabel] of [
      ['Latest day, 3 Mar', 'Latest day     $600.00 (3 Mar)'],
      ['Baseline, per day', 'Baseline       $0.00/day'],
      ['Excess per day', 'Excess per day $600.00'],
      ['30-day excess', '30-day excess  $18,000.00'],
    ]) {
      expect(html).toContain(`>${label}</div>`);
      expect(text).toContain(textLabel);
    }
  });

  it('points a local escalation at the commands it shows, in both parts', () => {
    const { text, html } = renderMessage(exampleMessage('escalation'));
    for (const part of [text, html]) {
      expect(part).toContain('answer on their behalf with the commands below');
      expect(part).not.toMatch(/with the (buttons|links) below/);
    }
  });

  it('shows pilot mode first, in the subject and both parts, naming who the message was for', () => {
    const data = exampleMessage('reminder');
    const pilot = {
      ...data,
      recipient: { to: ['finops@example.com'], cc: [] },
      pilot: data.recipient,
    };
    const { text, html, subject } = renderMessage(pilot);
    expect(subject).toMatch(/^\[Pilot\] Reminder: /);
    expect(text).toMatch(
      /^PILOT MODE: this message went to finops@example\.com only\. Without pilot mode it would have gone to dana\.owner@example\.com \(cc finops@example\.com, payments-leads@example\.com\)\./,
    );
    expect(html).toContain('<strong>Pilot mode:</strong> this message went to finops@example.com only.');
    expect(html.indexOf('Pilot mode')).toBeLessThan(html.indexOf('<strong>Reminder:'));
    expect(renderMessage(data).subject).not.toContain('Pilot');
  });

  it('opens the digest with failed and stale detection runs, in both parts and the subject', () => {
    const { text, html, subject } = renderMessage(exampleMessage('finops-digest'));
    expect(text).toMatch(/^DETECTION NEEDS ATTENTION\. 1 detection run failed since the last digest/);
    expect(text).toContain('  - 7 Mar 06:05: stale: newest charge 3 Mar, as-of 5 Mar not evaluated');
    expect(html.indexOf('Detection needs attention')).toBeLessThan(html.indexOf('FinOps digest, '));
    expect(html).toContain('TABLE_NOT_FOUND');
    expect(subject).toContain('1 failed run, stale cost data');
  });

  it('tells FinOps a failed detection with the error, what it means and what to do, in both parts', () => {
    const { text, html, subject } = renderMessage(exampleMessage('run-alert'));
    expect(subject).toMatch(/^ai-spend-sentinel: detection failed on Mon 9 Mar 2026/);
    for (const part of [text, html]) {
      expect(part).toContain('20260309T060000Z-scheduled-detect-3fa2c1');
      expect(part).toContain('TABLE_NOT_FOUND');
      expect(part).toMatch(
        /no AI spend is checked(<\/strong>)?: runaway spend and cache misses go unnoticed/,
      );
      expect(part).toContain('once for this condition, not for every run');
    }
  });

  it('gives the digest a total at risk, an owner for each change and a When cell that does not wrap', () => {
    const { text, html } = renderMessage(exampleMessage('finops-digest'));
    expect(text).toContain(
      "At risk: $127,104.28 over the next 30 days if the 3 ongoing cases continue at their latest day's rate; $28,869.55 spent above baseline (or avoidably) so far by the 3 live cases.",
    );
    expect(html).toMatch(/<strong>At risk:<\/strong> <strong>\$127,104\.28<\/strong>/);
    expect(html).toContain('color:#667085;">Owner</td>');
    expect(html).toMatch(/white-space:nowrap;">7 Mar 06:00<\/td>/);
    expect(text).toContain('owner dana.owner@example.com, case 9a41d3c7e2b85f10');
  });
});
