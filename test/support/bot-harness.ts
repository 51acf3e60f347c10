/**
 * Starts the real bot (Bolt HTTP receiver, or Socket Mode with `socketMode: true`; BullMQ workers,
 * real Redis) against the Slack and HBR stand-ins, with a Redis key prefix of its own and short poll
 * timings, and drives it as Slack would.
 */
import { randomBytes } from 'node:crypto';
import { type EcsStandIn, type EcsStandInOptions, startEcsStandIn } from '../../sandbox/ecs-api-server.js';
import { type HbrStandIn, type HbrStandInOptions, startHbrStandIn } from '../../sandbox/hbr-api-server.js';
import {
  currentContent,
  type PostedMessage,
  type SlackStandIn,
  startSlackStandIn,
} from '../../sandbox/slack-api-server.js';
import {
  type BlockActionFields,
  type BotResponse,
  blockActionPayload,
  type SendOptions,
  type SlashCommandFields,
  sendBlockAction,
  sendSlashCommand,
  slashCommandPayload,
} from '../../sandbox/slack-requests.js';
import type { EnvelopeType, SocketModeStandIn } from '../../sandbox/socket-mode-server.js';
import { type BotOptions, type RunningBot, startHbrBot } from '../../src/bot.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { DecisionAction } from '../../src/domain/request.js';
import { createLogger } from '../../src/logger.js';
import type { RedisConnection } from '../../src/redis/connections.js';
import { APPROVE_ACTION, REJECT_ACTION, WITHDRAW_ACTION } from '../../src/slack/messages/action-ids.js';
import { connectTo, deleteKeysUnder, singleRedis, type TestRedis } from './redis-target.js';
import { waitFor } from './wait-for.js';

export { REDIS_URL } from './redis-target.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const APP_TOKEN = 'xapp-1-A0HBRBOT01-test-app-token';
const ACCESS_KEY_ID = 'LTAItestAccessKeyId';
export const ACCESS_KEY_SECRET = 'test-access-key-secret';
export const REQUESTER = 'UREQUESTER1';
export const APPROVER = 'UAPPROVER01';
export const SECOND_APPROVER = 'UAPPROVER02';
export const STRANGER = 'USTRANGER01';
export const CHANNEL = 'COPSCHAN001';

/** `count` distinct instance IDs of the usual 20 characters, `tag` keeping one test's apart from another's. */
export function instanceIdsFor(count: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => `i-bp1${tag.repeat(12)}${String(i).padStart(5, '0')}`);
}

const DECISION_ACTION_IDS: Readonly<Record<DecisionAction, string>> = {
  approve: APPROVE_ACTION,
  reject: REJECT_ACTION,
  withdraw: WITHDRAW_ACTION,
};

export interface HarnessOptions {
  /** Which Redis the bot runs on (default: the suite's single node). */
  redis?: TestRedis;
  /** Environment variables on top of the harness defaults (HBR_APPROVERS, poll timings, …). */
  env?: Record<string, string>;
  hbr?: Omit<HbrStandInOptions, 'accessKeyId' | 'accessKeySecret'>;
  /** The ECS stand-in (pre-flight look-ups); it shares the HBR stand-in's instance script. */
  ecs?: Omit<EcsStandInOptions, 'accessKeyId' | 'accessKeySecret' | 'script'>;
  usergroups?: Record<string, string[]>;
  jobs?: BotOptions['jobs'];
  /** Secret the bot signs HBR calls with (a wrong one must fail). */
  accessKeySecret?: string;
  /** HBR client timeouts (e.g. a read timeout shorter than a slow answer). */
  hbrTimeouts?: { connectTimeoutMs?: number; readTimeoutMs?: number };
  /** The Slack Web API URL the bot is given, e.g. a fault-injecting proxy in front of the stand-in. */
  slackApiUrl?: (standIn: SlackStandIn) => string | Promise<string>;
  /**
   * Socket Mode: SLACK_APP_TOKEN instead of the signing secret, and commands and clicks delivered as
   * envelopes on the stand-in's WebSocket (`slack.socketMode`); their answer is the ack.
   */
  socketMode?: boolean;
}

export interface Harness {
  slack: SlackStandIn;
  hbr: HbrStandIn;
  /** ECS stand-in on the HBR stand-in's script: `hbr.setInstance(id, 'stopped')` makes it Stopped here too. */
  ecs: EcsStandIn;
  config: Config;
  bot: RunningBot;
  /** Redis for assertions on the bot's keys (a Cluster connection on a Cluster). */
  redis: RedisConnection;
  /** The bot's key prefix (with a hash tag on a Cluster). */
  prefix: string;
  /** Every log line the bot wrote (JSON, level debug and up), oldest first. */
  logs: string[];
  /** HTTP mode's Slack endpoint. */
  eventsUrl: string;
  /** GET an ops route (/readyz, /metrics) where this bot serves it: OPS_PORT when set, else PORT. */
  ops(path: '/readyz' | '/metrics', headers?: Record<string, string>): Promise<Response>;
  /** `/hbr-install <text>`. */
  command(text: string, user?: string, channel?: string, options?: Partial<SendOptions>): Promise<BotResponse>;
  /** Any slash command, e.g. slash('/hbr-uninstall', 'i-…'). */
  slash(command: string, text: string, user?: string, channel?: string): Promise<BotResponse>;
  /** The ephemeral replies `user` got through response_url (after the ack), oldest first, as text. */
  repliesTo(user?: string): string[];
  click(verdict: DecisionAction, requestId: string, user: string, options?: Partial<SendOptions>): Promise<BotResponse>;
  /** Request messages the bot posted (top-level, not thread replies), oldest first. */
  requestMessages(): PostedMessage[];
  /** Waits for the next request message and returns it with its request id. */
  waitForRequest(count?: number): Promise<{ message: PostedMessage; requestId: string }>;
  /** The latest text of a message, blocks flattened, for assertions on wording. */
  textOf(message: PostedMessage): string;
  threadReplies(message: PostedMessage): PostedMessage[];
  /** Kills the bot without cleanup and starts a new one on the same Redis and prefix. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Secrets no log line, Slack message or metric of any harness bot may contain (checked at close). */
export const HARNESS_SECRETS: readonly string[] = [BOT_TOKEN, SIGNING_SECRET, ACCESS_KEY_SECRET];

/** The production logger (with its redaction) at debug, into `lines`; echoed when TEST_LOG_LEVEL is set. */
function capturingLogger(lines: string[]) {
  const echo = process.env.TEST_LOG_LEVEL !== undefined && process.env.TEST_LOG_LEVEL !== 'silent';
  return createLogger('debug', {
    write(line: string) {
      lines.push(line);
      if (echo) process.stdout.write(line);
    },
  });
}

/** The secrets found in any of `texts`, named by their position in `secrets`, never quoted. */
export function leakedSecrets(secrets: readonly string[], texts: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    secrets.forEach((secret, i) => {
      if (secret !== '' && text.includes(secret)) found.push(`secret #${i} in ${where}`);
    });
  }
  return found;
}

/**
 * Socket Mode's answer to a delivery, in the shape of an HTTP answer: the ack (status 200), its
 * payload as the body (an empty ack, `{}`, as an empty body) and how long it took.
 */
async function deliverOverSocket(
  socket: SocketModeStandIn,
  type: EnvelopeType,
  payload: Record<string, unknown>,
  extra?: Partial<SendOptions>,
): Promise<BotResponse> {
  if (extra !== undefined) throw new Error('signing options apply to HTTP mode only');
  const envelope = socket.deliver(type, payload);
  const ack = await waitFor(() => socket.acks.find((a) => a.envelopeId === envelope.envelope_id), {
    message: `ack of the ${type} envelope`,
  });
  const answered = ack.payload !== undefined && Object.keys(ack.payload).length > 0 ? ack.payload : null;
  return {
    status: 200,
    body: answered === null ? '' : JSON.stringify(answered),
    json: answered,
    latencyMs: ack.afterMs ?? 0,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const logger = capturingLogger(logs);
  const target = options.redis ?? singleRedis();
  const prefix = target.prefix(`hbrtest-${randomBytes(5).toString('hex')}`);
  const socketMode = options.socketMode === true;
  const slack = await startSlackStandIn({
    botToken: BOT_TOKEN,
    usergroups: options.usergroups ?? {},
    appToken: socketMode ? APP_TOKEN : undefined,
  });
  const hbr = await startHbrStandIn({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...options.hbr });
  const ecs = await startEcsStandIn({
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    script: hbr.script,
    ...options.ecs,
  });
  // The default credential chain reads these; metadata look-ups would try the network.
  process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = ACCESS_KEY_ID;
  process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = options.accessKeySecret ?? ACCESS_KEY_SECRET;
  process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: options.slackApiUrl === undefined ? slack.apiUrl : await options.slackApiUrl(slack),
    PORT: '0',
    ...target.env,
    HBR_QUEUE_PREFIX: prefix,
    HBR_ENDPOINT: hbr.url,
    ECS_ENDPOINT: ecs.url,
    HBR_APPROVERS: `${APPROVER},${SECOND_APPROVER}`,
    // Anyone, anywhere: the tests about who may ask set their own lists.
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    // Tests send many commands as one person; the budget's own test sets a small one.
    HBR_COMMANDS_PER_USER_PER_MINUTE: '100000',
    HBR_POLL_FIRST_DELAY_MS: '300',
    HBR_POLL_INTERVAL_MS: '200',
    HBR_TASK_TIMEOUT_MS: '5000',
    // /readyz and /metrics on a listener of their own, as a deployment keeps them off the Slack port.
    OPS_PORT: '0',
    ...options.env,
  });
  const botOptions: BotOptions = {
    logger,
    hbr: { retry: { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 50 }, ...options.hbrTimeouts },
    slackRetry: { retries: 2, minTimeout: 10, maxTimeout: 50 },
    jobs: { lockDurationMs: 2000, stalledIntervalMs: 500, retryBackoffMs: 50, claimStaleMs: 1000, ...options.jobs },
  };
  let bot = await startHbrBot(config, botOptions).catch(async (error: unknown) => {
    await Promise.all([slack.close(), hbr.close(), ecs.close()]);
    throw error;
  });
  const redis = connectTo(target);
  const send = (extra?: Partial<SendOptions>): SendOptions => ({ signingSecret: SIGNING_SECRET, ...extra });
  const socket = slack.socketMode;
  const slashCommand = (fields: SlashCommandFields, extra?: Partial<SendOptions>) =>
    socket === null
      ? sendSlashCommand(harness.eventsUrl, fields, send(extra))
      : deliverOverSocket(socket, 'slash_commands', slashCommandPayload(fields), extra);
  const blockAction = (action: BlockActionFields, extra?: Partial<SendOptions>) =>
    socket === null
      ? sendBlockAction(harness.eventsUrl, action, send(extra))
      : deliverOverSocket(socket, 'interactive', blockActionPayload(action), extra);

  const harness: Harness = {
    slack,
    hbr,
    ecs,
    config,
    get bot() {
      return bot;
    },
    redis,
    prefix,
    logs,
    get eventsUrl() {
      return `${bot.url}/slack/events`;
    },
    ops(path, headers = {}) {
      return fetch(`${bot.opsUrl ?? bot.url}${path}`, { headers });
    },
    command(text, user = REQUESTER, channel = CHANNEL, extra) {
      return slashCommand(
        { text, user_id: user, channel_id: channel, response_url: slack.responseUrl({ channel, user }) },
        extra,
      );
    },
    slash(command, text, user = REQUESTER, channel = CHANNEL) {
      return slashCommand({
        command,
        text,
        user_id: user,
        channel_id: channel,
        response_url: slack.responseUrl({ channel, user }),
      });
    },
    repliesTo(user = REQUESTER) {
      return slack.ephemerals(user).map((e) => `${e.text}\n${JSON.stringify(e.blocks)}`);
    },
    click(verdict, requestId, user, extra) {
      const message = slack.messages().find((m) => JSON.stringify(m.blocks).includes(requestId));
      if (message === undefined) throw new Error(`no request message carries ${requestId}`);
      return blockAction(
        {
          action_id: DECISION_ACTION_IDS[verdict],
          value: requestId,
          user_id: user,
          channel_id: message.channel,
          message_ts: message.ts,
          response_url: slack.responseUrl({ channel: message.channel, user, messageTs: message.ts }),
        },
        extra,
      );
    },
    requestMessages() {
      return slack.messages().filter((m) => m.threadTs === null && m.via === 'chat.postMessage');
    },
    async waitForRequest(count = 1) {
      const message = await waitFor(() => harness.requestMessages()[count - 1], { message: 'request message posted' });
      const match = /\br[a-z2-7]{12}\b/.exec(JSON.stringify(message.blocks));
      if (match === null) throw new Error('request message without a request id');
      return { message, requestId: match[0] };
    },
    textOf(message) {
      const content = currentContent(message);
      return `${content.text}\n${JSON.stringify(content.blocks)}`;
    },
    threadReplies(message) {
      return slack.threadReplies(message.channel, message.ts);
    },
    async restart() {
      await bot.crash();
      bot = await startHbrBot(config, botOptions);
    },
    async close() {
      const auth: Record<string, string> =
        config.metricsToken === null ? {} : { authorization: `Bearer ${config.metricsToken}` };
      const metrics = await harness
        .ops('/metrics', auth)
        .then((r) => r.text())
        .catch(() => '');
      await bot.stop().catch(() => undefined);
      // Every message the bot sent in any test must have passed the stand-in's Block Kit checks.
      const refused = slack.calls.filter((c) => c.response.error === 'invalid_blocks');
      // By what was sent: a failure a test injected (failNext('response_url', …)) refuses no message.
      const refusedResponses = slack.responseUrlPosts.filter(
        (p) => p.response.error === 'invalid_blocks' || p.response.error === 'invalid_payload',
      );
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
      await Promise.all([slack.close(), hbr.close(), ecs.close()]);
      if (refused.length > 0 || refusedResponses.length > 0) {
        throw new Error(
          `Slack refused messages the bot sent: ${JSON.stringify([...refused, ...refusedResponses]).slice(0, 2000)}`,
        );
      }
      // No secret in any log line, Slack message or metric, whatever the test did.
      const secrets = [...HARNESS_SECRETS, options.accessKeySecret ?? '', APP_TOKEN];
      const leaks = leakedSecrets(secrets, {
        logs: logs.join(''),
        'Slack calls': JSON.stringify(slack.calls.map((c) => [c.args, c.response])),
        'response_url posts': JSON.stringify(slack.responseUrlPosts),
        metrics,
      });
      if (leaks.length > 0) throw new Error(`the bot leaked secrets: ${leaks.join(', ')}`);
    },
  };
  return harness;
}
