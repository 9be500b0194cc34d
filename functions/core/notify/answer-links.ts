/**
 * Signed answer links (docs/cases.md): one link per answer, HMAC-SHA256 over case key, epoch, answer and
 * expiry. The link carries everything the ack endpoint needs, so no server-side token is stored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CaseRecord } from '../cases/model.js';
import { InvalidAnswerLinkError } from '../errors.js';
import { ANSWERS, type Answer, type AnswerAction } from './message-model.js';

export { ANSWERS };

export const ANSWER_LABELS: Record<Answer, string> = {
  stopped: 'It is stopped or bounded',
  legitimate: 'It is legitimate',
  investigating: 'Investigating',
};

export type SigningKey = string | Uint8Array;

export interface AnswerLinkClaims {
  caseKey: string;
  epoch: number;
  answer: Answer;
  expiresAt: Date;
}

export type AnswerLinkProblem = 'malformed' | 'tampered' | 'expired' | 'wrong-case' | 'old-epoch';

/** An InvalidAnswerLinkError that says which check failed, so the ack page can word its reply. */
export class AnswerLinkRejectedError extends InvalidAnswerLinkError {
  readonly problem: AnswerLinkProblem;
  constructor(problem: AnswerLinkProblem, message: string, hint: string) {
    super(message, { hint });
    this.problem = problem;
  }
}

/** What a signed answer link is worth now: valid for an open case, or why not (page wording). */
export type LinkReview =
  | { status: 'valid'; claims: AnswerLinkClaims; case: CaseRecord }
  | {
      status: 'invalid';
      problem: AnswerLinkProblem | 'unknown-case' | 'closed';
      message: string;
      hint: string;
      case: CaseRecord | null;
    };

const isAnswer = (value: unknown): value is Answer => ANSWERS.includes(value as Answer);

function signature(key: SigningKey, caseKey: string, epoch: number, answer: string, exp: number): Buffer {
  // Newline-separated so no field can shift into its neighbour (case keys never hold a newline).
  return createHmac('sha256', key).update(`v1\n${caseKey}\n${epoch}\n${answer}\n${exp}`).digest();
}

/** `ack_base_url` names the public /ack endpoint; a bare origin gets `/ack` appended. */
function ackEndpoint(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (!/\/ack\/?$/.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/ack`;
  }
  url.search = '';
  url.hash = '';
  return url;
}

export function signAnswerLink(input: {
  key: SigningKey;
  caseKey: string;
  epoch: number;
  answer: Answer;
  expiresAt: Date;
  baseUrl: string;
}): string {
  const exp = Math.floor(input.expiresAt.getTime() / 1000);
  const sig = signature(input.key, input.caseKey, input.epoch, input.answer, exp).toString('base64url');
  const url = ackEndpoint(input.baseUrl);
  url.searchParams.set('case', input.caseKey);
  url.searchParams.set('epoch', String(input.epoch));
  url.searchParams.set('answer', input.answer);
  url.searchParams.set('exp', String(exp));
  url.searchParams.set('sig', sig);
  return url.toString();
}

export type AnswerLinkParams = URLSearchParams | Record<string, string | undefined>;

const paramOf = (params: AnswerLinkParams, name: string): string | undefined =>
  params instanceof URLSearchParams ? (params.get(name) ?? undefined) : params[name];

/**
 * Checks a link's signature first (so a forged link learns nothing about cases), then that it is for
 * the case and epoch expected and not expired. Returns the verified claims.
 */
export function verifyAnswerLink(
  params: AnswerLinkParams,
  options: { key: SigningKey; now: Date; currentEpoch?: number; caseKey?: string },
): AnswerLinkClaims {
  const caseKey = paramOf(params, 'case');
  const epochText = paramOf(params, 'epoch');
  const answer = paramOf(params, 'answer');
  const expText = paramOf(params, 'exp');
  const sig = paramOf(params, 'sig');
  const reopen = 'use the buttons of the most recent email about this case';

  if (!caseKey || !epochText || !answer || !expText || !sig) {
    throw new AnswerLinkRejectedError(
      'malformed',
      'this answer link is incomplete: it needs case, epoch, answer, exp and sig',
      'copy the whole link from the email (some mail programs break long links)',
    );
  }
  if (!/^\d+$/.test(epochText) || !/^\d+$/.test(expText) || !/^[A-Za-z0-9_-]+$/.test(sig)) {
    throw new AnswerLinkRejectedError('malformed', 'this answer link is not well formed', reopen);
  }
  const epoch = Number(epochText);
  const exp = Number(expText);

  const expected = signature(options.key, caseKey, epoch, answer, exp);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AnswerLinkRejectedError(
      'tampered',
      'this answer link was altered or was not issued by ai-spend-sentinel (signature mismatch)',
      reopen,
    );
  }
  if (!isAnswer(answer)) {
    // Signed but unknown: only possible with a leaked key or a future answer kind.
    throw new AnswerLinkRejectedError(
      'malformed',
      `'${answer}' is not an answer this version accepts`,
      reopen,
    );
  }
  if (options.caseKey !== undefined && options.caseKey !== caseKey) {
    throw new AnswerLinkRejectedError(
      'wrong-case',
      `this answer link is for case ${caseKey}, not case ${options.caseKey}`,
      reopen,
    );
  }
  if (options.currentEpoch !== undefined && epoch !== options.currentEpoch) {
    throw new AnswerLinkRejectedError(
      'old-epoch',
      `this answer link is from an earlier occurrence of case ${caseKey} (epoch ${epoch}); the case was re-opened since (epoch ${options.currentEpoch})`,
      reopen,
    );
  }
  if (options.now.getTime() >= exp * 1000) {
    throw new AnswerLinkRejectedError(
      'expired',
      `this answer link expired on ${new Date(exp * 1000).toISOString()}`,
      `run 'sentinel ack --case ${caseKey} --answer ${answer}' or ask FinOps for a fresh link`,
    );
  }
  return { caseKey, epoch, answer, expiresAt: new Date(exp * 1000) };
}

/** Quotes a value for a POSIX shell only when it needs it, so common paths stay readable. */
function shellArg(value: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function ackCommand(caseKey: string, answer: Answer, out: string): string {
  return `sentinel ack --case ${shellArg(caseKey)} --answer ${answer} --out ${shellArg(out)}`;
}

/**
 * One action per answer: a signed link when `ackBaseUrl` is configured, else the `sentinel ack`
 * command line (local runs have no endpoint to click).
 */
export function buildAnswerActions(input: {
  caseKey: string;
  epoch: number;
  /** `notify.ack_base_url`; null locally. */
  ackBaseUrl: string | null;
  /** Needed only with ackBaseUrl. */
  key?: SigningKey;
  /** Link expiry: now + `notify.link_ttl_days`. */
  expiresAt: Date;
  /** The case store location the command line points at (`--out`). */
  out: string;
}): AnswerAction[] {
  const { ackBaseUrl, key } = input;
  if (ackBaseUrl && key === undefined) {
    throw new InvalidAnswerLinkError('a signing key is needed to build answer links for ack_base_url', {
      hint: 'load it with the signing-key adapter (SENTINEL_SIGNING_KEY or <out>/.sentinel/signing-key)',
    });
  }
  return ANSWERS.map((answer) => ({
    answer,
    label: ANSWER_LABELS[answer],
    url:
      ackBaseUrl && key !== undefined
        ? signAnswerLink({
            key,
            caseKey: input.caseKey,
            epoch: input.epoch,
            answer,
            expiresAt: input.expiresAt,
            baseUrl: ackBaseUrl,
          })
        : null,
    command: ackBaseUrl ? null : ackCommand(input.caseKey, answer, input.out),
  }));
}

/**
 * A signed release link (docs/kill-switch.md "Release"): the digest's link for FinOps to lift the stop on
 * one engaged account, with the answer links' key and endpoint. The HMAC covers the account, the case that
 * engaged it and the expiry, under its own label, so no answer link can pass for a release link.
 */
export interface ReleaseLinkClaims {
  accountId: string;
  caseKey: string;
  expiresAt: Date;
}

function releaseSignature(key: SigningKey, accountId: string, caseKey: string, exp: number): Buffer {
  return createHmac('sha256', key)
    .update(`v1\nrelease-kill-switch\n${accountId}\n${caseKey}\n${exp}`)
    .digest();
}

export function signReleaseLink(input: {
  key: SigningKey;
  accountId: string;
  caseKey: string;
  expiresAt: Date;
  baseUrl: string;
}): string {
  const exp = Math.floor(input.expiresAt.getTime() / 1000);
  const sig = releaseSignature(input.key, input.accountId, input.caseKey, exp).toString('base64url');
  const url = ackEndpoint(input.baseUrl);
  url.searchParams.set('release', input.accountId);
  url.searchParams.set('case', input.caseKey);
  url.searchParams.set('exp', String(exp));
  url.searchParams.set('sig', sig);
  return url.toString();
}

/** Whether the link's parameters are a release link's (`release=<account>`), not an answer's. */
export const isReleaseLink = (params: AnswerLinkParams): boolean => paramOf(params, 'release') !== undefined;

/** The signature first, then the expiry; which stop the link may lift is the release command's to check. */
export function verifyReleaseLink(
  params: AnswerLinkParams,
  options: { key: SigningKey; now: Date },
): ReleaseLinkClaims {
  const accountId = paramOf(params, 'release');
  const caseKey = paramOf(params, 'case');
  const expText = paramOf(params, 'exp');
  const sig = paramOf(params, 'sig');
  const again =
    "use the release link of the latest FinOps digest, or run 'sentinel kill-switch release --account ID'";
  if (!accountId || !caseKey || !expText || !sig) {
    throw new AnswerLinkRejectedError(
      'malformed',
      'this release link is incomplete: it needs release, case, exp and sig',
      'copy the whole link from the digest (some mail programs break long links)',
    );
  }
  if (!/^\d{12}$/.test(accountId) || !/^\d+$/.test(expText) || !/^[A-Za-z0-9_-]+$/.test(sig)) {
    throw new AnswerLinkRejectedError('malformed', 'this release link is not well formed', again);
  }
  const exp = Number(expText);
  const expected = releaseSignature(options.key, accountId, caseKey, exp);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AnswerLinkRejectedError(
      'tampered',
      'this release link was altered or was not issued by ai-spend-sentinel (signature mismatch)',
      again,
    );
  }
  if (options.now.getTime() >= exp * 1000) {
    throw new AnswerLinkRejectedError(
      'expired',
      `this release link expired on ${new Date(exp * 1000).toISOString()}`,
      again,
    );
  }
  return { accountId, caseKey, expiresAt: new Date(exp * 1000) };
}

export function releaseCommand(accountId: string, out: string): string {
  return `sentinel kill-switch release --account ${accountId} --out ${shellArg(out)}`;
}

/** The digest's release action for one engaged account: a signed link with `ackBaseUrl`, else the command line. */
export function buildReleaseAction(input: {
  accountId: string;
  caseKey: string;
  ackBaseUrl: string | null;
  key?: SigningKey;
  expiresAt: Date;
  out: string;
}): { url: string | null; command: string | null } {
  if (input.ackBaseUrl && input.key !== undefined) {
    return {
      url: signReleaseLink({
        key: input.key,
        accountId: input.accountId,
        caseKey: input.caseKey,
        expiresAt: input.expiresAt,
        baseUrl: input.ackBaseUrl,
      }),
      command: null,
    };
  }
  return { url: null, command: releaseCommand(input.accountId, input.out) };
}
