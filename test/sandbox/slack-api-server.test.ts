import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentContent, type SlackStandIn, startSlackStandIn } from '../../sandbox/slack-api-server.js';

const { WebClient, LogLevel, retryPolicies } = webApi;
type WebClientOptions = webApi.WebClientOptions;

const BOT_TOKEN = 'xoxb-hbr-test-token';
const CHANNEL = 'C0HBROPS01';

let standIn: SlackStandIn;

beforeEach(async () => {
  standIn = await startSlackStandIn({
    botToken: BOT_TOKEN,
    botUserId: 'U0BOT',
    teamId: 'T0TEAM',
    usergroups: { S0APPROVERS: ['U1', 'U2'] },
  });
});

afterEach(async () => {
  await standIn.close();
});

/** Swallows the WebClient's logging (it logs the `[ERROR]` response_metadata messages of invalid_blocks). */
const silentLogger: webApi.Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** A real @slack/web-api client pointed at the stand-in; no retries unless asked for. */
function client(token: string | null = BOT_TOKEN, options: WebClientOptions = {}): webApi.WebClient {
  return new WebClient(token ?? undefined, {
    slackApiUrl: standIn.apiUrl,
    logger: silentLogger,
    retryConfig: { retries: 0 },
    ...options,
  });
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const buttonBlock = (value: string) => ({
  type: 'actions',
  elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value }],
});

function platformError(error: string) {
  return expect.objectContaining({
    code: 'slack_webapi_platform_error',
    data: expect.objectContaining({ ok: false, error }),
  });
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('Slack stand-in, called by a real WebClient', () => {
  it('serves auth.test', async () => {
    const result = await client().auth.test();
    expect(result).toMatchObject({
      ok: true,
      user_id: 'U0BOT',
      team_id: 'T0TEAM',
      bot_id: expect.any(String),
      url: expect.stringMatching(/^https:\/\//),
    });
    expect(standIn.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    expect(standIn.callsOf('auth.test')).toEqual([
      expect.objectContaining({
        method: 'auth.test',
        token: BOT_TOKEN,
        status: 200,
        response: expect.objectContaining({ ok: true }),
      }),
    ]);
  });

  it('records chat.postMessage with its args, blocks parsed back into arrays, and unique increasing ts', async () => {
    const web = client();
    const blocks = [section('*HBR install* for `i-123`'), buttonBlock('req-1')];
    const first = await web.chat.postMessage({ channel: CHANNEL, text: 'HBR install for i-123', blocks });
    const second = await web.chat.postMessage({ channel: CHANNEL, text: 'another' });

    expect(first).toMatchObject({
      ok: true,
      channel: CHANNEL,
      ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      message: { text: 'HBR install for i-123', blocks },
    });
    expect(second.ts! > first.ts!).toBe(true);

    const call = standIn.callsOf('chat.postMessage')[0]!;
    expect(call.token).toBe(BOT_TOKEN);
    expect(call.args).toMatchObject({ channel: CHANNEL, text: 'HBR install for i-123' });
    expect(call.args.blocks).toEqual(blocks);
    expect(call.args).not.toHaveProperty('token');

    expect(standIn.messages().map((m) => m.ts)).toEqual([first.ts, second.ts]);
    expect(standIn.message(CHANNEL, first.ts!)).toMatchObject({
      channel: CHANNEL,
      threadTs: null,
      text: 'HBR install for i-123',
      blocks,
      updates: [],
    });
  });

  it('supports thread replies via thread_ts', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const reply = await web.chat.postMessage({ channel: CHANNEL, text: 'progress 50%', thread_ts: parent.ts! });
    await web.chat.postMessage({ channel: 'C0OTHER', text: 'elsewhere', thread_ts: parent.ts! });

    expect(standIn.threadReplies(CHANNEL, parent.ts!)).toEqual([
      expect.objectContaining({ ts: reply.ts, threadTs: parent.ts, text: 'progress 50%' }),
    ]);
    expect(standIn.callsOf('chat.postMessage')[1]!.args.thread_ts).toBe(parent.ts);
  });

  it('keeps chat.update history and rejects updates of unknown messages', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'pending', blocks: [section('pending')] });
    const updated = await web.chat.update({
      channel: CHANNEL,
      ts: posted.ts!,
      text: 'approved',
      blocks: [section('approved by <@U1>')],
    });
    await web.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'installing' }); // blocks omitted: kept

    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'approved' });
    const message = standIn.message(CHANNEL, posted.ts!)!;
    expect(message.text).toBe('pending');
    expect(message.updates.map((u) => u.text)).toEqual(['approved', 'installing']);
    expect(currentContent(message)).toEqual({ text: 'installing', blocks: [section('approved by <@U1>')] });
    expect(standIn.callsOf('chat.update')[0]!.args.blocks).toEqual([section('approved by <@U1>')]);

    await expect(web.chat.update({ channel: CHANNEL, ts: '1600000000.000001', text: 'x' })).rejects.toEqual(
      platformError('message_not_found'),
    );
    await expect(web.chat.update({ channel: 'C0OTHER', ts: posted.ts!, text: 'x' })).rejects.toEqual(
      platformError('message_not_found'),
    );
  });

  it('records chat.postEphemeral', async () => {
    const result = await client().chat.postEphemeral({
      channel: CHANNEL,
      user: 'U1',
      text: 'only you',
      blocks: [section('only you')],
    });
    expect(result).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(standIn.ephemerals('U1')).toEqual([
      expect.objectContaining({
        channel: CHANNEL,
        user: 'U1',
        text: 'only you',
        blocks: [section('only you')],
        via: 'chat.postEphemeral',
      }),
    ]);
    expect(standIn.ephemerals('U2')).toEqual([]);
  });

  it('serves chat.getPermalink', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'request' });
    const result = await web.chat.getPermalink({ channel: CHANNEL, message_ts: posted.ts! });
    expect(result).toMatchObject({
      ok: true,
      channel: CHANNEL,
      permalink: `https://hbr-test.slack.com/archives/${CHANNEL}/p${posted.ts!.replace('.', '')}`,
    });
    expect(standIn.callsOf('chat.getPermalink')[0]!.args).toMatchObject({ channel: CHANNEL, message_ts: posted.ts });
  });

  it('serves usergroups.users.list from options and setUsergroup, and no_such_subteam otherwise', async () => {
    const web = client();
    expect((await web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual(['U1', 'U2']);
    standIn.setUsergroup('S0APPROVERS', ['U3']);
    standIn.setUsergroup('S0NEW', ['U4', 'U5']);
    expect((await web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual(['U3']);
    expect((await web.usergroups.users.list({ usergroup: 'S0NEW' })).users).toEqual(['U4', 'U5']);
    await expect(web.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toEqual(platformError('no_such_subteam'));
  });

  it('answers invalid_auth for a wrong token and not_authed for none', async () => {
    await expect(client('xoxb-wrong').auth.test()).rejects.toEqual(platformError('invalid_auth'));
    await expect(client(null).auth.test()).rejects.toEqual(platformError('not_authed'));
    // A per-call token overrides the client's token (Bolt does this with the authorized bot token).
    await expect(
      client('xoxb-wrong').chat.postMessage({ channel: CHANNEL, text: 'x', token: BOT_TOKEN }),
    ).resolves.toMatchObject({ ok: true });
    expect(standIn.calls.map((c) => [c.method, c.token, c.response.error ?? 'ok'])).toEqual([
      ['auth.test', 'xoxb-wrong', 'invalid_auth'],
      ['auth.test', null, 'not_authed'],
      ['chat.postMessage', BOT_TOKEN, 'ok'],
    ]);
    expect(standIn.messages()).toHaveLength(1);
  });

  it('answers unknown_method for methods it does not implement', async () => {
    await expect(
      client().apiCall('chat.scheduleMessage', { channel: CHANNEL, text: 'later', post_at: 1 }),
    ).rejects.toEqual(platformError('unknown_method'));
    expect(standIn.callsOf('chat.scheduleMessage')).toHaveLength(1);
  });

  it('accepts the token as a form field and JSON bodies with a bearer token, as Slack does', async () => {
    const form = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: BOT_TOKEN,
        channel: CHANNEL,
        text: 'form',
        blocks: JSON.stringify([section('form')]),
      }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    const json = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('json')] }),
    });
    expect(await json.json()).toMatchObject({ ok: true });
    expect(standIn.messages().map((m) => [m.text, m.blocks])).toEqual([
      ['form', [section('form')]],
      ['json', [section('json')]],
    ]);
    const broken = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${BOT_TOKEN}` },
      body: new URLSearchParams({ channel: CHANNEL, blocks: '[{"type":' }).toString(),
    });
    expect(await broken.json()).toMatchObject({ ok: false, error: 'invalid_blocks_format' });
  });
});

describe('Block Kit validation of message-bearing calls', () => {
  it.each([
    ['51 blocks', { blocks: Array.from({ length: 51 }, (_, i) => section(`line ${i}`)) }, '/blocks'],
    ['a 3001-char section', { blocks: [section('x'.repeat(3001))] }, '/blocks/0/text/text'],
    ['a 2001-char button value', { blocks: [buttonBlock('v'.repeat(2001))] }, '/blocks/0/elements/0/value'],
  ])('rejects %s with invalid_blocks and records the call', async (_name, content, pointer) => {
    const web = client();
    const rejection = await web.chat
      .postMessage({ channel: CHANNEL, text: 'fallback', ...content })
      .catch((e: unknown) => e);
    expect(rejection).toEqual(platformError('invalid_blocks'));
    const errors = (rejection as { data: { errors: string[] } }).data.errors;
    expect(errors).toEqual([expect.stringContaining(`[json-pointer:${pointer}]`)]);

    const [call] = standIn.callsOf('chat.postMessage');
    expect(call).toMatchObject({
      args: { channel: CHANNEL, blocks: content.blocks },
      response: { ok: false, error: 'invalid_blocks', errors },
    });
    expect(standIn.messages()).toEqual([]);
  });

  it('accepts content exactly at the limits', async () => {
    const web = client();
    await web.chat.postMessage({
      channel: CHANNEL,
      text: 'fallback',
      blocks: Array.from({ length: 50 }, (_, i) => section(`line ${i}`)),
    });
    await web.chat.postMessage({
      channel: CHANNEL,
      text: 'fallback',
      blocks: [section('x'.repeat(3000)), buttonBlock('v'.repeat(2000))],
    });
    expect(standIn.messages()).toHaveLength(2);
  });

  it('validates chat.update and chat.postEphemeral too', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'ok' });
    await expect(
      web.chat.update({ channel: CHANNEL, ts: posted.ts!, blocks: [section('x'.repeat(3001))] }),
    ).rejects.toEqual(platformError('invalid_blocks'));
    await expect(
      web.chat.postEphemeral({ channel: CHANNEL, user: 'U1', text: '', blocks: [{ type: 'bogus' }] }),
    ).rejects.toEqual(platformError('invalid_blocks'));
    expect(standIn.message(CHANNEL, posted.ts!)!.updates).toEqual([]);
    expect(standIn.ephemerals()).toEqual([]);
    expect(standIn.calls.map((c) => c.response.error ?? 'ok')).toEqual(['ok', 'invalid_blocks', 'invalid_blocks']);
    // Like Slack, the problems are also in response_metadata.messages, which WebClient logs at error level.
    expect(standIn.calls[1]!.response.response_metadata).toEqual({
      messages: [expect.stringMatching(/^\[ERROR\] .*json-pointer:\/blocks\/0\/text\/text/)],
    });
  });
});

describe('failNext', () => {
  it('fails the next calls of a method with the given errors, in order, then recovers', async () => {
    const web = client();
    standIn.failNext('chat.postMessage', { error: 'channel_not_found' });
    standIn.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'a' })).rejects.toEqual(
      platformError('channel_not_found'),
    );
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true }); // other methods unaffected
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'b' })).rejects.toEqual(
      platformError('not_in_channel'),
    );
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'c' })).resolves.toMatchObject({ ok: true });
    expect(standIn.callsOf('chat.postMessage').map((c) => c.response.error ?? 'ok')).toEqual([
      'channel_not_found',
      'not_in_channel',
      'ok',
    ]);
    expect(standIn.messages().map((m) => m.text)).toEqual(['c']);
  });

  it('answers 429 with a Retry-After header', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 });
    const response = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${BOT_TOKEN}` },
      body: new URLSearchParams({ channel: CHANNEL, text: 'x' }).toString(),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(standIn.calls[0]).toMatchObject({ method: 'chat.postMessage', status: 429 });
  });

  it('a rate-limited WebClient call is retried and succeeds (Retry-After: 0, rapid retry policy)', async () => {
    const web = client(BOT_TOKEN, { retryConfig: retryPolicies.rapidRetryPolicy });
    const limited: number[] = [];
    web.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => limited.push(seconds));
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0 });
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0 });

    const result = await web.chat.postMessage({ channel: CHANNEL, text: 'after the storm' });

    expect(result).toMatchObject({ ok: true });
    expect(limited).toEqual([0, 0]);
    expect(standIn.callsOf('chat.postMessage').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(standIn.messages()).toHaveLength(1);
  });

  it('the WebClient waits the Retry-After seconds before retrying', async () => {
    const web = client(BOT_TOKEN, { retryConfig: retryPolicies.rapidRetryPolicy });
    standIn.failNext('auth.test', { status: 429, retryAfterSeconds: 1 });
    await web.auth.test();
    const [limited, retried] = standIn.callsOf('auth.test');
    expect(limited!.status).toBe(429);
    expect(retried!.status).toBe(200);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it('rejectRateLimitedCalls makes the WebClient give up with the retry-after value', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 30 });
    await expect(
      client(BOT_TOKEN, { rejectRateLimitedCalls: true }).chat.postMessage({ channel: CHANNEL, text: 'x' }),
    ).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 30,
    });
  });
});

describe('response URLs', () => {
  it('issues fresh URLs on the same server', () => {
    const a = standIn.responseUrl();
    const b = standIn.responseUrl();
    expect(a).not.toBe(b);
    expect(new URL(a).origin).toBe(new URL(standIn.apiUrl).origin);
  });

  it('records ephemeral posts (explicit or default response_type) as ephemerals', async () => {
    const url = standIn.responseUrl({ channel: CHANNEL, user: 'U1' });
    expect(await postJson(url, { text: 'working on it' })).toEqual({ status: 200, json: { ok: true } });
    expect(await postJson(url, { response_type: 'ephemeral', text: 'done', blocks: [section('done')] })).toMatchObject({
      status: 200,
    });

    expect(standIn.responseUrlPosts.map((p) => p.body)).toEqual([
      { text: 'working on it' },
      { response_type: 'ephemeral', text: 'done', blocks: [section('done')] },
    ]);
    expect(standIn.ephemerals('U1')).toEqual([
      expect.objectContaining({
        channel: CHANNEL,
        user: 'U1',
        text: 'working on it',
        via: 'response_url',
        replaceOriginal: false,
      }),
      expect.objectContaining({ text: 'done', blocks: [section('done')], via: 'response_url' }),
    ]);
    expect(standIn.messages()).toEqual([]);
  });

  it('posts in_channel responses as channel messages', async () => {
    const url = standIn.responseUrl({ channel: CHANNEL, user: 'U1' });
    await postJson(url, { response_type: 'in_channel', text: 'request posted' });
    expect(standIn.messages()).toEqual([
      expect.objectContaining({ channel: CHANNEL, text: 'request posted', via: 'response_url' }),
    ]);
    expect(standIn.ephemerals()).toEqual([]);
  });

  it('applies replace_original and delete_original to the message the interaction came from', async () => {
    const posted = await client().chat.postMessage({
      channel: CHANNEL,
      text: 'approve?',
      blocks: [buttonBlock('req-1')],
    });
    const url = standIn.responseUrl({ channel: CHANNEL, user: 'U1', messageTs: posted.ts! });
    await postJson(url, { replace_original: true, text: 'approved by <@U1>', blocks: [section('approved')] });
    expect(currentContent(standIn.message(CHANNEL, posted.ts!)!)).toEqual({
      text: 'approved by <@U1>',
      blocks: [section('approved')],
    });

    expect(await postJson(url, { delete_original: true })).toMatchObject({ status: 200 });
    expect(standIn.message(CHANNEL, posted.ts!)!.deleted).toBe(true);
    expect(standIn.responseUrlPosts.map((p) => p.body)).toEqual([
      { replace_original: true, text: 'approved by <@U1>', blocks: [section('approved')] },
      { delete_original: true },
    ]);
    expect(standIn.ephemerals()).toEqual([]);
  });

  it('records replace_original without a known message as an ephemeral replacement', async () => {
    const url = standIn.responseUrl({ user: 'U1' });
    await postJson(url, { replace_original: true, text: 'replaced' });
    expect(standIn.ephemerals('U1')).toEqual([expect.objectContaining({ text: 'replaced', replaceOriginal: true })]);
  });

  it('answers 400 invalid_blocks for invalid content, 404 for unknown URLs, and honours failNext("response_url")', async () => {
    const url = standIn.responseUrl({ user: 'U1' });
    expect(await postJson(url, { blocks: [section('x'.repeat(3001))] })).toEqual({
      status: 400,
      json: { ok: false, error: 'invalid_blocks', errors: [expect.stringContaining('/blocks/0/text/text')] },
    });
    expect(await postJson(url, {})).toMatchObject({ status: 400, json: { error: 'invalid_blocks' } });
    expect((await postJson(`${url}x`, { text: 'hi' })).status).toBe(404);

    standIn.failNext('response_url', { status: 429, retryAfterSeconds: 1 });
    expect((await postJson(url, { text: 'hi' })).status).toBe(429);
    expect(standIn.responseUrlPosts.map((p) => p.status)).toEqual([400, 400, 404, 429]);
    expect(standIn.ephemerals()).toEqual([]);
  });
});
