import { describe, expect, it } from 'vitest';
import { InvalidAnswerLinkError } from '../../functions/core/errors.js';
import {
  type AnswerLinkRejectedError,
  buildAnswerActions,
  signAnswerLink,
  verifyAnswerLink,
} from '../../functions/core/notify/answer-links.js';

const key = 'test-signing-key-0123456789';
const now = new Date('2026-03-03T06:00:00Z');
const expiresAt = new Date('2026-03-17T06:00:00Z');

function link(overrides: Partial<Parameters<typeof signAnswerLink>[0]> = {}): URL {
  return new URL(
    signAnswerLink({
      key,
      caseKey: '9a41d3c7e2b85f10',
      epoch: 2,
      answer: 'stopped',
      expiresAt,
      baseUrl: 'https://sentinel.example.com',
      ...overrides,
    }),
  );
}

function rejection(run: () => unknown): AnswerLinkRejectedError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAnswerLinkError);
    return error as AnswerLinkRejectedError;
  }
  throw new Error('expected the link to be rejected');
}

describe('signed answer links', () => {
  it('signs /ack with case, epoch, answer, expiry and a base64url signature', () => {
    const url = link();
    expect(url.origin + url.pathname).toBe('https://sentinel.example.com/ack');
    expect([...url.searchParams.keys()]).toEqual(['case', 'epoch', 'answer', 'exp', 'sig']);
    expect(url.searchParams.get('exp')).toBe(String(expiresAt.getTime() / 1000));
    expect(url.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps a base URL that already ends in /ack', () => {
    expect(link({ baseUrl: 'https://x.example.com/prod/ack' }).pathname).toBe('/prod/ack');
  });

  it('verifies a valid link and returns its answer', () => {
    const claims = verifyAnswerLink(link().searchParams, {
      key,
      now,
      currentEpoch: 2,
      caseKey: '9a41d3c7e2b85f10',
    });
    expect(claims).toEqual({ caseKey: '9a41d3c7e2b85f10', epoch: 2, answer: 'stopped', expiresAt });
  });

  it('rejects a tampered signature', () => {
    const params = link().searchParams;
    const sig = params.get('sig')!;
    params.set('sig', `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`);
    const error = rejection(() => verifyAnswerLink(params, { key, now }));
    expect(error.problem).toBe('tampered');
    expect(error.message).toMatch(/altered|signature/);
  });

  it('rejects a link whose answer was changed', () => {
    const params = link().searchParams;
    params.set('answer', 'legitimate');
    expect(rejection(() => verifyAnswerLink(params, { key, now })).problem).toBe('tampered');
  });

  it('rejects a link signed with another key', () => {
    const params = link({ key: 'another-key-0123456789' }).searchParams;
    expect(rejection(() => verifyAnswerLink(params, { key, now })).problem).toBe('tampered');
  });

  it('rejects an expired link, naming when it expired', () => {
    const error = rejection(() =>
      verifyAnswerLink(link().searchParams, { key, now: new Date('2026-03-17T06:00:00Z'), currentEpoch: 2 }),
    );
    expect(error.problem).toBe('expired');
    expect(error.message).toContain('2026-03-17T06:00:00.000Z');
  });

  it('rejects a link for another case', () => {
    const error = rejection(() =>
      verifyAnswerLink(link().searchParams, { key, now, caseKey: 'ffffffffffffffff' }),
    );
    expect(error.problem).toBe('wrong-case');
    expect(error.message).toContain('ffffffffffffffff');
  });

  it('rejects a link from before the case was re-opened', () => {
    const error = rejection(() => verifyAnswerLink(link().searchParams, { key, now, currentEpoch: 3 }));
    expect(error.problem).toBe('old-epoch');
    expect(error.message).toMatch(/re-opened/);
  });

  it('rejects an incomplete link', () => {
    const params = link().searchParams;
    params.delete('exp');
    expect(rejection(() => verifyAnswerLink(params, { key, now })).problem).toBe('malformed');
  });

  it('accepts a plain record of query parameters', () => {
    const params = Object.fromEntries(link({ answer: 'investigating' }).searchParams);
    expect(verifyAnswerLink(params, { key, now }).answer).toBe('investigating');
  });
});

describe('answer actions', () => {
  it('gives one signed link per answer when ack_base_url is set', () => {
    const actions = buildAnswerActions({
      caseKey: 'abc123',
      epoch: 1,
      ackBaseUrl: 'https://sentinel.example.com',
      key,
      expiresAt,
      out: './sentinel-out',
    });
    expect(actions.map((a) => a.answer)).toEqual(['stopped', 'legitimate', 'investigating']);
    for (const action of actions) {
      expect(action.command).toBeNull();
      const url = new URL(action.url!);
      expect(
        verifyAnswerLink(url.searchParams, { key, now, caseKey: 'abc123', currentEpoch: 1 }).answer,
      ).toBe(action.answer);
    }
  });

  it('gives the sentinel ack command line when there is no ack_base_url', () => {
    const actions = buildAnswerActions({
      caseKey: 'abc123',
      epoch: 1,
      ackBaseUrl: null,
      expiresAt,
      out: '/tmp/my out',
    });
    expect(actions.map((a) => a.url)).toEqual([null, null, null]);
    expect(actions[0]!.command).toBe("sentinel ack --case abc123 --answer stopped --out '/tmp/my out'");
  });
});
