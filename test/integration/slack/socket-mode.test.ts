/**
 * Socket Mode end to end: the real bot started with SLACK_APP_TOKEN opens its connection through the
 * stand-in's apps.connections.open (at SLACK_API_URL), takes commands and clicks as envelopes on the
 * WebSocket, acks them there, and serves /healthz on PORT.
 */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSlackStandIn } from '../../../sandbox/slack-api-server.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../../../src/slack/messages/action-ids.js';
import {
  APP_TOKEN,
  APPROVER,
  BOT_TOKEN,
  type Harness,
  instanceIdsFor,
  REQUESTER,
  STRANGER,
  startHarness,
} from '../../support/bot-harness.js';
import { waitFor } from '../../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Slack wants every envelope acked within 3 seconds. */
const ACK_DEADLINE_MS = 3000;

async function socketModeHarness() {
  harness = await startHarness({ socketMode: true });
  const socket = harness.slack.socketMode;
  if (socket === null) throw new Error('the stand-in was started without Socket Mode');
  return { h: harness, socket };
}

function finalReply(h: Harness, message: Parameters<Harness['threadReplies']>[0]) {
  return waitFor(() => h.threadReplies(message).find((reply) => h.textOf(reply).includes(`<@${REQUESTER}>`)), {
    message: 'final reply mentioning the requester',
    timeoutMs: 10_000,
  });
}

describe('Socket Mode', () => {
  it('takes a command and an approval as envelopes, acks each at once, installs and reports in the thread', async () => {
    const { h, socket } = await socketModeHarness();
    const opened = h.slack.callsOf('apps.connections.open');
    expect(opened.map((call) => [call.token, call.response.ok])).toEqual([[APP_TOKEN, true]]);
    expect(socket.openConnections()).toBe(1);

    const [a, b] = instanceIdsFor(2, 's');
    expect((await h.command(`${a} ${b}`)).status).toBe(200);
    const { message, requestId } = await h.waitForRequest();
    expect(h.textOf(message)).toContain(APPROVE_ACTION);
    expect(h.textOf(message)).toContain(REJECT_ACTION);

    expect((await h.click('approve', requestId, APPROVER)).status).toBe(200);
    const final = await finalReply(h, message);
    expect(h.textOf(final)).toContain(a);
    expect(h.textOf(final)).toContain(b);
    await waitFor(() => /Installed on 2 of 2 instances/.test(h.textOf(message)) || undefined, {
      message: 'request message shows the result',
    });
    expect(h.textOf(message)).toContain(`Approved by <@${APPROVER}>`);
    // The interactive payload carries a response_url here too: the decision was shown through it.
    expect(h.slack.responseUrlPosts.filter((p) => p.body.replace_original === true).map((p) => p.status)).toEqual([
      200,
    ]);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);

    // One ack per envelope, carrying its envelope_id, well within Slack's deadline.
    expect(socket.envelopes.map((e) => e.type)).toEqual(['slash_commands', 'interactive']);
    for (const envelope of socket.envelopes) {
      const acks = socket.acks.filter((ack) => ack.envelopeId === envelope.envelope_id);
      expect(acks).toHaveLength(1);
      expect(acks[0]?.afterMs).toBeLessThan(ACK_DEADLINE_MS);
    }

    // The operational routes are served on PORT in Socket Mode too.
    expect(h.bot.port).toBeGreaterThan(0);
    const health = await fetch(`${h.bot.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, '{"status":"ok"}']);
    expect((await h.ops('/readyz')).status).toBe(200);
  });

  it('drops envelopes Slack delivers again: one request, one decision, one install', async () => {
    const { h, socket } = await socketModeHarness();
    const acksOf = (envelopeId: string) => socket.acks.filter((ack) => ack.envelopeId === envelopeId).length;
    const dropped = () => h.logs.filter((line) => line.includes('dropped a Slack request delivered again')).length;

    await h.command(instanceIdsFor(1, 't').join(' '));
    const { message, requestId } = await h.waitForRequest();
    const command = socket.envelopes[0]!;
    expect(socket.redeliver(command)).toMatchObject({
      envelope_id: command.envelope_id,
      retry_attempt: 1,
      retry_reason: 'timeout',
    });
    await waitFor(() => (acksOf(command.envelope_id) === 2 && dropped() === 1) || undefined, {
      message: 'repeated command acked and dropped',
    });

    await h.click('approve', requestId, APPROVER);
    const click = socket.envelopes.at(-1)!;
    socket.redeliver(socket.redeliver(click));
    await waitFor(() => (acksOf(click.envelope_id) === 3 && dropped() === 3) || undefined, {
      message: 'repeated clicks acked and dropped',
    });

    await finalReply(h, message);
    expect(h.requestMessages()).toHaveLength(1);
    expect(h.slack.ephemerals(APPROVER)).toEqual([]);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it("answers bad input in the ack's payload, and refuses a non-approver's click with an ephemeral", async () => {
    const { h } = await socketModeHarness();
    const refused = await h.command('web-01');
    expect(refused.json).toMatchObject({ response_type: 'ephemeral' });
    expect(refused.body).toContain('web-01');

    await h.command(instanceIdsFor(1, 'u').join(' '));
    const { requestId } = await h.waitForRequest();
    expect((await h.click('approve', requestId, STRANGER)).status).toBe(200);
    await waitFor(
      () => h.slack.ephemerals(STRANGER).find((e) => /you are not an hbr-bot approver/.test(JSON.stringify(e))),
      {
        message: 'stranger refused',
      },
    );
    expect(await h.redis.hget(`${h.config.queuePrefix}:request:${requestId}`, 'status')).toBe('pending');
    expect(h.hbr.calls).toHaveLength(0);
  });

  it('reconnects through apps.connections.open when Slack asks it to refresh, and takes the next command', async () => {
    const { h, socket } = await socketModeHarness();
    socket.disconnect('refresh_requested');
    // @slack/socket-mode 3.1 closes the connection at once and opens the next one about 5 s later.
    await waitFor(() => (socket.connectionCount() === 2 && socket.openConnections() === 1) || undefined, {
      message: 'a new connection',
      timeoutMs: 15_000,
    });
    expect(h.slack.callsOf('apps.connections.open').map((call) => call.token)).toEqual([APP_TOKEN, APP_TOKEN]);
    expect((await h.command(instanceIdsFor(1, 'v').join(' '))).status).toBe(200);
    await h.waitForRequest();
  });
});

describe('the Socket Mode stand-in', () => {
  it('opens connections for the app token only, each URL once, starting with hello', async () => {
    const slack = await startSlackStandIn({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const open = async (token: string) => {
      const response = await fetch(`${slack.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      return (await response.json()) as { ok: boolean; url?: string; error?: string };
    };
    const connect = (url: string) =>
      new Promise<string>((resolve) => {
        const client = new WebSocket(url);
        client.once('message', (data) => {
          resolve(JSON.parse(data.toString()).type);
          client.close();
        });
        client.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
      });
    try {
      expect(await open('xapp-1-not-the-token')).toEqual({ ok: false, error: 'invalid_auth' });
      expect(await open(BOT_TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
      const { url } = await open(APP_TOKEN);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
      expect(await connect(url ?? '')).toBe('hello');
      expect(await connect(url ?? '')).toBe('HTTP 401');
    } finally {
      await slack.close();
    }
  });

  it('fails to start with a clear error when PORT is taken, in either mode', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      for (const socketMode of [true, false]) {
        await expect(
          startHarness({ socketMode, env: { PORT: String(port) } }),
          socketMode ? 'Socket Mode' : 'HTTP mode',
        ).rejects.toThrow(/EADDRINUSE/);
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
