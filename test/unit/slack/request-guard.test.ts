import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { guardSlackRequests } from '../../../src/slack/request-guard.js';
import { silentLogger } from '../../support/fakes/logger.js';

const EVENTS_PATH = '/slack/events';
const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const FORM = 'application/x-www-form-urlencoded';

interface Sent {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
}

/** The status the guard answers with, or 'passed' when the request reached the wrapped listener. */
function outcome({ method = 'POST', url = EVENTS_PATH, headers = {} }: Sent): number | 'passed' {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = url;
  req.headers = headers;
  const res = new ServerResponse(req);
  let passed = false;
  guardSlackRequests(
    () => {
      passed = true;
    },
    EVENTS_PATH,
    silentLogger(),
    () => NOW_MS,
  )(req, res);
  return passed ? 'passed' : res.statusCode;
}

const signedAt = (seconds: number) => ({ 'content-type': FORM, 'x-slack-request-timestamp': String(seconds) });

describe('guardSlackRequests', () => {
  it.each([
    ['a timestamp 5 minutes in the past', signedAt(NOW_S - 300), 'passed'],
    ['a timestamp 5 minutes in the future', signedAt(NOW_S + 300), 'passed'],
    ['a timestamp 301 s in the past', signedAt(NOW_S - 301), 401],
    ['a timestamp 301 s in the future', signedAt(NOW_S + 301), 401],
    ['no timestamp (Bolt checks the signature)', { 'content-type': FORM }, 'passed'],
    ['a timestamp with letters', { 'content-type': FORM, 'x-slack-request-timestamp': `${NOW_S}x` }, 401],
    ['a timestamp of 13 digits', { 'content-type': FORM, 'x-slack-request-timestamp': '1'.repeat(13) }, 401],
    ['JSON', { 'content-type': 'application/json', 'x-slack-request-timestamp': String(NOW_S) }, 415],
    ['no content type', {}, 415],
  ] as const)('a POST to the events path with %s: %s', (_case, headers, expected) => {
    expect(outcome({ headers })).toBe(expected);
  });

  it('looks at the path without its query, and only at POSTs to the events path', () => {
    expect(outcome({ url: `${EVENTS_PATH}?x=1` })).toBe(415);
    expect(outcome({ url: '/health' })).toBe('passed');
    expect(outcome({ method: 'GET' })).toBe('passed');
  });
});
