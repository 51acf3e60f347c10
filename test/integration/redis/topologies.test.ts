/** The test's own Cluster and Sentinel set start, answer as they should, fail over, and stop. */
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedisCluster, startRedisSentinelSet } from '../../support/redis-topologies.js';

describe('test Redis topologies', () => {
  it('a 3-master Cluster serves keys on every node and is removed by destroy()', async () => {
    const cluster = await startRedisCluster();
    try {
      const client = new Cluster(cluster.nodes);
      for (let i = 0; i < 20; i += 1) await client.set(`k${i}`, String(i));
      expect(await client.get('k7')).toBe('7');
      expect(client.nodes('master')).toHaveLength(3);
      await client.quit();
    } finally {
      await cluster.destroy();
    }
  }, 60_000);

  it('a Sentinel set names a primary, and SENTINEL FAILOVER moves it to the replica', async () => {
    const set = await startRedisSentinelSet();
    try {
      const before = await set.primary();
      const client = new Redis({ sentinels: set.sentinels, name: set.name });
      await client.set('k', 'v');
      const after = await set.failover();
      expect(after.port).not.toBe(before.port);
      expect(await client.get('k')).toBe('v');
      client.disconnect();
    } finally {
      await set.destroy();
    }
  }, 90_000);
});
