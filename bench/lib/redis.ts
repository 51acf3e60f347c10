/**
 * Redis helpers: memory of a key prefix, and deleting a prefix at the end of a run. On a Cluster
 * every master is scanned (the bot's keys share one slot, the floor's too, but the helpers do not
 * count on it).
 */
import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from '../../src/redis/connections.js';

/** The masters of a Cluster (once it knows them), else the connection itself. */
async function nodesOf(redis: RedisConnection): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis.nodes('master');
}

async function keysOf(redis: RedisConnection, prefix: string): Promise<Array<{ node: Redis; key: string }>> {
  const keys: Array<{ node: Redis; key: string }> = [];
  for (const node of await nodesOf(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch.map((key) => ({ node, key })));
    } while (cursor !== '0');
  }
  return keys;
}

export async function deletePrefix(redis: RedisConnection, prefix: string): Promise<number> {
  const keys = await keysOf(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    // One command per key: on a Cluster, keys of different slots cannot share one.
    if (redis instanceof Cluster) await Promise.all(batch.map(({ node, key }) => node.unlink(key)));
    else await redis.unlink(...batch.map(({ key }) => key));
  }
  return keys.length;
}

/** `MEMORY USAGE key SAMPLES 0` (exact) of every key, summed by a category of the key's name. */
export async function memoryByCategory(
  redis: RedisConnection,
  prefix: string,
  categorize: (key: string) => string,
): Promise<{ total: number; keys: number; byCategory: Record<string, { keys: number; bytes: number }> }> {
  const keys = await keysOf(redis, prefix);
  const byCategory: Record<string, { keys: number; bytes: number }> = {};
  let total = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const sizes = await Promise.all(
      batch.map(({ node, key }) => node.call('MEMORY', 'USAGE', key, 'SAMPLES', '0').catch(() => 0)),
    );
    sizes.forEach((bytes, j) => {
      const size = typeof bytes === 'number' ? bytes : 0;
      const category = categorize(batch[j]!.key);
      byCategory[category] ??= { keys: 0, bytes: 0 };
      const entry = byCategory[category];
      entry.keys += 1;
      entry.bytes += size;
      total += size;
    });
  }
  return { total, keys: keys.length, byCategory };
}

/** INFO used_memory, summed over the masters of a Cluster. */
export async function usedMemory(redis: RedisConnection): Promise<number> {
  let total = 0;
  for (const node of await nodesOf(redis)) {
    const info = await node.info('memory');
    total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  }
  return total;
}
