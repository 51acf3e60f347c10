/**
 * What the sandbox page needs from the stand-ins beyond what the bot's tests use: change events,
 * the message object of interaction payloads, ephemerals replaced by a click on them, read access
 * to HBR's scripted instances and tasks, and the 'slow' instance state.
 */
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { type HbrStandIn, makeInstanceId, startHbrStandIn } from '../../sandbox/hbr-api-server.js';
import { type SlackStandIn, type SlackStandInEvent, startSlackStandIn } from '../../sandbox/slack-api-server.js';
import { blockActionPayload } from '../../sandbox/slack-requests.js';
import { accessKeyCredential, HbrClient } from '../../src/hbr/client.js';

const TOKEN = 'xoxb-stand-in-events';
const CHANNEL = 'C0EVENTS01';
const AK = 'LTAIstandInEvents';
const SECRET = 'stand-in-events-secret';

let slack: SlackStandIn | undefined;
let hbr: HbrStandIn | undefined;

afterEach(async () => {
  await slack?.close();
  await hbr?.close();
  slack = hbr = undefined;
});

function section(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

async function postJson(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

describe('Slack stand-in, for live views', () => {
  it('reports every post, edit, deletion and ephemeral to subscribers, as it is after the change', async () => {
    slack = await startSlackStandIn({ botToken: TOKEN });
    const events: Array<Record<string, unknown>> = [];
    const seen = (event: SlackStandInEvent) =>
      event.type === 'message'
        ? {
            type: 'message',
            ts: event.message.ts,
            text: event.message.updates.at(-1)?.text ?? event.message.text,
            deleted: event.message.deleted,
          }
        : {
            type: 'ephemeral',
            user: event.ephemeral.user,
            text: event.ephemeral.text,
            deleted: event.ephemeral.deleted,
          };
    // Events carry the live objects: record what they held when reported.
    const unsubscribe = slack.subscribe((event) => events.push(seen(event)));
    slack.subscribe(() => {
      throw new Error('a broken listener changes nothing');
    });
    const web = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });

    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'pending', blocks: [section('pending')] });
    await web.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'approved' });
    await web.chat.postEphemeral({ channel: CHANNEL, user: 'U1', text: 'only you' });
    const url = slack.responseUrl({ channel: CHANNEL, user: 'U2', messageTs: posted.ts! });
    expect(await postJson(url, { replace_original: true, text: 'replaced' })).toBe(200);
    expect(await postJson(url, { delete_original: true })).toBe(200);
    unsubscribe();
    await web.chat.postMessage({ channel: CHANNEL, text: 'unseen' });

    expect(events).toEqual([
      { type: 'message', ts: posted.ts, text: 'pending', deleted: false },
      { type: 'message', ts: posted.ts, text: 'approved', deleted: false },
      { type: 'ephemeral', user: 'U1', text: 'only you', deleted: false },
      { type: 'message', ts: posted.ts, text: 'replaced', deleted: false },
      { type: 'message', ts: posted.ts, text: 'replaced', deleted: true },
    ]);
    expect(slack.messages()[0]!.at).toEqual(expect.any(Number));
  });

  it('gives ephemerals a ts, and replaces or deletes one through a click on it', async () => {
    slack = await startSlackStandIn({ botToken: TOKEN });
    const web = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const { message_ts: ts } = await web.chat.postEphemeral({
      channel: CHANNEL,
      user: 'U1',
      text: 'pick one',
      blocks: [section('pick one')],
    });
    expect(slack.ephemerals('U1')).toEqual([expect.objectContaining({ ts, deleted: false })]);

    // Another user's click URL cannot touch U1's ephemeral.
    const foreign = slack.responseUrl({ channel: CHANNEL, user: 'U2', ephemeralTs: ts! });
    await postJson(foreign, { replace_original: true, text: 'hijacked' });
    expect(slack.ephemerals('U1')[0]!.text).toBe('pick one');

    const url = slack.responseUrl({ channel: CHANNEL, user: 'U1', ephemeralTs: ts! });
    await postJson(url, { replace_original: true, text: 'picked', blocks: [section('picked')] });
    expect(slack.ephemerals('U1')).toEqual([
      expect.objectContaining({ ts, text: 'picked', blocks: [section('picked')], replaceOriginal: true }),
    ]);
    await postJson(url, { delete_original: true });
    expect(slack.ephemerals('U1')).toEqual([expect.objectContaining({ ts, deleted: true })]);
  });

  it('serves the message object of an interaction payload with the current content', async () => {
    slack = await startSlackStandIn({ botToken: TOKEN, botUserId: 'U0BOT' });
    const web = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const posted = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'v1',
      blocks: [section('v1')],
      thread_ts: '1700000000.000001',
    });
    await web.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'v2', blocks: [section('v2')] });
    expect(slack.messagePayload(CHANNEL, posted.ts!)).toMatchObject({
      ts: posted.ts,
      text: 'v2',
      blocks: [section('v2')],
      user: 'U0BOT',
      thread_ts: '1700000000.000001',
    });
    expect(slack.messagePayload(CHANNEL, '1.2')).toBeUndefined();

    const payload = blockActionPayload({
      action_id: 'a',
      value: 'v',
      user_id: 'U1',
      user_name: 'dana',
      channel_id: CHANNEL,
      message_ts: '1.2',
      response_url: 'http://x',
      is_ephemeral: true,
    });
    expect(payload).toMatchObject({ user: { id: 'U1', name: 'dana' }, container: { is_ephemeral: true } });
    expect(payload).not.toHaveProperty('message');
  });
});

describe('HBR stand-in, for the instance panel', () => {
  function client(): HbrClient {
    return new HbrClient({
      defaultRegion: 'cn-hangzhou',
      endpoint: hbr!.url,
      credential: accessKeyCredential(AK, SECRET),
      retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 },
    });
  }

  it('lists scripted instances and tasks, and reports every change', async () => {
    const [a, b] = [makeInstanceId(1), makeInstanceId(2)];
    hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET, instances: { [a]: 'stopped' } });
    let changes = 0;
    hbr.subscribe(() => {
      changes += 1;
    });
    hbr.setInstance(b, 'install-fails');
    expect(hbr.instances()).toEqual([
      { instanceId: a, state: 'stopped' },
      { instanceId: b, state: 'install-fails' },
    ]);
    const [submission] = await client().installBackupClients([a, b]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hbr.tasks()).toEqual([
      { taskId: submission!.taskId, kind: 'install', instanceIds: [b], polls: 0, progress: 0, outcome: null },
    ]);
    expect(changes).toBe(2);
  });

  it("keeps a task holding a 'slow' instance running for slowExtraPolls more polls", async () => {
    const [fast, slow] = [makeInstanceId(3), makeInstanceId(4)];
    hbr = await startHbrStandIn({
      accessKeyId: AK,
      accessKeySecret: SECRET,
      pollsToComplete: 2,
      slowExtraPolls: 3,
      instances: { [slow]: 'slow' },
    });
    const [quick] = await client().installBackupClients([fast]);
    const [lagging] = await client().installBackupClients([fast, slow]);
    const phases = async (taskId: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const report = await client().describeTask(taskId);
        seen.push(`${report.phase}:${report.progress}`);
      }
      return seen;
    };
    expect(await phases(quick!.taskId!)).toEqual([
      'running:50',
      'completed:100',
      'completed:100',
      'completed:100',
      'completed:100',
    ]);
    expect(await phases(lagging!.taskId!)).toEqual([
      'running:20',
      'running:40',
      'running:60',
      'running:80',
      'completed:100',
    ]);
    expect(
      hbr
        .clients()
        .map((c) => c.instanceId)
        .sort(),
    ).toEqual([fast, slow].sort());
  });
});
