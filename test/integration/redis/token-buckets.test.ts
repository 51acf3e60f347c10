/**
 * The token buckets every process shares through Redis (the progress-edit budget, each person's
 * command budget): one bucket per key, whichever process takes from it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../src/redis/token-buckets.js';
import { REDIS_URL } from '../../support/bot-harness.js';

const redis = new Redis(REDIS_URL);
const key = `hbrbuckets-${randomBytes(5).toString('hex')}:budget`;

afterAll(async () => {
  await redis.del(key, `${key}-other`);
  await redis.quit();
});

describe('token buckets in Redis', () => {
  it('are shared by every process: two holders of one key hand out its tokens once, and say when more come', async () => {
    let now = 1_000_000;
    const rate = { perMinute: 6, capacity: 6 };
    const [one, two] = [new TokenBuckets(redis, rate, () => now), new TokenBuckets(redis, rate, () => now)];
    expect(await one.take(key, 4)).toEqual({ taken: true });
    expect(await two.take(key, 2)).toEqual({ taken: true });
    // Empty: one token comes every 10 s.
    expect(await one.take(key, 1)).toEqual({ taken: false, retryAfterMs: 10_000 });
    expect(await two.take(`${key}-other`, 1)).toEqual({ taken: true });
    now += 10_000;
    expect(await two.take(key, 1)).toEqual({ taken: true });
    // A cost above the capacity waits for a full bucket instead of never passing.
    expect(await one.take(key, 50)).toEqual({ taken: false, retryAfterMs: 60_000 });
    now += 60_000;
    expect(await one.take(key, 50)).toEqual({ taken: true });
  });
});
