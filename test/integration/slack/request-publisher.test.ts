/**
 * A thread reply Slack accepted in the instant before the process died is in Slack but not in the
 * record. The publisher must find it in the thread instead of posting it twice — and when Slack will
 * not show the thread, post anyway (a copy beats no reply) and say so in the log. A decision edit
 * whose response_url fails is made with chat.update, and the log never quotes that URL.
 */
import { randomBytes } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../sandbox/slack-api-server.js';
import { type HbrRequest, newRequest } from '../../../src/domain/request.js';
import { EditBudget } from '../../../src/slack/edit-budget.js';
import { MESSAGE_EVENT_TYPES, RequestPublisher } from '../../../src/slack/request-publisher.js';
import { SlackTokenCheck } from '../../../src/slack/token-check.js';
import { RequestStore } from '../../../src/store/requests.js';
import { REDIS_URL } from '../../support/bot-harness.js';

const TOKEN = 'xoxb-publisher-test';
/** Another app in the workspace, which can post messages with any metadata it likes. */
const OTHER_APP = { token: 'xoxb-other-app', botId: 'B0OTHERAPP', appId: 'A0OTHERAPP', botUserId: 'U0OTHERBOT' };
const CHANNEL = 'C0PUBLISH1';
const prefix = `hbrpublisher-${randomBytes(5).toString('hex')}`;
const redis = new Redis(REDIS_URL);
const store = new RequestStore(redis, prefix);
const warnings: string[] = [];
let slack: SlackStandIn;
let publisher: RequestPublisher;
let counter = 0;

function publisherDeps(client: webApi.WebClient, logger: pino.Logger) {
  return {
    client,
    store,
    approval: { approvers: ['U0APPROVER'], allowSelfApproval: false },
    approvalChannel: null,
    ownIdentity: () => new SlackTokenCheck(client, logger).ownIdentity(),
    logger,
    now: Date.now,
  };
}

beforeAll(async () => {
  slack = await startSlackStandIn({ botToken: TOKEN, otherApps: [OTHER_APP] });
  const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  publisher = new RequestPublisher({
    ...publisherDeps(client, logger),
    progressEdits: new EditBudget(redis, prefix, 40),
  });
});

beforeEach(() => {
  warnings.length = 0;
});

afterAll(async () => {
  await slack.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** A finished request whose request message is posted, as the store holds it. */
async function finishedRequest(): Promise<HbrRequest> {
  counter += 1;
  const id = `rpublish${String(counter).padStart(5, '0')}`;
  const created = newRequest({
    id,
    operation: 'install',
    requesterId: 'U0REQUESTER',
    originChannel: CHANNEL,
    region: 'cn-hangzhou',
    instanceIds: ['i-bp1publisherpublish1'],
    now: Date.now(),
    approvalTtlMs: 60_000,
  });
  await store.create(created);
  const posted = slack.messages().length;
  await publisher.postRequest(created);
  expect(slack.messages()).toHaveLength(posted + 1);
  await store.decide(id, { outcome: 'rejected', by: 'U0APPROVER', at: Date.now() });
  const request = await store.get(id);
  if (request === null) throw new Error('request vanished');
  return request;
}

/** What a dead attempt left behind: the mark, and (if it got that far) the reply Slack accepted. */
async function deadAttempt(
  request: HbrRequest,
  reply: 'progress' | 'final',
  reachedSlack: boolean,
): Promise<string | null> {
  expect(await store.markPosting(request.id, reply, Date.now())).toBe(false);
  if (!reachedSlack || request.message === null) return null;
  const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl });
  const posted = await client.chat.postMessage({
    channel: request.message.channel,
    thread_ts: request.message.ts,
    text: 'the reply the dead process posted',
    metadata: { event_type: MESSAGE_EVENT_TYPES[reply], event_payload: { request_id: request.id } },
  });
  return posted.ts ?? null;
}

const repliesOf = (request: HbrRequest) => slack.threadReplies(CHANNEL, request.message?.ts ?? '');

describe('thread replies after a crash', () => {
  it('posts the final reply with metadata naming the request, and records it', async () => {
    const request = await finishedRequest();
    await publisher.postFinal(request);
    const [reply] = repliesOf(request);
    expect(reply?.metadata).toEqual({ event_type: 'hbr_bot_final_reply', event_payload: { request_id: request.id } });
    expect((await store.get(request.id))?.finalTs).toBe(reply?.ts);
    // A first attempt has nothing to look for.
    expect(slack.callsOf('conversations.replies').filter((c) => c.args.ts === request.message?.ts)).toHaveLength(0);
  });

  it('adopts a final reply Slack accepted before the crash instead of posting it again', async () => {
    const request = await finishedRequest();
    const earlier = await deadAttempt(request, 'final', true);
    await publisher.postFinal(request);
    expect(repliesOf(request)).toHaveLength(1);
    expect((await store.get(request.id))?.finalTs).toBe(earlier);
  });

  it('finds it past other people’s replies and other requests’ replies, over several pages', async () => {
    const request = await finishedRequest();
    const other = await finishedRequest();
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl });
    for (let i = 0; i < 450; i += 1) {
      await client.chat.postMessage({ channel: CHANNEL, thread_ts: request.message?.ts ?? '', text: `chatter ${i}` });
    }
    // Same event type, another request: not this request's reply.
    await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: request.message?.ts ?? '',
      text: 'a reply about another request',
      metadata: { event_type: MESSAGE_EVENT_TYPES.final, event_payload: { request_id: other.id } },
    });
    const earlier = await deadAttempt(request, 'final', true);
    await publisher.postFinal(request);
    expect((await store.get(request.id))?.finalTs).toBe(earlier);
    expect(repliesOf(request)).toHaveLength(452);
    expect(slack.callsOf('conversations.replies').filter((c) => c.args.ts === request.message?.ts).length).toBe(3);
  });

  it("never adopts another app's message, however its metadata names the request", async () => {
    const request = await finishedRequest();
    await deadAttempt(request, 'final', false);
    const other = new webApi.WebClient(OTHER_APP.token, { slackApiUrl: slack.apiUrl });
    const forged = await other.chat.postMessage({
      channel: CHANNEL,
      thread_ts: request.message?.ts ?? '',
      text: ':white_check_mark: Installed on all — nothing to check',
      metadata: { event_type: MESSAGE_EVENT_TYPES.final, event_payload: { request_id: request.id } },
    });
    await publisher.postFinal(request);
    const replies = repliesOf(request);
    expect(replies).toHaveLength(2);
    const recorded = (await store.get(request.id))?.finalTs;
    expect(recorded).not.toBe(forged.ts);
    expect(replies.find((r) => r.ts === recorded)?.postedBy.appId).toBe('A0HBRBOT01');

    // Recovery at start: a request message only another app posted is not the bot's either.
    const lost = { ...request, id: request.id.replace(/.$/, 'z'), message: null };
    await store.create({ ...lost, status: 'pending' });
    await store.markPosting(lost.id, 'request', Date.now());
    await other.chat.postMessage({
      channel: CHANNEL,
      text: 'a request message, or so its metadata says',
      metadata: { event_type: MESSAGE_EVENT_TYPES.request, event_payload: { request_id: lost.id } },
    });
    expect(await publisher.recoverRequestMessage(lost)).toBeNull();
  });

  it('posts the final reply when the dead attempt never reached Slack', async () => {
    const request = await finishedRequest();
    await deadAttempt(request, 'final', false);
    await publisher.postFinal(request);
    const replies = repliesOf(request);
    expect(replies).toHaveLength(1);
    expect((await store.get(request.id))?.finalTs).toBe(replies[0]?.ts);
  });

  it('posts anyway, with a warning, when Slack will not show the thread', async () => {
    const request = await finishedRequest();
    await deadAttempt(request, 'final', true);
    slack.failNext('conversations.replies', { error: 'not_in_channel' });
    await publisher.postFinal(request);
    expect(repliesOf(request)).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(
      /not_in_channel.*posting the reply without checking|posting the reply without checking.*not_in_channel/,
    );
    expect(warnings.join('\n')).toContain(request.id);
  });

  it('adopts a progress reply Slack accepted before the crash and brings its content up to date', async () => {
    const request = await finishedRequest();
    const earlier = await deadAttempt(request, 'progress', true);
    await publisher.syncProgress(request);
    const replies = repliesOf(request);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.updates).toHaveLength(1);
    expect(replies[0]?.updates[0]?.text).not.toBe('the reply the dead process posted');
    expect((await store.get(request.id))?.progressTs).toBe(earlier);
  });
});

describe('the decision edit', () => {
  it('falls back to chat.update when the response_url cannot be reached, and logs the reason without the URL', async () => {
    const request = await finishedRequest();
    const url = 'https://hooks.slack.com/actions/T0/1/capability-secret';
    const sent: unknown[] = [];
    await publisher.editRequestMessageViaResponseUrl(request, async (message) => {
      sent.push(message);
      throw new TypeError(`fetch failed: ${url}`, {
        cause: Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' }),
      });
    });
    const edits = slack.callsOf('chat.update').filter((c) => c.args.ts === request.message?.ts);
    expect(edits).toHaveLength(1);
    expect(sent).toEqual([{ text: edits[0]!.args.text, blocks: edits[0]!.args.blocks }]);
    const [warning] = warnings.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warning).toMatchObject({ requestId: request.id, reason: 'ECONNREFUSED' });
    expect(warnings.join('\n')).not.toContain('capability-secret');
  });
});

describe('the progress-edit budget', () => {
  it('skips a poll’s edit once the workspace budget is spent, until it refills; other edits always go', async () => {
    let clock = Date.now();
    const budget = new EditBudget(redis, `${prefix}-budget`, 8, () => clock); // bursts of 2
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const budgeted = new RequestPublisher({
      ...publisherDeps(client, pino({ level: 'silent' })),
      progressEdits: budget,
    });
    const request = await finishedRequest();
    await budgeted.syncProgress(request); // the post itself never waits for the budget
    const reply = () => repliesOf(request)[0];
    // Each edit needs new content: another instance count changes the digest.
    const edited = async (version: number, options: { budgeted?: boolean }) => {
      const current = await store.get(request.id);
      if (current === null) throw new Error('request vanished');
      const instanceIds = Array.from(
        { length: version + 1 },
        (_, i) => `i-bp1budgetbudget${String(i).padStart(4, '0')}`,
      );
      await budgeted.syncProgress({ ...current, instanceIds }, options);
      return reply()?.updates.length ?? 0;
    };
    expect(await edited(1, { budgeted: true })).toBe(1);
    expect(await edited(2, { budgeted: true })).toBe(2);
    expect(await edited(3, { budgeted: true })).toBe(2); // spent: skipped, the next poll tries again
    expect(await edited(4, {})).toBe(3); // an edit at the request's end does not wait
    clock += 7_500; // 8 a minute: one more token
    expect(await edited(5, { budgeted: true })).toBe(4);
    expect(await edited(6, { budgeted: true })).toBe(4);
  });

  it('is shared: two budgets on one Redis key hand out the tokens once', async () => {
    const clock = () => 1_000_000;
    const [a, b] = [
      new EditBudget(redis, `${prefix}-shared`, 10, clock),
      new EditBudget(redis, `${prefix}-shared`, 10, clock),
    ];
    const taken = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).take()));
    expect(taken.filter(Boolean)).toHaveLength(3); // a burst: a quarter of a minute's 10, rounded up
  });
});
