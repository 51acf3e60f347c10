/**
 * Vitest global setup: the suite needs a Redis. With REDIS_URL unset and nothing answering on the
 * default address, it starts a redis-server of its own (the sandbox's mechanism), so `npm test` needs
 * only the redis-server binary, not a running service. Test files read REDIS_URL from the environment,
 * which the workers inherit.
 */
import { DEFAULT_REDIS_URL, redisAnswers, startPrivateRedis } from '../../sandbox/private-redis.js';

/** Sets `env.REDIS_URL` to a Redis that answers; returns how to stop the one it started, if any. */
export async function ensureRedis(
  env: NodeJS.ProcessEnv,
  defaultUrl = DEFAULT_REDIS_URL,
): Promise<(() => Promise<void>) | undefined> {
  if (env.REDIS_URL !== undefined && env.REDIS_URL.trim() !== '') return undefined;
  if (await redisAnswers(defaultUrl)) return undefined;
  const redis = await startPrivateRedis(env.PATH === undefined ? {} : { path: env.PATH });
  env.REDIS_URL = redis.url;
  process.stdout.write(`Nothing answers at ${defaultUrl}: the tests use a redis-server of their own at ${redis.url}\n`);
  return () => redis.stop();
}

export default function setup(): Promise<(() => Promise<void>) | undefined> {
  return ensureRedis(process.env);
}
