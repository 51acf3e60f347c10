/**
 * Slack misbehaving: 429s with Retry-After on chat.postMessage and chat.update are waited out and
 * the result still arrives once; 5xx answers are retried by the Web API client (and, past its
 * retries, by the job); `ok:false` errors are explained to the user or logged with the request id;
 * a progress edit Slack keeps refusing never costs the final reply; a decision the click's
 * response_url refuses is shown with chat.update.
 */
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostedMessage } from '../../sandbox/slack-api-server.js';
import { QUEUE_NAMES } from '../../src/jobs/queues.js';
import { SLACK_RETRY_POLICY } from '../../src/slack/app.js';
import { APPROVER, type Harness, type HarnessOptions, REQUESTER, startHarness } from '../support/bot-harness.js';
import { type SlackFaultProxy, startSlackFaultProxy } from '../support/slack-fault-proxy.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
let proxy: SlackFaultProxy | undefined;
afterEach(async () => {
  await harness?.close();
  await proxy?.close();
  harness = undefined;
  proxy = undefined;
});

let counter = 0;
const nextId = () => {
  counter += 1;
  return `i-bp1slackfaultfau${String(counter).padStart(4, '0')}`;
};

/** A harness whose Slack Web API goes through a 5xx-injecting proxy. */
async function startWithProxy(options: HarnessOptions = {}): Promise<{ h: Harness; p: SlackFaultProxy }> {
  harness = await startHarness({
    ...options,
    slackApiUrl: async (standIn) => {
      proxy = await startSlackFaultProxy(standIn.apiUrl);
      return proxy.apiUrl;
    },
  });
  return { h: harness, p: proxy! };
}

async function requestAndApprove(h: Harness): Promise<{ message: PostedMessage; requestId: string }> {
  const before = h.requestMessages().length;
  await h.command(nextId());
  const posted = await h.waitForRequest(before + 1);
  await h.click('approve', posted.requestId, APPROVER);
  return posted;
}

const finalsOf = (h: Harness, message: PostedMessage) =>
  h.threadReplies(message).filter((r) => r.text.includes(`<@${REQUESTER}>`));
const progressOf = (h: Harness, message: PostedMessage) =>
  h.threadReplies(message).find((r) => !r.text.includes(`<@${REQUESTER}>`));

async function finishedOnce(h: Harness, message: PostedMessage, timeoutMs = 15_000): Promise<PostedMessage> {
  await waitFor(() => /Installed on 1 of 1 instance/.test(h.textOf(message)) || undefined, {
    message: 'request message shows the result',
    timeoutMs,
  });
  const [final] = await waitFor(() => (finalsOf(h, message).length > 0 ? finalsOf(h, message) : undefined), {
    message: 'final reply',
    timeoutMs,
  });
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(finalsOf(h, message)).toHaveLength(1);
  return final!;
}

describe('the Web API retry policy', () => {
  it('is set deliberately: a minute of retries for 5xx, and 429s always waited out', () => {
    expect(SLACK_RETRY_POLICY).toMatchObject({ retries: 5, factor: 2, maxTimeout: 20_000 });
    // Worst case of the retries: 1 + 2 + 4 + 8 + 16 s, well below one poll interval's worth of jobs piling up.
    let total = 0;
    for (let attempt = 0; attempt < (SLACK_RETRY_POLICY.retries ?? 0); attempt += 1) {
      total += Math.min(
        (SLACK_RETRY_POLICY.minTimeout ?? 0) * (SLACK_RETRY_POLICY.factor ?? 1) ** attempt,
        SLACK_RETRY_POLICY.maxTimeout ?? Infinity,
      );
    }
    expect(total).toBeLessThanOrEqual(60_000);
  });
});

describe('Slack faults, end to end', () => {
  it('waits out a 429 on the final chat.postMessage and posts the final reply once, after Retry-After', async () => {
    harness = await startHarness({ hbr: { pollsToComplete: 2 } });
    const h = harness;
    const { message } = await requestAndApprove(h);
    await waitFor(() => progressOf(h, message), { message: 'progress reply' });
    h.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const limitedAt = Date.now();
    const final = await finishedOnce(h, message);
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429)).toHaveLength(1);
    expect(final.at - limitedAt).toBeGreaterThanOrEqual(950);
  });

  it('waits out 429s on chat.update (progress and request message) and ends with every edit made', async () => {
    harness = await startHarness({ hbr: { pollsToComplete: 3 } });
    const h = harness;
    const { message } = await requestAndApprove(h);
    await waitFor(() => progressOf(h, message), { message: 'progress reply' });
    h.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 1 });
    h.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 1 });
    await finishedOnce(h, message);
    expect(h.slack.calls.filter((c) => c.method === 'chat.update' && c.status === 429)).toHaveLength(2);
    expect(h.textOf(progressOf(h, message)!)).toMatch(/Installed on 1 of 1 instance/);
  });

  it('retries 5xx answers: within the client for a few, through the job for more, and posts the final reply once', async () => {
    const { h, p } = await startWithProxy({ hbr: { pollsToComplete: 2 } });
    const first = await requestAndApprove(h);
    await waitFor(() => progressOf(h, first.message), { message: 'progress reply' });
    p.failNext('chat.postMessage', 503, 2); // within the client's retries (2 in tests, 5 in production)
    p.failNext('chat.update', 502, 2);
    await finishedOnce(h, first.message);

    const second = await requestAndApprove(h);
    await waitFor(() => progressOf(h, second.message), { message: 'second progress reply' });
    p.failNext('chat.postMessage', 500, 4); // more than the client retries: the poll job is retried
    await finishedOnce(h, second.message);
    expect(p.served.filter((s) => s.method === 'chat.postMessage')).toHaveLength(6);
    expect(p.served.filter((s) => s.method === 'chat.update')).toHaveLength(2);
  });

  it("shows the decision with chat.update when the click's response_url fails, and logs why without the URL", async () => {
    harness = await startHarness();
    const h = harness;
    await h.command(nextId());
    const { message, requestId } = await h.waitForRequest();
    await waitFor(() => message.updates.length === 1 && h.repliesTo(REQUESTER).length === 1, {
      message: 'pre-flight edit and the requester told',
    });
    h.slack.failNext('response_url', { error: 'expired_url' });
    await h.click('reject', requestId, APPROVER);
    await waitFor(() => /Rejected by/.test(h.textOf(message)) || undefined, {
      message: 'request message shows the rejection',
    });

    const [refused] = h.slack.responseUrlPosts.filter((p) => p.body.replace_original === true);
    expect(refused?.status).toBe(400);
    const edits = h.slack.callsOf('chat.update').filter((c) => c.args.ts === message.ts);
    expect(edits).toHaveLength(2); // the pre-flight details, then the decision
    expect(edits[1]!.args.text).toBe(refused!.body.text);
    expect(edits[1]!.response.ok).toBe(true);
    const warned = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.requestId === requestId && l.level === 40);
    expect(warned).toEqual([
      expect.objectContaining({ reason: 'HTTP 400', msg: expect.stringMatching(/response_url.*chat\.update/) }),
    ]);
    expect(h.logs.join('')).not.toContain(refused!.id);
  });

  it('explains not_in_channel and channel_not_found when posting a request, and logs them with the request id', async () => {
    harness = await startHarness();
    const h = harness;
    for (const [error, words] of [
      ['not_in_channel', /not a member of that channel/],
      ['channel_not_found', /cannot see that channel/],
    ] as const) {
      h.slack.failNext('chat.postMessage', { error });
      const before = h.slack.ephemerals(REQUESTER).length;
      expect((await h.command(nextId())).status).toBe(200);
      const answer = await waitFor(() => h.slack.ephemerals(REQUESTER)[before], { message: `${error} explained` });
      expect(JSON.stringify(answer)).toMatch(words);
      expect(JSON.stringify(answer)).toMatch(/Nothing was installed/);
      const logged = h.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((l) => JSON.stringify(l).includes(error) && typeof l.requestId === 'string');
      expect(logged, `a log line with the request id for ${error}`).toBeDefined();
    }
    expect(h.hbr.calls).toHaveLength(0);
  });

  it('delivers the final reply after a one-off channel_not_found; a lasting one is logged with the request id and delivered by the sweep once Slack takes it', async () => {
    harness = await startHarness({ env: { HBR_SWEEP_INTERVAL_MS: '300' } });
    const h = harness;
    const once = await requestAndApprove(h);
    await waitFor(() => progressOf(h, once.message), { message: 'progress reply' });
    h.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await finishedOnce(h, once.message);

    // The bot was removed from the channel for good: every attempt fails, and the log says which request.
    const lasting = await requestAndApprove(h);
    await waitFor(() => progressOf(h, lasting.message), { message: 'second progress reply' });
    for (let i = 0; i < 40; i += 1) h.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    const logged = await waitFor(
      () =>
        h.logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find(
            (l) =>
              l.msg === 'job failed' &&
              l.requestId === lasting.requestId &&
              JSON.stringify(l.err).includes('channel_not_found'),
          ),
      { message: 'the failed final reply logged with the request id', timeoutMs: 10_000 },
    );
    expect(logged.level).toBe(50);
    const polls = new Queue(QUEUE_NAMES.poll, { connection: h.redis, prefix: h.config.queuePrefix });
    await waitFor(async () => (await (await polls.getJob(`poll-${lasting.requestId}`))?.isFailed()) || undefined, {
      message: 'the poll job gave up',
      timeoutMs: 15_000,
    });
    await polls.close();
    expect(finalsOf(h, lasting.message)).toHaveLength(0);

    // The bot is back in the channel: no job is left to post the reply, the sweep does, once.
    h.slack.clearFailures('chat.postMessage');
    await waitFor(() => finalsOf(h, lasting.message)[0], {
      message: 'the final reply, posted by the sweep',
      timeoutMs: 10_000,
    });
    await waitFor(() => /Installed on 1 of 1 instance/.test(h.textOf(lasting.message)) || undefined, {
      message: 'request message updated by the sweep',
    });
    // Recorded as posted, so no later sweep picks it up again.
    const unreported = `${h.config.queuePrefix}:requests:unreported`;
    await waitFor(async () => (await h.redis.zscore(unreported, lasting.requestId)) === null || undefined, {
      message: 'the request no longer awaits its final reply',
    });
    expect(finalsOf(h, lasting.message)).toHaveLength(1);
    expect(h.logs.some((line) => line.includes('posted final replies the jobs had given up on'))).toBe(true);
  });

  it('never loses the final reply to a progress edit Slack keeps refusing', async () => {
    const { h, p } = await startWithProxy({ hbr: { pollsToComplete: 10 } });
    const { message } = await requestAndApprove(h);
    await waitFor(() => progressOf(h, message), { message: 'progress reply' });
    // Every chat.update fails while the task runs: ten ticks, more than the poll job has attempts.
    const taskRunning = () => h.hbr.tasks().some((t) => t.outcome === null);
    p.intercept = (method) => (method === 'chat.update' && taskRunning() ? 'drop' : 'forward');
    const final = await waitFor(() => finalsOf(h, message)[0], {
      message: 'final reply despite the failing edits',
      timeoutMs: 15_000,
    });
    expect(h.textOf(final)).toMatch(/Installed on 1 of 1 instance/);
    expect(h.hbr.tasks()[0]?.polls).toBeGreaterThanOrEqual(10);
    expect(h.logs.filter((line) => line.includes('could not update the progress reply')).length).toBeGreaterThanOrEqual(
      5,
    );
    await waitFor(() => /Installed on 1 of 1 instance/.test(h.textOf(message)) || undefined, {
      message: 'request message updated in the end',
    });
    expect(finalsOf(h, message)).toHaveLength(1);
  });
});
