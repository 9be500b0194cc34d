/**
 * The /ack endpoint (docs/cases.md, DEPLOY.md), HTTP API v2. GET shows a confirmation page for a signed answer
 * link with a note field and changes nothing (mail scanners follow links); POST records the answer.
 * A bad, expired, tampered, wrong-case or old-epoch link gets a 4xx page and changes nothing.
 * Every response carries the security headers; bodies over 16 KB are refused.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import { createError } from '@middy/util';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { openAckPorts, openSigningKey } from '../adapters/open-ports.js';
import { acknowledgeByLink, reviewAnswerLink } from '../core/commands/acknowledge.js';
import { releaseByLink, reviewReleaseLink } from '../core/commands/kill-switch.js';
import {
  type AckPage,
  confirmationPage,
  errorPage,
  problemPage,
  releaseConfirmationPage,
  releaseProblemPage,
  releaseResultPage,
  renderAckPage,
  resultPage,
} from '../core/notify/ack-page.js';
import { isReleaseLink } from '../core/notify/answer-links.js';
import { systemClock } from '../core/ports.js';
import { configOrFail, env, log } from './runtime.js';

export const MAX_BODY_BYTES = 16 * 1024;

/** middy writes an empty-string directive as a bare flag; a non-string falsy value leaves it out. */
const OMIT = false as unknown as string;

type AckEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: string | Record<string, unknown> };

const page = (p: AckPage): APIGatewayProxyStructuredResultV2 => ({
  statusCode: p.status,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body: renderAckPage(p),
});

const firstValue = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;

function linkParams(source: Record<string, unknown> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  // An answer link's parameters, or a release link's (`release=<account>`, docs/kill-switch.md "Release").
  for (const name of ['case', 'epoch', 'answer', 'exp', 'sig', 'release']) {
    const value = firstValue(source?.[name]);
    if (value !== undefined) params[name] = value;
  }
  return params;
}

async function ack(event: AckEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  log.addContext(context);
  const method = event.requestContext.http.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST')
    return page(errorPage(405, 'only GET and POST are answered here'));
  const config = await configOrFail('ack');
  const ports = await openAckPorts(config, { clock: systemClock, log, environment: env });
  const key = await (await openSigningKey(config, env)).load();

  if (method === 'GET') {
    const params = linkParams(event.queryStringParameters);
    if (isReleaseLink(params)) {
      const review = await reviewReleaseLink(ports, params, key);
      log.info('release link reviewed', { status: review.status });
      return page(
        review.status === 'valid'
          ? releaseConfirmationPage(
              { accountId: review.claims.accountId, since: review.since, case: review.case },
              params,
            )
          : releaseProblemPage(review),
      );
    }
    const review = await reviewAnswerLink(ports, params, key);
    log.info('answer link reviewed', { case_key: review.case?.case_key ?? null, status: review.status });
    return page(review.status === 'valid' ? confirmationPage(review, params) : problemPage(review));
  }
  if (typeof event.body !== 'object' || event.body === null) {
    return page(errorPage(415, 'the answer must be sent by the form on the confirmation page'));
  }
  const form = event.body;
  if (isReleaseLink(linkParams(form))) {
    // Checked again from the signature up: nothing is trusted from the GET.
    const { review, result } = await releaseByLink(ports, config, { params: linkParams(form), key });
    log.info('release link posted', { status: result?.status ?? review.status });
    if (!result) return page(releaseProblemPage(review as Extract<typeof review, { status: 'invalid' }>));
    return page(
      releaseResultPage(
        result.status === 'pending'
          ? { status: 'pending', accountId: result.accountId, reason: result.reason }
          : { status: result.status, accountId: result.accountId },
      ),
    );
  }
  const note = firstValue(form.note)?.trim() ?? '';
  const { review, result } = await acknowledgeByLink(ports, config, {
    params: linkParams(form),
    key,
    note: note === '' ? null : note.slice(0, 4000),
  });
  log.info('answer link posted', {
    case_key: review.case?.case_key ?? null,
    status: result?.status ?? review.status,
  });
  if (!result) return page(problemPage(review as Exclude<typeof review, { status: 'valid' }>));
  return page(resultPage(result));
}

/** Refuses a body over the limit before anything parses it. */
const bodyLimit = (maxBytes: number): middy.MiddlewareObj<AckEvent, APIGatewayProxyStructuredResultV2> => ({
  before: (request) => {
    const body = request.event.body;
    const size =
      typeof body === 'string'
        ? Buffer.byteLength(body, request.event.isBase64Encoded ? 'base64' : 'utf8')
        : 0;
    if (size > maxBytes) {
      throw createError(413, `the request body is larger than ${maxBytes / 1024} KB`, { expose: true });
    }
  },
});

/**
 * Any error → an HTML page: its own message for an HTTP error meant for the reader, a generic one
 * otherwise (logged with its name, never with the request). The security headers still apply.
 */
const htmlErrorPage = (): middy.MiddlewareObj<AckEvent, APIGatewayProxyStructuredResultV2> => ({
  onError: (request) => {
    const error = request.error as { statusCode?: number; expose?: boolean; message?: string; name?: string };
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 500) log.error('ack request failed', {}, request.error);
    request.response = page(
      errorPage(
        status,
        error.expose && error.message
          ? error.message
          : 'The answer could not be recorded; please try the link again later.',
      ),
    );
  },
});

export const handler = middy<AckEvent, APIGatewayProxyStructuredResultV2>(ack)
  .use(httpHeaderNormalizer())
  .use(
    httpSecurityHeaders({
      // Merged over middy's defaults: the page's inline styles and its one form to itself are all it needs.
      contentSecurityPolicy: {
        'default-src': "'none'",
        'style-src': "'unsafe-inline'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
        sandbox: 'allow-forms allow-same-origin',
        'navigate-to': OMIT,
        'report-to': OMIT,
        'upgrade-insecure-requests': OMIT,
      },
      frameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  )
  .use(htmlErrorPage())
  .use(bodyLimit(MAX_BODY_BYTES))
  .use(httpUrlencodeBodyParser({ disableContentTypeError: true }));
