import type { AddressInfo } from 'node:net';
import { App, type Logger, LogLevel, verifySlackRequest, webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentContent, type SlackStandIn, startSlackStandIn } from '../../sandbox/slack-api-server.js';
import {
  blockActionPayload,
  sendBlockAction,
  sendSignedRaw,
  sendSlashCommand,
  slackSignature,
  slashCommandBody,
} from '../../sandbox/slack-requests.js';
import { waitFor } from '../support/wait-for.js';

const SIGNING_SECRET = 'hbr-test-signing-secret';
const BOT_TOKEN = 'xoxb-hbr-test-token';
const CHANNEL = 'C0HBROPS01';

/** A Bolt Logger that keeps what it is told, so tests can see why Bolt refused a request. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let level = LogLevel.INFO;
  const keep =
    (prefix: string) =>
    (...msg: unknown[]) => {
      lines.push(`${prefix} ${msg.map(String).join(' ')}`);
    };
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: keep('WARN'),
    error: keep('ERROR'),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
  return { logger, lines };
}

describe('slackSignature', () => {
  it('matches the example in Slack’s request-signing documentation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('is accepted by Bolt’s own verifySlackRequest', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = slashCommandBody({
      text: 'i-123 cn-hangzhou',
      user_id: 'U1',
      channel_id: CHANNEL,
      response_url: 'https://example.invalid/r',
    });
    expect(() =>
      verifySlackRequest({
        signingSecret: SIGNING_SECRET,
        body,
        headers: {
          'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body),
          'x-slack-request-timestamp': timestamp,
        },
      }),
    ).not.toThrow();
  });

  it('builds a block_actions payload shaped like Slack’s', () => {
    const payload = blockActionPayload({
      action_id: 'hbr_approve',
      value: 'req-1',
      user_id: 'U1',
      channel_id: CHANNEL,
      message_ts: '1700000000.000100',
      response_url: 'https://example.invalid/r',
    });
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1', username: expect.any(String), team_id: expect.any(String) },
      team: { id: expect.any(String) },
      channel: { id: CHANNEL },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: CHANNEL },
      message: { ts: '1700000000.000100' },
      actions: [
        {
          type: 'button',
          action_id: 'hbr_approve',
          block_id: expect.any(String),
          value: 'req-1',
          action_ts: expect.stringMatching(/^\d+\.\d{6}$/),
        },
      ],
      response_url: 'https://example.invalid/r',
      trigger_id: expect.any(String),
      api_app_id: expect.any(String),
      token: expect.any(String),
    });
  });
});

describe('signed requests against a real Bolt app running on the stand-in', () => {
  let standIn: SlackStandIn;
  let app: App;
  let botUrl: string;
  let logLines: string[];
  const commands: Array<{ text: string; user: string; retryNum: number | undefined; retryReason: string | undefined }> =
    [];
  const actions: Array<{ actionId: string; value: string; user: string; messageTs: string | undefined }> = [];

  beforeAll(async () => {
    standIn = await startSlackStandIn({ botToken: BOT_TOKEN, botUserId: 'U0BOT', teamId: 'T0HBRTEST1' });
    const captured = capturingLogger();
    logLines = captured.lines;
    app = new App({
      signingSecret: SIGNING_SECRET,
      token: BOT_TOKEN,
      logger: captured.logger,
      // tokenVerificationEnabled defaults to true: Bolt calls auth.test (on the stand-in) right here in the constructor.
      clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: webApi.retryPolicies.rapidRetryPolicy },
    });

    app.command('/hbr-install', async ({ command, ack, respond, client, context }) => {
      await ack();
      commands.push({
        text: command.text,
        user: command.user_id,
        retryNum: context.retryNum,
        retryReason: context.retryReason,
      });
      await respond({ response_type: 'ephemeral', text: `Got it: ${command.text}` });
      await client.chat.postMessage({
        channel: command.channel_id,
        text: `HBR install requested: ${command.text}`,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `*HBR install* \`${command.text}\`` } },
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'hbr_approve',
                style: 'primary',
                text: { type: 'plain_text', text: 'Approve' },
                value: command.text,
              },
            ],
          },
        ],
      });
    });

    app.action('hbr_approve', async ({ ack, action, body, respond }) => {
      await ack();
      const button = action as { action_id: string; value?: string };
      const container = (body as { container?: { message_ts?: string } }).container;
      actions.push({
        actionId: button.action_id,
        value: button.value ?? '',
        user: body.user.id,
        messageTs: container?.message_ts,
      });
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });

    const server = await app.start({ port: 0, host: '127.0.0.1' });
    botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await app?.stop();
    await standIn?.close();
  });

  it('Bolt called auth.test on the stand-in at construction, once', async () => {
    await waitFor(() => standIn.callsOf('auth.test').length > 0, { message: 'Bolt never called auth.test' });
    expect(standIn.callsOf('auth.test')).toEqual([
      expect.objectContaining({ token: BOT_TOKEN, response: expect.objectContaining({ ok: true }) }),
    ]);
  });

  it('delivers a correctly signed slash command to the command listener', async () => {
    const responseUrl = standIn.responseUrl({ channel: CHANNEL, user: 'U1' });
    const response = await sendSlashCommand(
      botUrl,
      { text: 'i-123 cn-hangzhou', user_id: 'U1', channel_id: CHANNEL, response_url: responseUrl },
      { signingSecret: SIGNING_SECRET },
    );
    expect(response).toMatchObject({ status: 200, body: '', json: null });
    expect(response.latencyMs).toBeGreaterThan(0);

    await waitFor(() => commands.find((c) => c.text === 'i-123 cn-hangzhou'), {
      message: 'command listener not reached',
    });
    const ephemeral = await waitFor(
      () => standIn.ephemerals('U1').find((e) => e.text === 'Got it: i-123 cn-hangzhou'),
      {
        message: 'respond() did not reach the response_url',
      },
    );
    expect(ephemeral).toMatchObject({ channel: CHANNEL, via: 'response_url' });
    const posted = await waitFor(
      () => standIn.messages().find((m) => m.text === 'HBR install requested: i-123 cn-hangzhou'),
      {
        message: 'chat.postMessage not received',
      },
    );
    expect(posted.channel).toBe(CHANNEL);
    const call = standIn.callsOf('chat.postMessage').at(-1)!;
    expect(call.token).toBe(BOT_TOKEN);
    expect(call.args.team_id).toBe('T0HBRTEST1'); // Bolt's per-team client adds team_id to every call
  });

  it('delivers a correctly signed button click to the action listener, and respond() replaces the message', async () => {
    const { ts } = await app.client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve HBR install?',
      blocks: [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'hbr_approve', text: { type: 'plain_text', text: 'Approve' }, value: 'i-123' },
          ],
        },
      ],
    });
    const posted = standIn.message(CHANNEL, ts!)!;
    const responseUrl = standIn.responseUrl({ channel: CHANNEL, user: 'U2', messageTs: posted.ts });
    const response = await sendBlockAction(
      botUrl,
      {
        action_id: 'hbr_approve',
        value: 'i-123 cn-hangzhou',
        user_id: 'U2',
        channel_id: CHANNEL,
        message_ts: posted.ts,
        response_url: responseUrl,
      },
      { signingSecret: SIGNING_SECRET },
    );
    expect(response.status).toBe(200);
    await waitFor(() => actions.find((a) => a.user === 'U2'), { message: 'action listener not reached' });
    expect(actions).toEqual([
      { actionId: 'hbr_approve', value: 'i-123 cn-hangzhou', user: 'U2', messageTs: posted.ts },
    ]);
    await waitFor(() => posted.updates.length === 1, { message: 'replace_original not applied' });
    expect(currentContent(posted).text).toBe('Approved by <@U2>');
    expect(standIn.responseUrlPosts.at(-1)!.body).toEqual({ replace_original: true, text: 'Approved by <@U2>' });
  });

  it('answers 401 to a forged signature and to a 6-minute-old timestamp, and the listeners never see them', async () => {
    const commandsBefore = commands.length;
    const actionsBefore = actions.length;
    const fields = { text: 'i-666 forged', user_id: 'U666', channel_id: CHANNEL, response_url: standIn.responseUrl() };
    const action = {
      action_id: 'hbr_approve',
      value: 'forged',
      user_id: 'U666',
      channel_id: CHANNEL,
      message_ts: '1700000000.000100',
      response_url: standIn.responseUrl(),
    };
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;

    const refused = [
      await sendSlashCommand(botUrl, fields, { signingSecret: SIGNING_SECRET, signature: `v0=${'0'.repeat(64)}` }),
      await sendSlashCommand(botUrl, fields, { signingSecret: 'not-the-signing-secret' }),
      await sendSlashCommand(botUrl, fields, { signingSecret: SIGNING_SECRET, timestamp: sixMinutesAgo }),
      await sendBlockAction(botUrl, action, { signingSecret: 'not-the-signing-secret' }),
      await sendBlockAction(botUrl, action, { signingSecret: SIGNING_SECRET, timestamp: sixMinutesAgo }),
      // Tampering with the body after signing:
      await sendSignedRaw(botUrl, slashCommandBody(fields), 'application/x-www-form-urlencoded', {
        signingSecret: SIGNING_SECRET,
        signature: slackSignature(
          SIGNING_SECRET,
          Math.floor(Date.now() / 1000),
          slashCommandBody({ ...fields, text: 'harmless' }),
        ),
      }),
    ];
    expect(refused.map((r) => [r.status, r.body])).toEqual(Array.from({ length: refused.length }, () => [401, '']));

    // A valid request sent afterwards is processed; the refused ones never were.
    await sendSlashCommand(
      botUrl,
      { ...fields, text: 'i-124 after-forgery', user_id: 'U3' },
      { signingSecret: SIGNING_SECRET },
    );
    await waitFor(() => commands.find((c) => c.text === 'i-124 after-forgery'), {
      message: 'valid command after forgeries not reached',
    });
    expect(commands.slice(commandsBefore).map((c) => c.text)).toEqual(['i-124 after-forgery']);
    expect(actions).toHaveLength(actionsBefore);
    expect(logLines.filter((l) => l.includes('signature mismatch'))).toHaveLength(4);
    expect(logLines.filter((l) => l.includes('stale'))).toHaveLength(2);
  });

  it('passes X-Slack-Retry-Num / -Reason through to context.retryNum / retryReason', async () => {
    await sendSlashCommand(
      botUrl,
      { text: 'i-125 retried', user_id: 'U4', channel_id: CHANNEL, response_url: standIn.responseUrl() },
      { signingSecret: SIGNING_SECRET, retryNum: 1 },
    );
    const seen = await waitFor(() => commands.find((c) => c.text === 'i-125 retried'));
    expect(seen).toMatchObject({ retryNum: 1, retryReason: 'http_timeout' });
    expect(commands.find((c) => c.text === 'i-123 cn-hangzhou')).toMatchObject({ retryNum: undefined });
  });

  it('answers 401 when the signature headers are missing', async () => {
    const body = slashCommandBody({
      text: 'x',
      user_id: 'U5',
      channel_id: CHANNEL,
      response_url: standIn.responseUrl(),
    });
    const response = await fetch(botUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(response.status).toBe(401);
  });

  it('Bolt did not call auth.test again while handling requests', () => {
    expect(standIn.callsOf('auth.test')).toHaveLength(1);
  });
});

describe('Bolt token verification options against the stand-in', () => {
  async function runApp(
    options: { tokenVerificationEnabled?: boolean; botId?: string; botUserId?: string },
    commandsToSend: number,
  ) {
    const standIn = await startSlackStandIn({ botToken: BOT_TOKEN });
    const seen: string[] = [];
    const app = new App({
      signingSecret: SIGNING_SECRET,
      token: BOT_TOKEN,
      logger: capturingLogger().logger,
      clientOptions: { slackApiUrl: standIn.apiUrl },
      ...options,
    });
    app.command('/hbr-install', async ({ ack, command }) => {
      await ack();
      seen.push(command.text);
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    try {
      const afterConstruction = standIn.callsOf('auth.test').length;
      for (let i = 0; i < commandsToSend; i += 1) {
        const response = await sendSlashCommand(
          url,
          { text: `cmd ${i}`, user_id: 'U1', channel_id: CHANNEL, response_url: standIn.responseUrl() },
          { signingSecret: SIGNING_SECRET },
        );
        expect(response.status).toBe(200);
      }
      await waitFor(() => seen.length === commandsToSend);
      return { afterConstruction, afterRequests: standIn.callsOf('auth.test').length };
    } finally {
      await app.stop();
      await standIn.close();
    }
  }

  it('with botId and botUserId given, Bolt never calls auth.test', async () => {
    expect(await runApp({ botId: 'B0HBRBOT01', botUserId: 'U0HBRBOT01' }, 2)).toEqual({
      afterConstruction: 0,
      afterRequests: 0,
    });
  });

  it('with tokenVerificationEnabled: false (and no botId/botUserId), Bolt calls auth.test for every request', async () => {
    expect(await runApp({ tokenVerificationEnabled: false }, 2)).toEqual({ afterConstruction: 0, afterRequests: 2 });
  });
});
