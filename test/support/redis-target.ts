/**
 * Which Redis a test runs the bot on, as the environment variables `npm start` reads: the suite's
 * single node (REDIS_URL), or a Cluster or Sentinel set of the test's own (redis-topologies.ts).
 * Key prefixes get a hash tag on a Cluster, as the configuration requires there.
 */
import { loadConfig, type RedisTarget } from '../../src/config.js';
import { createConnection, deleteKeysMatching, type RedisConnection } from '../../src/redis/connections.js';
import type { RedisClusterSet, RedisSentinelSet } from './redis-topologies.js';

/** The suite's Redis (test/support/global-redis.ts sets REDIS_URL when it starts one). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** For test names: "single node", "Redis Cluster", "Sentinel". */
  label: string;
  /** REDIS_URL, or REDIS_CLUSTER_NODES, or REDIS_SENTINELS with REDIS_SENTINEL_NAME. */
  env: Record<string, string>;
  /** A key prefix from `base`, with a hash tag on a Cluster. */
  prefix(base: string): string;
}

export function singleRedis(url = REDIS_URL): TestRedis {
  return { label: 'single node', env: { REDIS_URL: url }, prefix: (base) => base };
}

export function clusterRedis(cluster: RedisClusterSet): TestRedis {
  return { label: 'Redis Cluster', env: { REDIS_CLUSTER_NODES: cluster.nodeList }, prefix: (base) => `{${base}}` };
}

export function sentinelRedis(set: RedisSentinelSet): TestRedis {
  return {
    label: 'Sentinel',
    env: { REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.name },
    prefix: (base) => base,
  };
}

/** The bot's own reading of the test's variables. */
function targetOf(redis: TestRedis): RedisTarget {
  return loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-target',
    SLACK_SIGNING_SECRET: 'target',
    HBR_APPROVERS: 'UTARGET01',
    HBR_REQUESTERS: '*',
    HBR_ALLOWED_CHANNELS: '*',
    HBR_QUEUE_PREFIX: redis.prefix('target'),
    ...redis.env,
  }).redis;
}

/** A connection for the test's own assertions and clean-up, built the way the bot builds its own. */
export function connectTo(redis: TestRedis, name = 'hbr-test'): RedisConnection {
  const connection = createConnection(targetOf(redis), 'patient', name);
  connection.on('error', () => undefined); // a test that stops Redis sees the failed command instead
  return connection;
}

/** Removes every key under `prefix` (on every master of a Cluster). */
export async function deleteKeysUnder(connection: RedisConnection, prefix: string): Promise<void> {
  await deleteKeysMatching(connection, `${prefix}:*`);
}
