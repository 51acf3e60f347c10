/**
 * Every Redis connection the bot uses is built here, from the configured target (one node, a
 * Sentinel set or a Cluster), in one of two kinds:
 * - patient connections wait through an outage (BullMQ's workers require `maxRetriesPerRequest: null`);
 * - fail-fast connections, for what Slack handlers touch, have no offline queue, one retry and a
 *   command timeout, so an ack or a click never hangs on Redis: the user is told to try again.
 * Both reconnect on a bounded schedule rather than ioredis' slow default.
 *
 * Sentinel: the connection asks the sentinels for the primary, listens to them for a switch
 * (`+switch-master`) and reconnects at once, and also when a command meets READONLY (it reached an
 * old primary demoted to replica): the bot follows a failover without a restart.
 * Cluster: the bot's keys all share one hash tag (config.ts requires it), so every script and
 * transaction runs on one node; ioredis follows MOVED/ASK redirections and slot changes.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { describeRedisTarget, type RedisTarget } from '../config.js';

/** What ioredis hands back for a target: one connection object for a node or a Sentinel set, or a Cluster. */
export type RedisConnection = Redis | Cluster;

export type ConnectionKind = 'patient' | 'fast';

/** 100 ms, 200 ms, … capped at 2 s: a restarted Redis is picked up within seconds. */
function reconnectDelay(attempt: number): number {
  return Math.min(100 * attempt, 2000);
}

/**
 * A command that reached a primary demoted to replica (a Sentinel failover the connection has not
 * noticed yet) gets READONLY: reconnect, which asks the sentinels again, and send the command again.
 */
function reconnectOnReadOnly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

function kindOptions(kind: ConnectionKind): RedisOptions {
  return kind === 'patient'
    ? { maxRetriesPerRequest: null }
    : { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 };
}

/** One connection of `kind` to `target`, named `name` (CLIENT LIST shows it). */
export function createConnection(target: RedisTarget, kind: ConnectionKind, name: string): RedisConnection {
  const common: RedisOptions = {
    connectionName: name,
    retryStrategy: reconnectDelay,
    ...(target.username === null ? {} : { username: target.username }),
    ...(target.password === null ? {} : { password: target.password }),
    ...kindOptions(kind),
  };
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, common);
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        role: 'master',
        ...(target.sentinelPassword === null ? {} : { sentinelPassword: target.sentinelPassword }),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        sentinelRetryStrategy: reconnectDelay,
        sentinelCommandTimeout: 1000,
        failoverDetector: true,
        reconnectOnError: reconnectOnReadOnly,
      });
    case 'cluster': {
      const options: ClusterOptions = {
        redisOptions: { ...common, ...(target.tls ? { tls: {} } : {}) },
        clusterRetryStrategy: reconnectDelay,
        scaleReads: 'master',
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        ...(kind === 'fast' ? { enableOfflineQueue: false } : {}),
      };
      return new Cluster(target.nodes, options);
    }
  }
}

/** Waits through an outage: for workers and everything the jobs touch. */
export function createWorkerConnection(target: RedisTarget, name: string): RedisConnection {
  return createConnection(target, 'patient', name);
}

/** Fails fast: for what Slack handlers touch. */
export function createFastConnection(target: RedisTarget, name: string): RedisConnection {
  return createConnection(target, 'fast', name);
}

/** The data nodes behind a connection: the masters of a Cluster, else the connection itself. */
export function dataNodes(connection: RedisConnection): Redis[] {
  return connection instanceof Cluster ? connection.nodes('master') : [connection];
}

/** `host:port` of a node connection, for messages. */
export function nodeAddress(node: Redis): string {
  const { host, port } = node.options;
  return `${host ?? '?'}:${port ?? '?'}`;
}

/**
 * Deletes every key matching `pattern` on every data node (SCAN, not KEYS, on each master of a
 * Cluster), in batches. For the sandbox and the tests; the bot itself never scans.
 */
export async function deleteKeysMatching(connection: RedisConnection, pattern: string): Promise<number> {
  // A Cluster connection knows its masters only once it is ready.
  if (connection instanceof Cluster && connection.status !== 'ready')
    await new Promise((resolve) => connection.once('ready', resolve));
  let deleted = 0;
  for (const node of dataNodes(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      // On a Cluster node one command per key (sent together): keys of different slots cannot share one.
      if (keys.length > 0 && connection instanceof Cluster)
        deleted += (await Promise.all(keys.map((key) => node.unlink(key)))).reduce((sum, n) => sum + n, 0);
      else if (keys.length > 0) deleted += await node.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

/** Resolves once the connection is ready, or rejects with a sentence saying how to start Redis. */
export async function waitUntilReady(redis: RedisConnection, target: RedisTarget, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `Redis at ${describeRedisTarget(target)} did not answer within ${timeoutMs} ms — start one (e.g. \`redis-server\` or \`docker compose up -d redis\`) or set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
