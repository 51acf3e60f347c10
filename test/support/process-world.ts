/**
 * A world for tests that run the bot as child processes (kill -9, Redis outages): the Slack and HBR
 * stand-ins in the test process, a Redis key prefix of its own, and helpers that drive any of the
 * bot processes as Slack would. At close every process is killed, the keys removed, and every log
 * line of every process is scanned for the world's (real-looking) secrets.
 */
import { randomBytes } from 'node:crypto';
import { type HbrStandIn, type HbrStandInOptions, startHbrStandIn } from '../../sandbox/hbr-api-server.js';
import { type PostedMessage, type SlackStandIn, startSlackStandIn } from '../../sandbox/slack-api-server.js';
import { type BotResponse, sendBlockAction, sendSlashCommand } from '../../sandbox/slack-requests.js';
import type { RedisConnection } from '../../src/redis/connections.js';
import { APPROVER, CHANNEL, leakedSecrets, REQUESTER, SECOND_APPROVER } from './bot-harness.js';
import { type BotProcess, spawnBot } from './bot-process.js';
import { connectTo, deleteKeysUnder, singleRedis, type TestRedis } from './redis-target.js';

const SECRETS = {
  botToken: `xoxb-${'5'.repeat(12)}-${'8'.repeat(13)}-Hk3vQ9mWc2LpR7sTn4YbZ1aF`,
  signingSecret: '3c59dc048e8850243be8079a5c74d079',
  accessKeyId: 'LTAI5tHw7nKp2Qd9RvX4mJcB',
  accessKeySecret: 'w8Kr3VbM6nXq2LpT9sZd4YcH7aGfJe',
};

export interface ProcessWorld {
  slack: SlackStandIn;
  hbr: HbrStandIn;
  prefix: string;
  redis: TestRedis;
  /** A new connection to the world's Redis, for assertions (the caller disconnects it). */
  connect(): RedisConnection;
  /** Every bot process started so far, running or not. */
  bots: BotProcess[];
  /** `entry`: see spawnBot (default src/main.ts). */
  spawn(extraEnv?: Record<string, string>, entry?: string): Promise<BotProcess>;
  command(bot: BotProcess, text: string, command?: string): Promise<BotResponse>;
  click(bot: BotProcess, verdict: 'approve' | 'reject', message: PostedMessage, user?: string): Promise<BotResponse>;
  /** Top-level messages the bots posted (request messages), oldest first. */
  requestMessages(): PostedMessage[];
  /** Thread replies mentioning the requester: the final replies. */
  finalReplies(message: PostedMessage): PostedMessage[];
  close(): Promise<void>;
}

export function requestIdOf(message: PostedMessage): string {
  const match = /\br[a-z2-7]{12}\b/.exec(JSON.stringify(message.blocks));
  if (match === null) throw new Error('no request id in the message');
  return match[0];
}

export async function startProcessWorld(
  options: {
    hbr?: Omit<HbrStandInOptions, 'accessKeyId' | 'accessKeySecret'>;
    env?: Record<string, string>;
    /** Which Redis the bots run on (default: the suite's single node). */
    redis?: TestRedis;
    /** The Slack Web API URL the bots get, e.g. a proxy in front of the stand-in. */
    slackApiUrl?: (standIn: SlackStandIn) => string | Promise<string>;
  } = {},
): Promise<ProcessWorld> {
  const slack = await startSlackStandIn({ botToken: SECRETS.botToken });
  const hbr = await startHbrStandIn({
    accessKeyId: SECRETS.accessKeyId,
    accessKeySecret: SECRETS.accessKeySecret,
    ...options.hbr,
  });
  const redis = options.redis ?? singleRedis();
  const prefix = redis.prefix(`hbrhard-${randomBytes(5).toString('hex')}`);
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: options.slackApiUrl === undefined ? slack.apiUrl : await options.slackApiUrl(slack),
    PORT: '0',
    ...redis.env,
    HBR_QUEUE_PREFIX: prefix,
    HBR_ENDPOINT: hbr.url,
    HBR_APPROVERS: `${APPROVER},${SECOND_APPROVER}`,
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    // Tests send many commands as one person; the budget's own test sets a small one.
    HBR_COMMANDS_PER_USER_PER_MINUTE: '100000',
    HBR_POLL_FIRST_DELAY_MS: '400',
    HBR_POLL_INTERVAL_MS: '400',
    HBR_TASK_TIMEOUT_MS: '60000',
    ALIBABA_CLOUD_ACCESS_KEY_ID: SECRETS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRETS.accessKeySecret,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    LOG_LEVEL: 'debug',
    // These tests are about crashes and outages, not the ECS look-up (test/integration/preflight.test.ts).
    HBR_PREFLIGHT: 'false',
    ...options.env,
  };
  const bots: BotProcess[] = [];
  const sign = { signingSecret: SECRETS.signingSecret };

  return {
    slack,
    hbr,
    prefix,
    redis,
    connect: () => connectTo(redis),
    bots,
    async spawn(extraEnv = {}, entry) {
      const bot = await spawnBot({ ...env, ...extraEnv }, 20_000, entry);
      bots.push(bot);
      return bot;
    },
    command(bot, text, command = '/hbr-install') {
      const responseUrl = slack.responseUrl({ channel: CHANNEL, user: REQUESTER });
      return sendSlashCommand(
        `${bot.url}/slack/events`,
        { command, text, user_id: REQUESTER, channel_id: CHANNEL, response_url: responseUrl },
        sign,
      );
    },
    click(bot, verdict, message, user = APPROVER) {
      return sendBlockAction(
        `${bot.url}/slack/events`,
        {
          action_id: verdict === 'approve' ? 'hbr_approve' : 'hbr_reject',
          value: requestIdOf(message),
          user_id: user,
          channel_id: message.channel,
          message_ts: message.ts,
          response_url: slack.responseUrl({ channel: message.channel, user, messageTs: message.ts }),
        },
        sign,
      );
    },
    requestMessages: () => slack.messages().filter((m) => m.threadTs === null && m.via === 'chat.postMessage'),
    finalReplies: (message) =>
      slack.threadReplies(message.channel, message.ts).filter((r) => r.text.includes(`<@${REQUESTER}>`)),
    async close() {
      await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
      const connection = connectTo(redis);
      await Promise.race([
        deleteKeysUnder(connection, prefix).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 5000)),
      ]);
      connection.disconnect();
      await Promise.all([slack.close(), hbr.close()]);
      const leaks = leakedSecrets([SECRETS.botToken, SECRETS.signingSecret, SECRETS.accessKeySecret], {
        'process logs': bots.flatMap((bot) => bot.lines).join('\n'),
        'Slack calls': JSON.stringify(slack.calls.map((c) => [c.args, c.response])),
        'response_url posts': JSON.stringify(slack.responseUrlPosts),
      });
      if (leaks.length > 0) throw new Error(`a bot process leaked secrets: ${leaks.join(', ')}`);
    },
  };
}
