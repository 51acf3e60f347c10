/**
 * A Redis that may evict keys loses approved requests and delayed polls in silence, so the bot is
 * not ready unless `maxmemory-policy` is `noeviction`, says so at start, and names the policy in
 * /readyz. A managed Redis that refuses CONFIG GET is noted once and trusted. On a Redis of the
 * test's own (the shared one is never reconfigured), reached as an ACL user with a password given
 * in REDIS_USERNAME and REDIS_PASSWORD.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../support/bot-harness.js';
import { type OwnRedis, startOwnRedis } from '../../support/redis-server.js';
import { singleRedis, type TestRedis } from '../../support/redis-target.js';

const PASSWORD = 'Redis-Pa55word-for-the-acl-user';

let harness: Harness | undefined;
let redis: OwnRedis | undefined;
afterEach(async () => {
  await harness?.close();
  await redis?.destroy();
  harness = undefined;
  redis = undefined;
});

async function readyz(h: Harness): Promise<{ status: number; body: string }> {
  const response = await h.ops('/readyz');
  return { status: response.status, body: await response.text() };
}

/** A user of its own on the test's Redis, allowed everything but `denied`. */
async function aclUser(own: OwnRedis, denied: string[]): Promise<TestRedis> {
  const admin = new Redis(own.url);
  await admin.call('ACL', 'SETUSER', 'hbr', 'on', `>${PASSWORD}`, '~*', '&*', '+@all', ...denied.map((c) => `-${c}`));
  await admin.quit();
  return {
    label: 'ACL user',
    env: { REDIS_URL: own.url, REDIS_USERNAME: 'hbr', REDIS_PASSWORD: PASSWORD },
    prefix: (base) => base,
  };
}

describe('the eviction policy', () => {
  it('makes /readyz answer 503 naming the policy until it is noeviction, and says so at start', async () => {
    redis = await startOwnRedis();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    harness = await startHarness({ redis: singleRedis(redis.url) });
    const h = harness;
    expect(h.logs.join('')).toMatch(/"reason":"redis-eviction-policy: allkeys-lru".*Redis may evict keys/);
    const evicting = await readyz(h);
    expect(evicting.status).toBe(503);
    expect(JSON.parse(evicting.body)).toEqual({ status: 'not ready', reasons: ['redis-eviction-policy: allkeys-lru'] });

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    expect(await readyz(h)).toEqual({ status: 200, body: expect.stringContaining('ready') });
    await admin.config('SET', 'maxmemory-policy', 'volatile-ttl');
    expect((await readyz(h)).body).toContain('redis-eviction-policy: volatile-ttl');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.quit();
  });

  it('where CONFIG is refused (a managed Redis), says so once and stays ready', async () => {
    redis = await startOwnRedis();
    harness = await startHarness({ redis: await aclUser(redis, ['config']) });
    const h = harness;
    for (let i = 0; i < 3; i += 1) expect((await readyz(h)).status).toBe(200);
    const refusals = h.logs.filter((line) => line.includes('refused CONFIG GET maxmemory-policy'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('NOPERM');
    // The user works for everything else: a request is recorded and posted.
    await h.command('i-bp1aclaclaclaclacl01');
    await h.waitForRequest();
    // The password the bot authenticates with is never logged.
    expect(h.logs.join('')).not.toContain(PASSWORD);
  });
});
