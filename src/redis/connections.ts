/**
 * The two kinds of Redis connection the bot needs.
 * - Worker connections wait through an outage (BullMQ requires `maxRetriesPerRequest: null`).
 * - The connection Slack handlers use fails fast (no offline queue, one retry, a command timeout),
 *   so an ack or a click never hangs on Redis; the user is told to try again instead.
 * Both reconnect on a bounded schedule rather than ioredis' slow default.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** 100 ms, 200 ms, … capped at 2 s: a restarted Redis is picked up within seconds. */
function reconnectDelay(attempt: number): number {
  return Math.min(100 * attempt, 2000);
}

export function createWorkerConnection(url: string, name: string): Redis {
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: null, retryStrategy: reconnectDelay });
}

export function createFastConnection(url: string, name: string): Redis {
  const options: RedisOptions = {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: reconnectDelay,
  };
  return new Redis(url, options);
}

/** Resolves once the connection is ready, or rejects with a sentence saying how to start Redis. */
export async function waitUntilReady(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `Redis at ${url} did not answer within ${timeoutMs} ms — start one (e.g. \`redis-server\` or \`docker compose up -d redis\`) or set REDIS_URL`,
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
