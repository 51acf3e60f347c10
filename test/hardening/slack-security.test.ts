/**
 * Who may talk to the bot, and what a refusal leaves behind: nothing. Requests that are forged,
 * unsigned, stale, dated in the future, of the wrong content type or too large are refused before
 * any listener runs; a byte-identical request replayed within its 5 minutes creates nothing new;
 * non-approvers, self-approval, other channels and non-requesters are refused, leaving nothing behind
 * but an audit event each.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../sandbox/block-kit-limits.js';
import { type BotResponse, FORM_CONTENT_TYPE, slackSignature, slashCommandBody } from '../../sandbox/slack-requests.js';
import {
  APPROVER,
  CHANNEL,
  type Harness,
  REQUESTER,
  SIGNING_SECRET,
  STRANGER,
  startHarness,
} from '../support/bot-harness.js';
import { footprint, settled } from '../support/footprint.js';
import { approveBody, commandBody, deliver } from '../support/raw-deliveries.js';
import { waitFor } from '../support/wait-for.js';

const ID = 'i-bp1securesecuresec01';
const MINUTE = 60;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A POST with exactly these headers (none added), as an attacker would send it. */
async function rawPost(url: string, body: string | Buffer, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
}

/**
 * A POST with this literal request target, as a raw HTTP client sends it: `fetch` would normalise
 * `/slack/./events` and could not send an absolute-form target at all.
 */
function rawTargetPost(url: string, target: string, body: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: 'POST', path: target, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signedHeaders(body: string, timestamp = nowSeconds(), secret = SIGNING_SECRET): Record<string, string> {
  return {
    'content-type': FORM_CONTENT_TYPE,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

function expectAnswerWithinLimits(response: BotResponse): void {
  if (response.json !== null)
    expect(blockKitProblems(response.json as { text?: string; blocks?: unknown[] })).toEqual([]);
}

describe('Slack request security', () => {
  it('refuses forged, unsigned, stale, future-dated, mistyped and oversized requests before any listener runs', async () => {
    harness = await startHarness();
    const h = harness;
    const before = await footprint(h);
    const body = slashCommandBody({
      text: ID,
      user_id: REQUESTER,
      channel_id: CHANNEL,
      response_url: h.slack.responseUrl({ channel: CHANNEL, user: REQUESTER }),
    });
    const otherBody = slashCommandBody({
      text: 'i-bp1otherotherother01',
      user_id: REQUESTER,
      channel_id: CHANNEL,
      response_url: h.slack.responseUrl(),
    });
    const now = nowSeconds();
    const without = (name: string) =>
      Object.fromEntries(Object.entries(signedHeaders(body)).filter(([key]) => key !== name));
    const huge = `${body}&padding=${'x'.repeat(4 * 1024 * 1024)}`;
    const cases: Array<[string, string | Buffer, Record<string, string>, number]> = [
      ['signed with another secret', body, signedHeaders(body, now, 'not-the-secret'), 401],
      [
        "another body's signature",
        body,
        { ...signedHeaders(body), 'x-slack-signature': signedHeaders(otherBody)['x-slack-signature'] ?? '' },
        401,
      ],
      ['garbage signature', body, { ...signedHeaders(body), 'x-slack-signature': 'v0=<script>' }, 401],
      ['v1 signature', body, { ...signedHeaders(body), 'x-slack-signature': `v1=${'a'.repeat(64)}` }, 401],
      ['no signature header', body, without('x-slack-signature'), 401],
      ['no timestamp header', body, without('x-slack-request-timestamp'), 401],
      ['non-numeric timestamp', body, { ...signedHeaders(body), 'x-slack-request-timestamp': '1e10' }, 401],
      ['timestamp 6 minutes old, validly signed', body, signedHeaders(body, now - 6 * MINUTE), 401],
      ['timestamp 6 minutes ahead, validly signed', body, signedHeaders(body, now + 6 * MINUTE), 401],
      ['timestamp a year ahead, validly signed', body, signedHeaders(body, now + 365 * 24 * 60 * MINUTE), 401],
      ['text/plain body', body, { ...signedHeaders(body), 'content-type': 'text/plain' }, 415],
      [
        'JSON body with command fields',
        JSON.stringify(Object.fromEntries(new URLSearchParams(body))),
        {
          ...signedHeaders(JSON.stringify(Object.fromEntries(new URLSearchParams(body)))),
          'content-type': 'application/json',
        },
        415,
      ],
      [
        'form body with a charset',
        body,
        { ...signedHeaders(body), 'content-type': `${FORM_CONTENT_TYPE}; charset=utf-8` },
        415,
      ],
      ['no content type', body, without('content-type'), 415],
      ['a body over 4 MB, validly signed', huge, signedHeaders(huge), 413],
    ];
    for (const [name, payload, headers, status] of cases) {
      expect(await rawPost(h.eventsUrl, payload, headers), name).toBe(status);
    }
    // Slack's own unsigned SSL check still gets its 200 (and smuggles nothing in).
    expect(await rawPost(h.eventsUrl, `ssl_check=1&token=x&${body}`, { 'content-type': FORM_CONTENT_TYPE })).toBe(200);
    // Nothing reached a listener: no request, no job, no audit event, no message, no answer, no HBR call.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await footprint(h)).toEqual(before);
    expect(h.slack.responseUrlPosts).toHaveLength(0);
    expect(h.slack.ephemerals()).toHaveLength(0);
  });

  it('refuses a future-dated request however the events path is spelled, as Bolt would route it', async () => {
    harness = await startHarness();
    const h = harness;
    const { port } = new URL(h.eventsUrl);
    const spellings = [
      '/slack/./events',
      '/x/../slack/events',
      '/slack/%2e/events',
      '/slack/events?retry=1',
      `http://127.0.0.1:${port}/slack/events`,
      `http://elsewhere.example/slack/events`,
    ];
    const before = await footprint(h);
    for (const target of spellings) {
      const body = commandBody(h, ID);
      const ahead = nowSeconds() + 10 * MINUTE;
      expect(await rawTargetPost(h.eventsUrl, target, body, signedHeaders(body, ahead)), target).toBe(401);
      expect(
        await rawTargetPost(h.eventsUrl, target, body, { ...signedHeaders(body), 'content-type': 'text/plain' }),
        target,
      ).toBe(415);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await footprint(h)).toEqual(before);
    expect(h.slack.ephemerals()).toHaveLength(0);
    // Bolt does route such a spelling: signed and on time, it is a command like any other.
    const body = commandBody(h, ID);
    expect(await rawTargetPost(h.eventsUrl, '/x/../slack/events', body, signedHeaders(body))).toBe(200);
    await h.waitForRequest();
  });

  it('accepts a request signed up to 5 minutes before or after the bot clock', async () => {
    harness = await startHarness();
    const h = harness;
    const earlier = await h.command(ID, REQUESTER, CHANNEL, { timestamp: nowSeconds() - 4 * MINUTE });
    const later = await h.command('i-bp1securesecuresec02', REQUESTER, CHANNEL, {
      timestamp: nowSeconds() + 4 * MINUTE,
    });
    expect([earlier.status, later.status]).toEqual([200, 200]);
    await h.waitForRequest(2);
  });

  it('creates nothing new when a signed request is replayed byte for byte', async () => {
    harness = await startHarness();
    const h = harness;
    const body = commandBody(h, ID);
    const timestamp = nowSeconds();
    const send = () => deliver(h, body, { timestamp });
    expect((await send()).status).toBe(200);
    const { message, requestId } = await h.waitForRequest();
    await waitFor(() => h.slack.ephemerals(REQUESTER).length === 1 || undefined, {
      message: 'requester told the request was posted',
    });
    await settled(h, requestId);
    const afterFirst = await footprint(h);

    // The same bytes again, at once and a little later, in parallel: an attacker replaying them.
    const replays = await Promise.all([send(), send(), send()]);
    expect(replays.map((r) => r.status)).toEqual([200, 200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await footprint(h)).toEqual(afterFirst);
    expect(h.requestMessages()).toHaveLength(1);
    expect(h.slack.ephemerals(REQUESTER)).toHaveLength(1);

    // A replayed approval: one decision, one install, and no "already approved" answer to anyone.
    const clickBody = approveBody(h, requestId, message);
    const clickedAt = nowSeconds();
    const click = () => deliver(h, clickBody, { timestamp: clickedAt });
    expect((await click()).status).toBe(200);
    await waitFor(() => h.threadReplies(message).find((r) => r.text.includes(`<@${REQUESTER}>`)), {
      message: 'final reply',
      timeoutMs: 10_000,
    });
    const afterApproval = await footprint(h);
    expect((await Promise.all([click(), click()])).map((r) => r.status)).toEqual([200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await footprint(h)).toEqual(afterApproval);
    expect(h.slack.ephemerals(APPROVER)).toHaveLength(0);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('refuses non-approvers, self-approval, other channels and non-requesters, and changes nothing', async () => {
    harness = await startHarness({
      env: {
        HBR_APPROVERS: `${APPROVER},${REQUESTER}`,
        HBR_REQUESTERS: `${REQUESTER},${APPROVER}`,
        HBR_ALLOWED_CHANNELS: CHANNEL,
      },
    });
    const h = harness;
    await h.command(ID);
    const { message, requestId } = await h.waitForRequest();
    await waitFor(() => h.slack.ephemerals(REQUESTER).length === 1 || undefined, { message: 'request posted' });
    await settled(h, requestId);
    const before = await footprint(h);

    const refusals: Array<[string, Promise<BotResponse>, string, RegExp]> = [
      ['a stranger approves', h.click('approve', requestId, STRANGER), STRANGER, /you are not an hbr-bot approver/],
      ['a stranger rejects', h.click('reject', requestId, STRANGER), STRANGER, /you are not an hbr-bot approver/],
      [
        'an approver withdraws',
        h.click('withdraw', requestId, APPROVER),
        APPROVER,
        /who made this request, can withdraw it/,
      ],
      ['the requester approves their own request', h.click('approve', requestId, REQUESTER), REQUESTER, /own request/],
    ];
    for (const [name, sent, user, answer] of refusals) {
      expect((await sent).status, name).toBe(200);
      await waitFor(() => h.slack.ephemerals(user).find((e) => answer.test(JSON.stringify(e))), {
        message: `${name}: refused`,
      });
    }
    const acks: Array<[string, Promise<BotResponse>, RegExp]> = [
      [
        'a request in another channel',
        h.command('i-bp1securesecuresec03', REQUESTER, 'COTHERCHAN1'),
        /does not take requests in this channel/,
      ],
      ['a request by a non-requester', h.command('i-bp1securesecuresec04', STRANGER), /not allowed to request/],
      [
        'a status look-up by a non-requester',
        h.slash('/hbr-status', 'i-bp1securesecuresec05', STRANGER),
        /not allowed/,
      ],
      ['a show by a non-requester', h.command(`show ${requestId}`, STRANGER), /not allowed/],
      ['an audit by a non-requester', h.command('audit', STRANGER), /not allowed/],
    ];
    for (const [name, sent, answer] of acks) {
      const response = await sent;
      expect(response.status, name).toBe(200);
      expect(response.body, name).toMatch(answer);
      expectAnswerWithinLimits(response);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Each refusal is an audit event, and that is all it leaves behind.
    const refused = refusals.length + acks.length;
    expect(await footprint(h)).toEqual({ ...before, auditEvents: before.auditEvents + refused });
    const added = await h.redis.xrevrange(`${h.config.queuePrefix}:audit`, '+', '-', 'COUNT', refused);
    expect(added.map(([, fields]) => JSON.parse(fields[1] ?? '{}').type)).toEqual(
      Array(refused).fill('access.refused'),
    );
    expect(h.textOf(message)).toContain('hbr_approve');
    expect(h.hbr.calls).toHaveLength(0);
  });
});
