import { describe, expect, it } from 'vitest';
import { exampleMessage } from '../../functions/cli/render-examples.js';
import { dateRange } from '../../functions/core/format.js';
import { buildAnswerActions, verifyAnswerLink } from '../../functions/core/notify/answer-links.js';
import type { MessageData } from '../../functions/core/notify/message-model.js';
import { MESSAGE_KINDS, renderMessage } from '../../functions/core/notify/render.js';
import { sectionView } from '../../functions/core/notify/view.js';
import { asCacheMiss } from '../fixtures/findings.js';

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
      'has run for 3 days at $132.05/day, 18.0× its baseline of $7.32/day, from 27 Feb – 1 Mar 2026',
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
      expect(part).toMatch(/has run for (<strong>)?3 days/);
      expect(part).toContain('If it continues, it adds');
    }
    expect(subject).toContain('18.0× baseline ($132.05/day)');
  });

  it('episode ended before the first email: peak with its dates, end day, rate since, excess so far; no projection', () => {
    const { text, html, subject } = renderMessage(
      withEpisode('owner-alert', { ...ENDED, endedBeforeFirstEmail: true }),
    );
    expect(text).toContain(
      'ran at $132.05/day, 18.0× its $7.32/day baseline, on 27 Feb – 1 Mar 2026; back to $7.40/day since 2 Mar.',
    );
    expect(text).toContain('The spike has ended: it spent $374.19 above the baseline.');
    expect(html).toContain('The spike has ended: it spent <strong>$374.19</strong> above the baseline.');
    for (const part of [text, html]) {
      expect(part).not.toContain('If it continues');
      expect(part).not.toContain('has run for');
    }
    expect(subject).toContain('peaked 18.0× baseline ($132.05/day, 27 Feb – 1 Mar 2026), ended');
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
      expect(part).toContain(`/day at the peak, `);
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

  it('episode ongoing past its peak: the subject gives the peak with its dates and the latest rate', () => {
    const data = withEpisode('owner-alert', { peakIsLatest: false });
    const s = data.sections[0]!;
    const latest = { ...s.peak, finding_id: 'latest', recent_avg_daily_usd: 61.5, spike_ratio: 8.4 };
    const { subject } = renderMessage({ ...data, sections: [{ ...s, finding: latest }] });
    expect(subject).toContain(
      `peaked 18.0× baseline ($132.05/day, ${dateRange(s.episode.spikeFrom, s.episode.spikeTo)}), now $61.50/day, on`,
    );
    expect(subject).not.toContain('8.4×');
  });

  it('episode ended: the cache-miss and new-spender subjects say so', () => {
    const data = exampleMessage('owner-alert');
    const cache = data.sections.find((x) => x.detector === 'cache-miss')!;
    const endedCache = { ...cache, episode: { ...cache.episode, ...ENDED } };
    expect(renderMessage({ ...data, sections: [endedCache] }).subject).toMatch(/\(was 90\.0%\), ended, on /);
    const runaway = withEpisode('owner-alert', ENDED).sections[0]!;
    const newSpender = { ...runaway, kind: 'new-spender' as const };
    expect(renderMessage({ ...data, sections: [newSpender] }).subject).toContain(
      'new Bedrock spend peaked at $132.05/day (27 Feb – 1 Mar 2026), ended, on',
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
    expect(text).toContain('ML Research Lab (333333333333), case e4d2a0917c3b58f6');
    expect(text).toContain('former.owner@example.com');
    expect(text).toContain('TooManyRequestsException');
    expect(text).toContain('ESCALATED, STILL UNANSWERED (2)');
    // Each case with its kind, severity, episode figure and state (docs/emails.md).
    expect(text).toContain('reminded -> escalated: runaway, high, peak $132.05/day, now escalated');
    expect(text).toContain(
      'acknowledged -> resolved: cache-regression, high, peak $2,140.50 avoidable, ended, now resolved',
    );
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
