/**
 * The pages of the /ack endpoint (docs/cases.md): a confirmation with the answer and a note field (GET,
 * changes nothing), the recorded answer (POST), or why a link cannot be honoured. One view model,
 * one template (`templates/pages/ack.html.hbs`); every value is escaped by Handlebars.
 */
import Handlebars from 'handlebars';
import { readAsset } from '../assets.js';
import { type CaseRecord, caseOwner } from '../cases/model.js';
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
  form: { action: string; answerLabel: string; fields: { name: string; value: string }[] } | null;
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

export function confirmationPage(
  review: Extract<LinkReview, { status: 'valid' }>,
  params: Record<string, string>,
): AckPage {
  return {
    status: 200,
    title: 'Confirm your answer',
    heading: 'Confirm your answer',
    tone: 'ask',
    lines: ['Press the button to record this answer for the case below.'],
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
  | { status: 'recorded'; case: CaseRecord }
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
    lines: [next],
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
