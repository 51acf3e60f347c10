/**
 * The sandbox page's server, without a browser: the event stream, commands and clicks forwarded to
 * the real bot as Slack would send them, and the instance panel.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_INSTANCES } from '../../sandbox/fixture.js';
import { LATEST_CLIENT_VERSION } from '../../sandbox/hbr-api-server.js';
import { type EphemeralView, findButton, type InstancesView, manifestCommands } from '../../sandbox/page-server.js';
import { type RunningSandbox, startSandbox } from '../../sandbox/sandbox.js';
import { currentContent, type PostedMessage } from '../../sandbox/slack-api-server.js';
import { waitFor } from '../support/wait-for.js';

const DANA = 'USBDANA001';
const LEE = 'USBLEE0002';
const WEB_01 = SANDBOX_INSTANCES[0]!.id;

let sandbox: RunningSandbox;
let base: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    env: {
      PORT: '0',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      HBR_QUEUE_PREFIX: `hbrtest-${randomBytes(5).toString('hex')}`,
    },
    logger: (level) => pino({ level: process.env.TEST_LOG_LEVEL ?? level }),
  });
  base = `http://127.0.0.1:${sandbox.port}`;
});

afterAll(async () => {
  await sandbox?.stop();
});

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream in the background, collecting its events. */
function openStream(user: string): { events: StreamEvent[]; close(): void } {
  const controller = new AbortController();
  const events: StreamEvent[] = [];
  void (async () => {
    const response = await fetch(`${base}/events?user=${user}`, { signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const chunk = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(chunk)?.[1];
        const data = /^data: (.*)$/m.exec(chunk)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => undefined);
  return { events, close: () => controller.abort() };
}

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function requestMessage(instanceId: string): PostedMessage | undefined {
  return sandbox.slack
    .messages()
    .find((m) => m.threadTs === null && JSON.stringify(currentContent(m).blocks).includes(instanceId));
}

describe('sandbox page server', () => {
  it('serves the page and its scripts with a strict content security policy', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    for (const path of ['/app.js', '/render.js', '/style.css'])
      expect((await fetch(`${base}${path}`)).status).toBe(200);
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
  });

  it('streams a snapshot, then messages to everyone and ephemerals only to their user', async () => {
    const dana = openStream(DANA);
    const lee = openStream(LEE);
    try {
      await waitFor(() => dana.events[0]?.event === 'snapshot' && lee.events[0]?.event === 'snapshot');
      const snapshot = dana.events[0]!.data as {
        user: string;
        users: unknown[];
        instances: InstancesView;
        commands: Array<{ command: string }>;
      };
      expect(snapshot.user).toBe(DANA);
      expect(snapshot.users).toHaveLength(4);
      expect(snapshot.commands.map((c) => c.command)).toContain('/hbr-install');
      expect(snapshot.instances.poll).toEqual({ firstDelayMs: 3000, intervalMs: 3000, taskTimeoutMs: 60_000 });
      expect(snapshot.instances.instances.map((i) => i.state)).toEqual(
        expect.arrayContaining(['running', 'stopped', 'no-cloud-assist', 'install-fails', 'slow']),
      );

      expect(await post('/api/command', { user: DANA, text: `/hbr-install ${WEB_01}` })).toEqual({
        status: 200,
        json: { ok: true },
      });
      const posted = (stream: typeof dana) =>
        stream.events.find((e) => e.event === 'message' && JSON.stringify(e.data).includes(WEB_01));
      await waitFor(() => posted(dana) && posted(lee) && dana.events.some((e) => e.event === 'ephemeral'), {
        message: 'request and ephemeral streamed',
      });
      const ephemeral = dana.events.find((e) => e.event === 'ephemeral')!.data as EphemeralView;
      expect(ephemeral.text).toMatch(/posted/);
      expect(lee.events.filter((e) => e.event === 'ephemeral')).toEqual([]);
      const leeState = (await (await fetch(`${base}/api/state?user=${LEE}`)).json()) as { ephemerals: unknown[] };
      expect(leeState.ephemerals).toEqual([]);
    } finally {
      dana.close();
      lee.close();
    }
  });

  it('forwards a click with the message as it is now, and refuses a button no longer there', async () => {
    await post('/api/command', { user: DANA, text: `/hbr-install ${SANDBOX_INSTANCES[1]!.id}` });
    const request = await waitFor(() => requestMessage(SANDBOX_INSTANCES[1]!.id));
    const click = {
      user: LEE,
      channel: request.channel,
      ts: request.ts,
      blockId: 'hbr_decision',
      actionId: 'hbr_reject',
    };
    expect(await post('/api/action', click)).toEqual({ status: 200, json: { ok: true } });
    await waitFor(() => /Rejected by/.test(JSON.stringify(currentContent(request).blocks)), {
      message: 'request rejected',
    });
    expect(await post('/api/action', click)).toMatchObject({ status: 409, json: { error: 'button_gone' } });
    expect(await post('/api/action', { ...click, ts: '1.000001' })).toMatchObject({
      status: 404,
      json: { error: 'message_not_found' },
    });
  });

  it("shows a command's immediate answer to its user, as Slack shows an ack body", async () => {
    expect(await post('/api/command', { user: DANA, text: '/hbr-install help' })).toEqual({
      status: 200,
      json: { ok: true },
    });
    expect(await post('/api/command', { user: DANA, text: '/hbr-install web-01' })).toEqual({
      status: 200,
      json: { ok: true },
    });
    await waitFor(() => sandbox.slack.ephemerals(DANA).some((e) => /Nothing was requested/.test(JSON.stringify(e))), {
      message: 'refusal shown',
    });
    expect(
      sandbox.slack
        .ephemerals(DANA)
        .some((e) => /hbr-install/.test(JSON.stringify(e.blocks)) && /help|usage/i.test(JSON.stringify(e))),
    ).toBe(true);
    expect(await post('/api/command', { user: DANA, text: '/deploy it' })).toMatchObject({
      status: 200,
      json: { ok: false, error: expect.stringMatching(/not a valid command/) },
    });
    expect(await post('/api/command', { user: DANA, text: 'hello' })).toMatchObject({
      json: { ok: false, error: expect.stringMatching(/slash commands/) },
    });
  });

  it('refuses cross-site posts, non-JSON bodies and unknown users', async () => {
    expect(
      (await post('/api/command', { user: DANA, text: '/hbr-install help' }, { origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    const form = await fetch(`${base}/api/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=x',
    });
    expect(form.status).toBe(415);
    expect(await post('/api/command', { user: 'U0NOBODY', text: '/hbr-install help' })).toMatchObject({
      status: 400,
      json: { error: 'unknown_user' },
    });
  });

  it('answers like a real account: an unknown ID is not found and refused, and an install brings the latest client', async () => {
    const db01 = SANDBOX_INSTANCES[2]!.id;
    const typo = `${db01.slice(0, -1)}z`;
    await post('/api/command', { user: DANA, text: `/hbr-install ${db01} ${typo}` });
    const request = await waitFor(() => requestMessage(typo));
    const text = () => JSON.stringify(currentContent(request).blocks);
    await waitFor(() => /Pre-flight/.test(text()), { message: 'pre-flight shown' });
    expect(text()).toContain('1 of 2 ready, 1 will be refused');
    expect(text()).toContain(`\`${typo}\` — *not found in cn-hangzhou — will be refused*`);
    const click = {
      user: LEE,
      channel: request.channel,
      ts: request.ts,
      blockId: 'hbr_decision',
      actionId: 'hbr_approve',
    };
    expect(await post('/api/action', click)).toEqual({ status: 200, json: { ok: true } });
    await waitFor(() => /Installed on 1 of 2 instances — 1 refused by HBR/.test(text()), {
      message: 'install ended',
      timeoutMs: 20_000,
    });
    expect(sandbox.hbr.clients().find((c) => c.instanceId === db01)).toMatchObject({
      clientVersion: LATEST_CLIENT_VERSION,
      maxClientVersion: LATEST_CLIENT_VERSION,
    });
    expect(sandbox.hbr.clients().some((c) => c.instanceId === typo)).toBe(false);
  }, 30_000);

  it('changes a scripted instance from the panel and pushes the panel to every viewer', async () => {
    const viewer = openStream(DANA);
    try {
      await waitFor(() => viewer.events.length > 0);
      const answer = await post('/api/instances', { instanceId: WEB_01, state: 'no-cloud-assist' });
      expect(answer.status).toBe(200);
      const pushed = await waitFor(
        () => viewer.events.find((e) => e.event === 'instances')?.data as InstancesView | undefined,
      );
      expect(pushed.instances.find((i) => i.id === WEB_01)).toMatchObject({
        state: 'no-cloud-assist',
        note: expect.stringMatching(/Cloud Assistant/),
      });
      expect(await post('/api/instances', { instanceId: WEB_01, state: 'exploded' })).toMatchObject({
        status: 400,
        json: { error: 'invalid_state' },
      });
    } finally {
      viewer.close();
      sandbox.hbr.setInstance(WEB_01, 'running');
    }
  });
});

describe('page helpers', () => {
  it("reads the app's slash commands from manifest.yml", async () => {
    const commands = manifestCommands(await readFile('manifest.yml', 'utf8'));
    expect(commands).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ command: '/hbr-install', usageHint: expect.stringContaining('--region') }),
      ]),
    );
    expect(commands.every((c) => !c.usageHint.startsWith('"'))).toBe(true);
  });

  it('finds a button by block and action id, also in a block without a block_id', () => {
    const button = { type: 'button', action_id: 'go', value: 'v1', text: { type: 'plain_text', text: 'Go' } };
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: button },
      { type: 'actions', block_id: 'acts', elements: [{ ...button, value: 'v2' }] },
    ];
    expect(findButton(blocks, 'b0', 'go')).toEqual({ blockId: 'b0', actionId: 'go', value: 'v1', text: 'Go' });
    expect(findButton(blocks, 'acts', 'go')?.value).toBe('v2');
    expect(findButton(blocks, 'acts', 'stop')).toBeUndefined();
  });
});
