/**
 * The bot as a real process: graceful SIGTERM mid-poll with the job resumed by the next process,
 * two processes sharing one Redis (a single node, and a 3-master Redis Cluster of the test's own),
 * and no secret in any log line or Slack message.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HbrStandIn, type HbrStandInOptions, startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { type PostedMessage, type SlackStandIn, startSlackStandIn } from '../../../sandbox/slack-api-server.js';
import { sendBlockAction, sendSlashCommand } from '../../../sandbox/slack-requests.js';
import { APPROVER, CHANNEL, REQUESTER, SECOND_APPROVER } from '../../support/bot-harness.js';
import { type BotProcess, spawnBot } from '../../support/bot-process.js';
import { clusterRedis, connectTo, deleteKeysUnder, singleRedis, type TestRedis } from '../../support/redis-target.js';
import { type RedisClusterSet, startRedisCluster } from '../../support/redis-topologies.js';
import { waitFor } from '../../support/wait-for.js';

// Real-looking secrets: none of them may ever show up in a log line or a Slack message.
const BOT_TOKEN = `xoxb-${'7'.repeat(12)}-${'4'.repeat(13)}-Zq8vR2mXc9LpT4sWn6YbK1aE`;
const SIGNING_SECRET = '8f14e45fceea167a5a36dedd4bea2543';
const ACCESS_KEY_ID = 'LTAI5tQx9mZp3Kd8RvW2nHcE';
const ACCESS_KEY_SECRET = 'q3Zr8VbN2mXk7LpT5sWd9YcF1aGhJe';
const SECRETS = [BOT_TOKEN, SIGNING_SECRET, ACCESS_KEY_SECRET];

interface World {
  slack: SlackStandIn;
  hbr: HbrStandIn;
  prefix: string;
  redis: TestRedis;
  bots: BotProcess[];
  env: Record<string, string>;
}

let world: World | undefined;

async function startWorld(
  hbrOptions: Omit<HbrStandInOptions, 'accessKeyId' | 'accessKeySecret'> = {},
  redis: TestRedis = singleRedis(),
): Promise<World> {
  const slack = await startSlackStandIn({ botToken: BOT_TOKEN });
  const hbr = await startHbrStandIn({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...hbrOptions });
  const prefix = redis.prefix(`hbrproc-${randomBytes(5).toString('hex')}`);
  const env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    ...redis.env,
    HBR_QUEUE_PREFIX: prefix,
    HBR_ENDPOINT: hbr.url,
    HBR_APPROVERS: `${APPROVER},${SECOND_APPROVER}`,
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    HBR_POLL_FIRST_DELAY_MS: '400',
    HBR_POLL_INTERVAL_MS: '400',
    HBR_TASK_TIMEOUT_MS: '20000',
    // These tests are about processes, not the ECS look-up (covered in test/integration/preflight.test.ts).
    HBR_PREFLIGHT: 'false',
    ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    LOG_LEVEL: 'debug',
    OPS_PORT: '0',
  };
  return { slack, hbr, prefix, redis, bots: [], env };
}

async function spawn(w: World): Promise<BotProcess> {
  const bot = await spawnBot(w.env);
  w.bots.push(bot);
  return bot;
}

afterEach(async () => {
  if (world === undefined) return;
  await Promise.all(world.bots.map((bot) => bot.stop('SIGKILL')));
  const redis = connectTo(world.redis);
  await deleteKeysUnder(redis, world.prefix);
  await redis.quit();
  await Promise.all([world.slack.close(), world.hbr.close()]);
  world = undefined;
});

function requestMessages(w: World): PostedMessage[] {
  return w.slack.messages().filter((m) => m.threadTs === null);
}

function requestIdOf(message: PostedMessage): string {
  const match = /\br[a-z2-7]{12}\b/.exec(JSON.stringify(message.blocks));
  if (match === null) throw new Error('no request id in the message');
  return match[0];
}

async function request(w: World, bot: BotProcess, instanceId: string): Promise<PostedMessage> {
  const before = requestMessages(w).length;
  const response = await sendSlashCommand(
    `${bot.url}/slack/events`,
    {
      text: instanceId,
      user_id: REQUESTER,
      channel_id: CHANNEL,
      response_url: w.slack.responseUrl({ channel: CHANNEL, user: REQUESTER }),
    },
    { signingSecret: SIGNING_SECRET },
  );
  expect(response.status).toBe(200);
  return waitFor(() => requestMessages(w)[before], { message: 'request posted' }).catch((error: unknown) => {
    console.log(bot.lines.slice(-15).join('\n'));
    throw error;
  });
}

function approve(w: World, bot: BotProcess, message: PostedMessage, user = APPROVER) {
  return sendBlockAction(
    `${bot.url}/slack/events`,
    {
      action_id: 'hbr_approve',
      value: requestIdOf(message),
      user_id: user,
      channel_id: message.channel,
      message_ts: message.ts,
      response_url: w.slack.responseUrl({ channel: message.channel, user, messageTs: message.ts }),
    },
    { signingSecret: SIGNING_SECRET },
  );
}

function finalReplies(w: World, message: PostedMessage): PostedMessage[] {
  return w.slack.threadReplies(message.channel, message.ts).filter((r) => r.text.includes(`<@${REQUESTER}>`));
}

/** Two processes on one Redis, six requests each approved on both at once. */
async function twoProcesses(redis: TestRedis): Promise<void> {
  world = await startWorld({ pollsToComplete: 3 }, redis);
  const w = world;
  const [a, b] = [await spawn(w), await spawn(w)];
  const messages: PostedMessage[] = [];
  for (let i = 0; i < 6; i += 1)
    messages.push(await request(w, i % 2 === 0 ? a! : b!, `i-bp1scalescalescale${String(i).padStart(2, '0')}`));
  // Every request is approved on both processes at once.
  await Promise.all(messages.flatMap((m) => [approve(w, a!, m, APPROVER), approve(w, b!, m, SECOND_APPROVER)]));
  for (const message of messages) {
    await waitFor(() => finalReplies(w, message)[0], { message: 'final reply', timeoutMs: 15_000 });
  }
  expect(w.hbr.callsOf('InstallBackupClients')).toHaveLength(6);
  for (const message of messages) expect(finalReplies(w, message)).toHaveLength(1);
  // Polls of one task never overlap: a task completes after 3 polls, so 3 per task in all.
  expect(w.hbr.callsOf('DescribeTask')).toHaveLength(6 * 3);
}

describe('the bot as a process', () => {
  it('on SIGTERM mid-poll exits 0, and the next process resumes the poll and reports once', async () => {
    world = await startWorld({ pollsToComplete: 4 });
    const w = world;
    const first = await spawn(w);
    const message = await request(w, first, 'i-bp1procprocprocproc01');
    await approve(w, first, message);
    await waitFor(() => w.hbr.callsOf('DescribeTask').length >= 1 || undefined, {
      message: 'first poll',
      timeoutMs: 10_000,
    });

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.lines.some((line) => line.includes('hbr-bot stopped'))).toBe(true);
    const pollsBefore = w.hbr.callsOf('DescribeTask').length;

    await spawn(w);
    await waitFor(() => finalReplies(w, message)[0], { message: 'final reply after restart', timeoutMs: 15_000 });
    expect(w.hbr.callsOf('DescribeTask').length).toBeGreaterThan(pollsBefore);
    expect(w.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    expect(finalReplies(w, message)).toHaveLength(1);
  });

  it('two processes on one Redis handle each request, install and poll once', async () => {
    await twoProcesses(singleRedis());
  });

  it('never writes a secret to a log line or a Slack message, errors included', async () => {
    world = await startWorld();
    const w = world;
    const bot = await spawn(w);
    w.hbr.injectFaults('InstallBackupClients', { kind: 'forbidden-ram' });
    const invalid = await sendSlashCommand(
      `${bot.url}/slack/events`,
      {
        text: 'i-bad web-01',
        user_id: REQUESTER,
        channel_id: CHANNEL,
        response_url: w.slack.responseUrl({ channel: CHANNEL, user: REQUESTER }),
      },
      { signingSecret: SIGNING_SECRET },
    );
    await sendSlashCommand(
      `${bot.url}/slack/events`,
      { text: 'i-bp1secretsecretsec01', user_id: REQUESTER, channel_id: CHANNEL, response_url: w.slack.responseUrl() },
      { signingSecret: 'forged' },
    );
    const failing = await request(w, bot, 'i-bp1secretsecretsec02');
    await approve(w, bot, failing);
    await waitFor(() => finalReplies(w, failing)[0], { message: 'failure reported' });
    w.slack.failNext('chat.postMessage', { error: 'invalid_auth' });
    await sendSlashCommand(
      `${bot.url}/slack/events`,
      {
        text: 'i-bp1secretsecretsec03',
        user_id: REQUESTER,
        channel_id: CHANNEL,
        response_url: w.slack.responseUrl({ channel: CHANNEL, user: REQUESTER }),
      },
      { signingSecret: SIGNING_SECRET },
    );
    await waitFor(() => w.slack.ephemerals(REQUESTER).find((e) => /token is invalid/.test(JSON.stringify(e))), {
      message: 'post failure explained',
    });
    const metrics = await (await fetch(`${bot.opsUrl}/metrics`)).text();
    expect(metrics).toContain('hbr_bot_commands_total');
    await bot.stop('SIGTERM');

    const slackText = JSON.stringify([
      w.slack.calls.map((c) => c.args),
      w.slack.responseUrlPosts.map((p) => p.body),
      invalid.body,
    ]);
    const everything = [bot.lines.join('\n'), slackText, metrics];
    for (const secret of SECRETS) for (const text of everything) expect(text).not.toContain(secret);
    // The bad input above is quoted back, so the scan really looked at user-facing text.
    expect(slackText).toContain('i-bad');
    expect(bot.lines.length).toBeGreaterThan(10);
  });
});

describe('the bot as a process on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterSet | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('two processes handle each request, install and poll once', async () => {
    await twoProcesses(clusterRedis(cluster!));
  });
});
