/** Redis helpers: memory of a key prefix, and deleting a prefix at the end of a run. */
import type { Redis } from 'ioredis';

async function keysOf(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  const keys = await keysOf(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  return keys.length;
}

/** `MEMORY USAGE key SAMPLES 0` (exact) of every key, summed by a category of the key's name. */
export async function memoryByCategory(
  redis: Redis,
  prefix: string,
  categorize: (key: string) => string,
): Promise<{ total: number; keys: number; byCategory: Record<string, { keys: number; bytes: number }> }> {
  const keys = await keysOf(redis, prefix);
  const byCategory: Record<string, { keys: number; bytes: number }> = {};
  let total = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const answers = (await pipeline.exec()) ?? [];
    answers.forEach(([, bytes], j) => {
      const size = typeof bytes === 'number' ? bytes : 0;
      const category = categorize(batch[j]!);
      byCategory[category] ??= { keys: 0, bytes: 0 };
      const entry = byCategory[category];
      entry.keys += 1;
      entry.bytes += size;
      total += size;
    });
  }
  return { total, keys: keys.length, byCategory };
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
