/**
 * The pages of the /ack endpoint (docs/cases.md): a confirmation with the answer and a note field (GET,
 * changes nothing), the recorded answer (POST), or why a link cannot be honoured. One view model,
 * one template (`templates/pages/ack.html.hbs`); every value is escaped by Handlebars.
 */
import Handlebars from 'handlebars';
import { readAsset } from '../assets.js';
import { type CaseRecord, caseOwner, killSwitchEngaged } from '../cases/model.js';
import { dateTime } from '../format.js';
import { ANSWER_LABELS, type LinkReview } from './answer-links.js';
import { caseHeadline } from './render.js';
import { caseSection } from './sections.js';

export interface AckPage {
  status: number;
  title: string;
  heading: string;
  tone: 'ok' | 'error' | 'ask';
  lines: string[];
  facts: string[];
  hint: string | null;
  form: {
    action: string;
    answerLabel: string;
    fields: { name: string; value: string }[];
    /** A release link's form (docs/kill-switch.md "Release"): no note, the button lifts the stop. */
    release?: boolean;
  } | null;
}

/** Messages are written to follow a colon in logs; a page starts them as sentences. */
const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

const LINK_FIELDS = ['case', 'epoch', 'answer', 'exp', 'sig'] as const;

const STATUS: Record<Exclude<LinkReview, { status: 'valid' }>['problem'], number> = {
  malformed: 400,
  tampered: 403,
  expired: 410,
  'wrong-case': 400,
  'old-epoch': 409,
  'unknown-case': 404,
  closed: 409,
};

/** The case as its emails' subjects tell it (the episode's figures, docs/emails.md), then its key and state. */
function caseFacts(c: NonNullable<LinkReview['case']>): string[] {
  const headline = caseHeadline(caseSection(c, caseOwner(c, c.owner_email ?? ''), () => []));
  return [`${headline.charAt(0).toUpperCase()}${headline.slice(1)}`, `Case ${c.case_key}, now ${c.state}`];
}

/** What an answer does to a stop this case engaged (docs/kill-switch.md "Release"), said before it is given. */
function killSwitchLine(c: CaseRecord, answer: string): string[] {
  if (!killSwitchEngaged(c)) return [];
  return answer === 'investigating'
    ? [
        `The kill switch stays on: Bedrock inference in account ${c.account_id} remains denied. Answering "Investigating" does not lift it; "It is stopped or bounded" or "It is legitimate" does.`,
      ]
    : [
        `This answer also lifts the kill switch: Bedrock inference in account ${c.account_id} is allowed again within minutes.`,
      ];
}

export function confirmationPage(
  review: Extract<LinkReview, { status: 'valid' }>,
  params: Record<string, string>,
): AckPage {
  return {
    status: 200,
    title: 'Confirm your answer',
    heading: 'Confirm your answer',
    tone: 'ask',
    lines: [
      'Press the button to record this answer for the case below.',
      ...killSwitchLine(review.case, review.claims.answer),
    ],
    facts: caseFacts(review.case),
    hint: null,
    form: {
      action: 'ack',
      answerLabel: ANSWER_LABELS[review.claims.answer],
      fields: LINK_FIELDS.map((name) => ({ name, value: params[name] ?? '' })),
    },
  };
}

/** An answer's outcome as the page tells it (the acknowledge command's result). */
export type AckOutcome =
  | { status: 'recorded'; case: CaseRecord; killSwitch?: 'released' | 'pending' }
  | { status: 'refused'; message: string; case: CaseRecord | null };

export function resultPage(result: AckOutcome): AckPage {
  if (result.status === 'refused') {
    return {
      status: 409,
      title: 'Answer not recorded',
      heading: 'Answer not recorded',
      tone: 'error',
      lines: [sentence(result.message)],
      facts: result.case ? caseFacts(result.case) : [],
      hint: null,
      form: null,
    };
  }
  const c = result.case;
  const next =
    c.state === 'acknowledged' && c.deadline
      ? `We will ask again by ${dateTime(c.deadline)} unless the spend is stopped or declared legitimate.`
      : c.state === 'suppressed'
        ? 'The spend is accepted as the new normal; it re-opens only if it grows a lot further.'
        : c.state === 'resolved'
          ? 'The case is resolved; if the spend comes back, a new email will ask again.'
          : `The case is now ${c.state}.`;
  return {
    status: 200,
    title: 'Answer recorded',
    heading: 'Thank you, your answer is recorded',
    tone: 'ok',
    lines: [
      next,
      ...(result.killSwitch === 'released'
        ? [
            `The kill switch is lifted: Bedrock inference in account ${c.account_id} is allowed again within minutes.`,
          ]
        : result.killSwitch === 'pending'
          ? [
              `The kill switch on account ${c.account_id} is lifted by the next follow-up, within the hour; until then Bedrock inference there stays denied.`,
            ]
          : []),
    ],
    facts: caseFacts(c),
    hint: null,
    form: null,
  };
}

export function problemPage(review: Exclude<LinkReview, { status: 'valid' }>): AckPage {
  return {
    status: STATUS[review.problem],
    title: 'This link cannot be used',
    heading: review.problem === 'closed' ? 'This case is closed' : 'This link cannot be used',
    tone: review.problem === 'closed' ? 'ok' : 'error',
    lines: [sentence(review.message)],
    facts: review.case && review.problem === 'closed' ? caseFacts(review.case) : [],
    hint: review.hint ? sentence(review.hint) : null,
    form: null,
  };
}

/** A signed release link that can be honoured (docs/kill-switch.md "Release"): what it lifts, and the button. */
export function releaseConfirmationPage(
  review: { accountId: string; since: string; case: CaseRecord | null },
  params: Record<string, string>,
): AckPage {
  return {
    status: 200,
    title: 'Lift the kill switch',
    heading: `Lift the kill switch on account ${review.accountId}?`,
    tone: 'ask',
    lines: [
      `Bedrock inference in account ${review.accountId} is denied since ${dateTime(review.since)}. Press the button to lift the stop; it is allowed again within minutes.`,
      'The case stays open: its owner is still asked whether the spend is stopped or legitimate.',
    ],
    facts: review.case ? caseFacts(review.case) : [],
    hint: null,
    form: {
      action: 'ack',
      answerLabel: `Lift the stop on ${review.accountId}`,
      fields: RELEASE_FIELDS.map((name) => ({ name, value: params[name] ?? '' })),
      release: true,
    },
  };
}

const RELEASE_FIELDS = ['release', 'case', 'exp', 'sig'] as const;

const RELEASE_STATUS: Record<string, number> = {
  malformed: 400,
  tampered: 403,
  expired: 410,
  'not-engaged': 409,
  off: 409,
};

/** A release link that cannot be honoured: bad, expired, or the stop it names is gone. */
export function releaseProblemPage(review: { problem: string; message: string; hint: string }): AckPage {
  const gone = review.problem === 'not-engaged';
  return {
    status: RELEASE_STATUS[review.problem] ?? 400,
    title: 'This link cannot be used',
    heading: gone ? 'Nothing to lift' : 'This link cannot be used',
    tone: gone ? 'ok' : 'error',
    lines: [sentence(review.message)],
    facts: [],
    hint: review.hint ? sentence(review.hint) : null,
    form: null,
  };
}

/** What lifting by link did. */
export function releaseResultPage(result: {
  status: 'released' | 'pending' | 'not-engaged';
  accountId: string;
  reason?: string;
}): AckPage {
  const lines =
    result.status === 'released'
      ? [
          `The stop is lifted: Bedrock inference in account ${result.accountId} is allowed again within minutes.`,
        ]
      : result.status === 'pending'
        ? [
            `The release is recorded; ${result.reason ?? 'the next follow-up lifts the stop'}. Until then Bedrock inference in account ${result.accountId} stays denied.`,
          ]
        : [`Account ${result.accountId} is not stopped (any more): nothing to lift.`];
  return {
    status: 200,
    title: result.status === 'released' ? 'Stop lifted' : 'Release recorded',
    heading: result.status === 'released' ? 'The kill switch is lifted' : 'Nothing more to do here',
    tone: 'ok',
    lines,
    facts: [],
    hint: null,
    form: null,
  };
}

/** For requests that are not a link at all (a bad method, a body too large). */
export function errorPage(status: number, message: string): AckPage {
  return {
    status,
    title: 'Request refused',
    heading: 'Request refused',
    tone: 'error',
    lines: [message],
    facts: [],
    hint: null,
    form: null,
  };
}

let template: Handlebars.TemplateDelegate | undefined;

export function renderAckPage(page: AckPage): string {
  template ??= Handlebars.create().compile(readAsset('templates/pages/ack.html.hbs'), { strict: false });
  return template(page);
}
