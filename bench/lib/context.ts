/** What every suite shares: the run's options, Redis, the two stand-ins and the bot's environment. */
import type { RedisTarget } from '../../src/config.js';
import type { RedisConnection } from '../../src/redis/connections.js';
import type { ChildServer } from './child.js';
import { APPROVER, BOT_TOKEN, REGION, SIGNING_SECRET } from './constants.js';

/** The Redis topologies the ack and pipeline suites run on, side by side. */
export type RedisKind = 'single' | 'cluster';

/** One Redis the suites run on: the bench's connection to it and how the bot is pointed at it. */
export interface BenchRedis {
  kind: RedisKind;
  /** For the table: "one Redis", "Redis Cluster, 3 masters". */
  label: string;
  /** The variables `npm start` reads (REDIS_URL, or REDIS_CLUSTER_NODES). */
  env: Record<string, string>;
  target: RedisTarget;
  connection: RedisConnection;
}

export interface BenchOptions {
  quick: boolean;
  suites: Set<string>;
  /** Where the ack and pipeline suites run (economy and startup run on one Redis). */
  redis: RedisKind[];
  /** Log level of the bot under test (its logs go to /dev/null); `info` is the production default. */
  logLevel: string;
  profile: boolean;
  ack: {
    rounds: number;
    warmup: number;
    requests: number;
    concurrency: number;
    pacedRate: number;
    pacedRequests: number;
  };
  pipeline: {
    rounds: number;
    sizes: number[];
    warmupMs: number;
    windowMs: number;
    slowCadenceTasks: number;
    slowCadenceMs: number;
  };
  economy: { sizes: number[]; polls: number[]; concurrentRequests: number; compression: number };
  /** Starts of the bot per way (tsx, compiled); RSS is read again `idleMs` after it is ready. */
  startup: { rounds: number; idleMs: number };
}

export interface BenchContext {
  options: BenchOptions;
  tag: string;
  /** The bench's own connection to the Redis of this suite run (a Cluster connection on a Cluster). */
  redis: RedisConnection;
  /** Which Redis this suite run is on. */
  redisSetup: BenchRedis;
  slack: ChildServer;
  slackApiUrl: string;
  hbr: ChildServer;
  hbrUrl: string;
  /** Every Redis key prefix the run used, deleted at the end. */
  prefixes: Set<string>;
  resultsDir: string;
  log(message: string): void;
  /** Replaces both stand-ins with fresh ones (empty records); servers started before keep the old URLs. */
  freshStandIns(): Promise<void>;
}

/** A fresh key prefix for one bot or floor instance (a hash tag on a Cluster); registered for clean-up. */
export function newPrefix(
  ctx: Pick<BenchContext, 'tag' | 'prefixes'> & { redisSetup?: Pick<BenchRedis, 'kind'> },
  name: string,
): string {
  const base = `hbrbench-${ctx.tag}-${name}`;
  const prefix = ctx.redisSetup?.kind === 'cluster' ? `{${base}}` : base;
  ctx.prefixes.add(prefix);
  return prefix;
}

/** The environment `npm start` would read, pointing at the stand-ins. */
export function botEnv(
  ctx: Pick<BenchContext, 'options' | 'slackApiUrl' | 'hbrUrl'> & { redisSetup: Pick<BenchRedis, 'env'> },
  prefix: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: ctx.slackApiUrl,
    PORT: '0',
    ...ctx.redisSetup.env,
    HBR_QUEUE_PREFIX: prefix,
    HBR_REGION: REGION,
    HBR_ENDPOINT: ctx.hbrUrl,
    HBR_APPROVERS: APPROVER,
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    // The ECS look-up is not what the bench measures; without a stand-in it would try the real endpoint.
    HBR_PREFLIGHT: 'false',
    LOG_LEVEL: ctx.options.logLevel,
    ...overrides,
  };
}
