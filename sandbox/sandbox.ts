/**
 * The sandbox: the real bot (same Bolt app, BullMQ workers and Redis) wired to the Slack and HBR
 * stand-ins, and a web page that behaves like a Slack channel. `npm start` runs it when no Slack
 * variable is set; the browser test starts it in-process.
 */
import type { Logger } from 'pino';
import { type BotOptions, type RunningBot, startHbrBot } from '../src/bot.js';
import { describeRedisTarget, isBlank, type RedisTarget } from '../src/config.js';
import {
  createFastConnection,
  deleteKeysMatching,
  type RedisConnection,
  waitUntilReady,
} from '../src/redis/connections.js';
import { StartupError } from '../src/startup-error.js';
import { loadSandboxConfig, SANDBOX_DEFAULTS, type SandboxConfig } from './config.js';
import { type EcsStandIn, startEcsStandIn } from './ecs-api-server.js';
import {
  SANDBOX_ACCESS_KEY_ID,
  SANDBOX_ACCESS_KEY_SECRET,
  SANDBOX_APPROVERS,
  SANDBOX_BOT_TOKEN,
  SANDBOX_BOT_USER_ID,
  SANDBOX_CHANNEL,
  SANDBOX_INSTANCES,
  SANDBOX_POLLS_TO_COMPLETE,
  SANDBOX_REQUESTERS,
  SANDBOX_SIGNING_SECRET,
  SANDBOX_SLOW_EXTRA_POLLS,
} from './fixture.js';
import { type HbrStandIn, startHbrStandIn } from './hbr-api-server.js';
import { InstanceScript } from './instance-script.js';
import { type SandboxPage, startSandboxPage } from './page-server.js';
import {
  DEFAULT_REDIS_URL,
  type PrivateRedis,
  RedisServerMissingError,
  redisAnswers,
  startPrivateRedis,
} from './private-redis.js';
import { type SlackStandIn, startSlackStandIn } from './slack-api-server.js';

export interface SandboxOptions {
  /**
   * The environment: PORT (the page), REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES and the rest
   * of the Redis variables), HBR_QUEUE_PREFIX (+ "-sandbox"), timings, LOG_LEVEL.
   */
  env: NodeJS.ProcessEnv;
  /** Builds the bot's logger once the configuration (and so the level) is known. */
  logger: (level: string) => Logger;
  /** Extra bot options (tests shorten retries). */
  bot?: Omit<BotOptions, 'logger'>;
  /** Where to look for Redis when no Redis variable is set (tests point it at a port where nothing answers). */
  defaultRedisUrl?: string;
}

export interface RunningSandbox {
  /** http://localhost:<port>/ */
  url: string;
  port: number;
  config: SandboxConfig;
  slack: SlackStandIn;
  hbr: HbrStandIn;
  /** The ECS stand-in the pre-flight look-ups go to; it reads the HBR stand-in's instance script. */
  ecs: EcsStandIn;
  bot: RunningBot;
  /** The one line `npm start` prints. */
  banner: string;
  stop(): Promise<void>;
}

/** A problem the person starting the sandbox can fix (Redis down, port taken): its message says how. */
export class SandboxStartError extends StartupError {
  override name = 'SandboxStartError';
}

const HOW_TO_GET_REDIS =
  'Install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) and start again: ' +
  'the sandbox then runs one of its own. Or set REDIS_URL to a Redis that runs.';

/** The variables that name a Redis: with none of them set the sandbox may run a redis-server of its own. */
const REDIS_LOCATION_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/** The Redis the sandbox uses, and the private redis-server it started for that, if any. */
interface ChosenRedis {
  target: RedisTarget;
  privateRedis: PrivateRedis | null;
}

/**
 * The configured Redis (one node, Sentinel or Cluster) when a Redis variable is set; otherwise the
 * default address when something answers there; otherwise a redis-server of the sandbox's own (data
 * under HBR_SANDBOX_DATA or the OS temp dir).
 */
async function chooseRedis(env: NodeJS.ProcessEnv, configured: RedisTarget, defaultUrl: string): Promise<ChosenRedis> {
  if (REDIS_LOCATION_VARIABLES.some((name) => !isBlank(env[name]))) return { target: configured, privateRedis: null };
  const single: RedisTarget =
    configured.mode === 'single' ? configured : { mode: 'single', url: defaultUrl, username: null, password: null };
  if (await redisAnswers(defaultUrl)) return { target: { ...single, url: defaultUrl }, privateRedis: null };
  try {
    const dataDir = isBlank(env.HBR_SANDBOX_DATA) ? undefined : env.HBR_SANDBOX_DATA;
    const privateRedis = await startPrivateRedis({
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(env.PATH === undefined ? {} : { path: env.PATH }),
    });
    return {
      target: { mode: 'single', url: privateRedis.url, username: null, password: null },
      privateRedis,
    };
  } catch (error) {
    if (error instanceof RedisServerMissingError) {
      throw new SandboxStartError(
        `hbr-bot sandbox needs Redis: nothing answers at ${defaultUrl} and redis-server is not on PATH. ${HOW_TO_GET_REDIS}`,
      );
    }
    throw error;
  }
}

/**
 * Deletes every key under the sandbox's prefix, on every data node (each master of a Cluster): its
 * state is meaningless without the stand-ins that held its messages.
 */
async function clearSandboxKeys(redis: RedisConnection, prefix: string): Promise<void> {
  if (!prefix.endsWith(SANDBOX_DEFAULTS.prefixSuffix))
    throw new Error(`refusing to clear ${prefix}: not a sandbox prefix`);
  await deleteKeysMatching(redis, `${prefix}:*`);
}

/** A short-lived connection, ready within a few seconds or an explanation of what does not answer. */
async function quickConnection(target: RedisTarget): Promise<RedisConnection> {
  const redis = createFastConnection(target, 'hbr-sandbox');
  // The first error (connection refused, NOAUTH, …) is the answer: no reconnecting for seconds first.
  const failed = new Promise<never>((_, reject) => redis.once('error', reject));
  failed.catch(() => undefined);
  redis.on('error', () => undefined);
  try {
    await Promise.race([waitUntilReady(redis, target, 3000), failed]);
    return redis;
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}

/** One quick connection: a sandbox without Redis says at once how to start one, then clears its old keys. */
async function prepareRedis(target: RedisTarget, prefix: string): Promise<void> {
  let redis: RedisConnection;
  try {
    redis = await quickConnection(target);
    await redis.ping();
  } catch (error) {
    throw new SandboxStartError(
      `hbr-bot sandbox needs Redis, and ${describeRedisTarget(target)} does not answer (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it, set REDIS_URL to one that runs, or unset REDIS_URL: the sandbox then runs a redis-server of its own.',
    );
  }
  try {
    await clearSandboxKeys(redis, prefix);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

async function wipeOnStop(target: RedisTarget, prefix: string): Promise<void> {
  let redis: RedisConnection | null = null;
  try {
    redis = await quickConnection(target);
    await clearSandboxKeys(redis, prefix);
  } catch {
    // Best effort: the next start clears them anyway.
  } finally {
    redis?.disconnect();
  }
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const slack = await startSlackStandIn({ botToken: SANDBOX_BOT_TOKEN, botUserId: SANDBOX_BOT_USER_ID });
  // As in a real account, an ID the account has no instance for is not found, by ECS and HBR alike.
  const script = new InstanceScript({}, { unscripted: 'missing' });
  for (const instance of SANDBOX_INSTANCES) script.set(instance.id, instance.state, { name: instance.name });
  const hbr = await startHbrStandIn({
    accessKeyId: SANDBOX_ACCESS_KEY_ID,
    accessKeySecret: SANDBOX_ACCESS_KEY_SECRET,
    script,
    pollsToComplete: SANDBOX_POLLS_TO_COMPLETE,
    slowExtraPolls: SANDBOX_SLOW_EXTRA_POLLS,
  });
  const ecs = await startEcsStandIn({
    accessKeyId: SANDBOX_ACCESS_KEY_ID,
    accessKeySecret: SANDBOX_ACCESS_KEY_SECRET,
    script,
  });
  let bot: RunningBot | undefined;
  let page: SandboxPage | undefined;
  let privateRedis: PrivateRedis | null = null;
  const stopAll = async () => {
    await page?.close();
    await bot?.stop();
    await Promise.allSettled([slack.close(), hbr.close(), ecs.close()]);
    // Last: the bot's connections are closed by now.
    await privateRedis?.stop();
  };

  try {
    const loaded = loadSandboxConfig(options.env, {
      slackBotToken: SANDBOX_BOT_TOKEN,
      slackSigningSecret: SANDBOX_SIGNING_SECRET,
      slackApiUrl: slack.apiUrl,
      hbrEndpoint: hbr.url,
      ecsEndpoint: ecs.url,
      approvers: SANDBOX_APPROVERS,
      requesters: SANDBOX_REQUESTERS,
      allowedChannels: [SANDBOX_CHANNEL.id],
    });
    const logger = options.logger(loaded.bot.logLevel);
    // The page first: a taken port is reported before anything touches Redis.
    try {
      page = await startSandboxPage({
        port: loaded.pagePort,
        slack,
        hbr,
        botEventsUrl: () => (bot === undefined ? undefined : `${bot.url}/slack/events`),
        signingSecret: SANDBOX_SIGNING_SECRET,
        poll: loaded.bot.poll,
        region: loaded.bot.hbr.defaultRegion,
        logger,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new SandboxStartError(
          `hbr-bot sandbox: port ${loaded.pagePort} is already in use — set PORT to a free one, e.g. PORT=3001 npm start`,
        );
      }
      throw error;
    }
    const chosen = await chooseRedis(options.env, loaded.bot.redis, options.defaultRedisUrl ?? DEFAULT_REDIS_URL);
    privateRedis = chosen.privateRedis;
    const config: SandboxConfig = { ...loaded, bot: { ...loaded.bot, redis: chosen.target } };
    const { redis, queuePrefix } = config.bot;
    await prepareRedis(redis, queuePrefix);

    // The bot's default credential chain reads the sandbox AccessKey from the environment, as it would
    // read a real one; nothing else in the chain is consulted (no instance metadata, no STS token).
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = SANDBOX_ACCESS_KEY_ID;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SANDBOX_ACCESS_KEY_SECRET;
    process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true';
    delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;

    bot = await startHbrBot(config.bot, { ...options.bot, logger, listenHost: '127.0.0.1' });
    const ignored = config.ignored.length === 0 ? '' : `; ignoring ${config.ignored.join(', ')}`;
    const whichRedis =
      privateRedis === null
        ? describeRedisTarget(redis)
        : `${describeRedisTarget(redis)}, a redis-server of its own, stopped with it`;
    const banner = `hbr-bot sandbox: open ${page.url} (no Slack or Alibaba account used; Redis at ${whichRedis}, keys under ${queuePrefix}:${ignored})`;
    return {
      url: page.url,
      port: page.port,
      config,
      slack,
      hbr,
      ecs,
      bot,
      banner,
      async stop() {
        if (privateRedis === null) {
          await stopAll();
          await wipeOnStop(redis, queuePrefix);
        } else {
          await stopAll();
        }
      },
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
