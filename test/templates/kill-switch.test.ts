/**
 * The kill switch in the emails (docs/kill-switch.md, docs/emails.md "The kill switch"): the owner alert
 * says first that Bedrock inference is denied, since when, why, how to lift it and who may still call
 * Bedrock; a dry run says what enforce mode would have done; an escalation instead of a stop says why;
 * the digest lists the stopped accounts with their age and a way to lift each. HTML and text say the same.
 */
import { describe, expect, it } from 'vitest';
import { exampleBudgetFinding, exampleMessage, extraExamples } from '../../functions/cli/render-examples.js';
import { DEFAULT_BAND } from '../../functions/core/cases/episode.js';
import type { Answer, CaseKillSwitch, CaseRecord } from '../../functions/core/cases/model.js';
import { applyCaseInput } from '../../functions/core/cases/transitions.js';
import {
  confirmationPage,
  releaseConfirmationPage,
  releaseResultPage,
  renderAckPage,
  resultPage,
} from '../../functions/core/notify/ack-page.js';
import { renderMessage } from '../../functions/core/notify/render.js';

const examples = extraExamples();
const render = (name: string) => {
  const r = renderMessage(examples[name]!);
  // The HTML's words, tags and entities gone, for comparing with the text part.
  const words = r.html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&ldquo;|&rdquo;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&middot;/g, '·')
    .replace(/\s+/g, ' ');
  return { ...r, words };
};

describe('the kill switch in the emails', () => {
  it('the owner alert opens with the stop: denied since when, why, how to lift it, who may still call Bedrock', () => {
    const { subject, text, words } = render('owner-alert-kill-switch');
    expect(subject).toMatch(/^Bedrock stopped: \[High\] /);
    const first =
      'Bedrock inference in Agents Sandbox (555555555555) is denied since Tue 3 Mar 2026, 06:00 UTC.';
    // First in the HTML (before the greeting), and first in the text.
    expect(words.indexOf(first)).toBeGreaterThan(0);
    expect(words.indexOf(first)).toBeLessThan(words.indexOf('Hello,'));
    expect(text.split('\n')[0]).toBe(
      '*** BEDROCK INFERENCE IS DENIED in Agents Sandbox (555555555555) since Tue 3 Mar 2026, 06:00 UTC. ***',
    );
    for (const part of [words, text]) {
      expect(part).toContain('Why: this high case (Bedrock spend over its daily cap) opened');
      expect(part).toContain(
        'To lift it: answer below. "It is stopped or bounded" or "It is legitimate" lifts the stop at once; "Investigating" does not.',
      );
      expect(part).toContain(
        'Who can still call Bedrock: only the break-glass role arn:aws:iam::*:role/BreakGlass',
      );
    }
  });

  it('without a break-glass role it says nobody in the account can call Bedrock', () => {
    const data = structuredClone(examples['owner-alert-kill-switch']!);
    data.sections[0]!.killSwitch!.breakGlassRole = null;
    const { text } = renderMessage(data);
    expect(text).toContain(
      'Who can still call Bedrock: nobody in the account: no break-glass role is configured.',
    );
  });

  it('in dry-run the alert says what enforce mode would have done, and that nothing was stopped', () => {
    const { subject, text, words } = render('owner-alert-kill-switch-dry-run');
    expect(subject).not.toMatch(/stopped/);
    const said =
      'in enforce mode, Bedrock inference in Agents Sandbox (555555555555) would be denied from Tue 3 Mar 2026, 06:00 UTC until someone answered.';
    for (const part of [words, text]) {
      expect(part).toContain(said);
      expect(part).toContain('Nothing was stopped.');
      expect(part).not.toContain('is denied since');
    }
  });

  it('an escalation instead of a stop says the kill switch could not stop the account, and why', () => {
    const { subject, text, words } = render('escalation-kill-switch');
    expect(subject).toContain('the kill switch could not stop it');
    for (const part of [words, text]) {
      expect(part).toContain('3 accounts are already stopped (kill_switch.max_engaged: 3)');
      expect(part).toContain('The kill switch has no room for another stop, so this case comes to you now');
      expect(part).not.toContain('a reminder followed');
    }
  });

  it('the digest lists each stopped account with its age and a release link or command', () => {
    const { text, words, html } = render('finops-digest-kill-switch');
    for (const part of [words, text]) {
      expect(part).toContain('2 accounts are stopped now');
      expect(part).toMatch(/Agents Sandbox \(555555555555\):? stopped 1 day 23 h, since 7 Mar 06:02/);
      expect(part).toMatch(/Checkout Prod \(111111111111\):? stopped 16 h, since 8 Mar 14:00/);
      expect(part).toContain(
        'Agents Dev (444444444444) on 8 Mar 09:41: the owner answered that the spend is stopped',
      );
    }
    expect(html.replace(/&#x3D;/g, '=')).toMatch(
      /href="https:\/\/sentinel\.example\.com\/ack\?release=111111111111&amp;case=/,
    );
    expect(text).toContain('lift the stop: https://sentinel.example.com/ack?release=111111111111&case=');
    expect(text).toContain(
      'lift the stop: sentinel kill-switch release --account 555555555555 --out ./sentinel-out',
    );
  });

  it('a digest in dry-run lists what enforce mode would have stopped', () => {
    const { text, words } = render('finops-digest-kill-switch-dry-run');
    for (const part of [words, text]) {
      expect(part).toContain(
        'in enforce mode, the kill switch would have stopped Bedrock inference in these accounts',
      );
      expect(part).toContain('Nothing was stopped.');
      expect(part).toMatch(
        /Agents Sandbox \(555555555555\) from 7 Mar 06:02: this high case \(Bedrock spend over its daily cap\) opened/,
      );
    }
  });

  it('says nothing of the kill switch when it did nothing', () => {
    for (const kind of ['owner-alert', 'reminder', 'escalation', 'finops-digest'] as const) {
      const r = renderMessage(exampleMessage(kind));
      expect(`${r.subject}\n${r.text}`).not.toMatch(/kill switch|Bedrock stopped|is denied since/i);
    }
  });
});

/** A budget case of the sandbox account, stopped by the kill switch (or not, with `killSwitch: null`). */
function stoppedCase(killSwitch: Partial<CaseKillSwitch> | null = {}): CaseRecord {
  const finding = exampleBudgetFinding();
  const c = applyCaseInput(
    null,
    {
      type: 'finding',
      finding,
      mayOpen: true,
      runId: finding.run_id,
      owner: {
        accountId: finding.account_id,
        ownerEmail: 'sam.sandbox@example.com',
        accountName: finding.account_name,
        team: 'agents',
        cc: [],
        routed: true,
      },
    },
    {
      now: new Date('2026-03-03T06:00:00Z'),
      rules: {
        followUpHours: 48,
        autoResolveDays: 3,
        suppressDays: 30,
        resuppressGrowth: 2,
        band: DEFAULT_BAND,
      },
    },
  ).next!;
  if (killSwitch) {
    c.kill_switch = {
      status: 'engaged',
      epoch: c.epoch,
      at: '2026-03-03T06:00:00.000Z',
      policy_id: 'p-k1llsw1tc4',
      engaged_at: '2026-03-03T06:00:00.000Z',
      explanation: 'Bedrock inference is denied until a person answers',
      change: 'opened',
      severity: 'critical',
      break_glass_role: null,
      released_at: null,
      released_by: null,
      released_by_whom: null,
      ...killSwitch,
    };
  }
  return c;
}

const pageText = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

describe('the kill switch on the answer page', () => {
  const confirm = (c: CaseRecord, answer: Answer) =>
    pageText(
      renderAckPage(
        confirmationPage(
          {
            status: 'valid',
            claims: {
              caseKey: c.case_key,
              epoch: c.epoch,
              answer,
              expiresAt: new Date('2026-03-17T00:00:00Z'),
            },
            case: c,
          },
          { case: c.case_key, epoch: String(c.epoch), answer, exp: '1', sig: 'x' },
        ),
      ),
    );

  it('before "stopped" or "legitimate" is recorded, says the answer also lifts the stop', () => {
    for (const answer of ['stopped', 'legitimate'] as const) {
      expect(confirm(stoppedCase(), answer)).toContain(
        'This answer also lifts the kill switch: Bedrock inference in account 555555555555 is allowed again within minutes.',
      );
    }
  });

  it('before "investigating", says the stop stays; without a stop, says nothing of it', () => {
    const page = confirm(stoppedCase(), 'investigating');
    expect(page).toContain(
      'The kill switch stays on: Bedrock inference in account 555555555555 remains denied.',
    );
    expect(page).not.toContain('also lifts');
    expect(confirm(stoppedCase(null), 'stopped')).not.toMatch(/kill switch/i);
    expect(confirm(stoppedCase({ status: 'would-engage' }), 'stopped')).not.toMatch(/kill switch/i);
  });

  it('after the answer, says the stop is lifted, or that the next follow-up lifts it', () => {
    const c = stoppedCase();
    const released = pageText(
      renderAckPage(resultPage({ status: 'recorded', case: c, killSwitch: 'released' })),
    );
    expect(released).toContain(
      'The kill switch is lifted: Bedrock inference in account 555555555555 is allowed again',
    );
    const pending = pageText(
      renderAckPage(resultPage({ status: 'recorded', case: c, killSwitch: 'pending' })),
    );
    expect(pending).toContain(
      'is lifted by the next follow-up, within the hour; until then Bedrock inference there stays denied',
    );
  });

  it('a release link asks to confirm, with no note field, and its result says the stop is lifted', () => {
    const c = stoppedCase();
    const html = renderAckPage(
      releaseConfirmationPage(
        { accountId: c.account_id, since: '2026-03-03T06:00:00.000Z', case: c },
        { release: c.account_id, case: c.case_key, exp: '1', sig: 'abc' },
      ),
    );
    expect(pageText(html)).toContain(
      'Bedrock inference in account 555555555555 is denied since Tue 3 Mar 2026, 06:00 UTC.',
    );
    expect(html).toContain('Lift the stop</button>');
    expect(html).not.toContain('<textarea');
    for (const [name, value] of [
      ['release', c.account_id],
      ['case', c.case_key],
      ['sig', 'abc'],
    ]) {
      expect(html).toContain(`name="${name}" value="${value}"`);
    }
    expect(
      pageText(renderAckPage(releaseResultPage({ status: 'released', accountId: c.account_id }))),
    ).toContain(
      'The stop is lifted: Bedrock inference in account 555555555555 is allowed again within minutes.',
    );
  });
});
