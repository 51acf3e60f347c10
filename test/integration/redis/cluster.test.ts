/**
 * The bot on a real 3-master Redis Cluster of the test's own (redis-topologies.ts), with the
 * hash-tagged key prefix a Cluster requires: the install flow end to end (two HBR calls, polls, one
 * final reply), uninstall, status, readiness naming a master that may evict, the sandbox clearing its
 * keys on every master, and `npm start` with REDIS_CLUSTER_NODES serving a request, or refusing to
 * start without a hash tag and saying why.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../sandbox/sandbox.js';
import { dataNodes, nodeAddress } from '../../../src/redis/connections.js';
import { APPROVER, type Harness, instanceIdsFor as ids, REQUESTER, startHarness } from '../../support/bot-harness.js';
import { type ProcessWorld, startProcessWorld } from '../../support/process-world.js';
import { clusterRedis, connectTo, type TestRedis } from '../../support/redis-target.js';
import { type RedisClusterSet, startRedisCluster } from '../../support/redis-topologies.js';
import { waitFor } from '../../support/wait-for.js';

let cluster: RedisClusterSet;
let redis: TestRedis;
let harness: Harness | undefined;
let world: ProcessWorld | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = clusterRedis(cluster);
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});
afterEach(async () => {
  await harness?.close();
  await world?.close();
  harness = undefined;
  world = undefined;
});

/** The masters holding at least one key under `prefix`. */
async function mastersWithKeys(connection: Harness['redis'], prefix: string): Promise<string[]> {
  // A Cluster connection knows its nodes once it is ready.
  if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
  const holding: string[] = [];
  for (const node of dataNodes(connection)) {
    const [, keys] = await node.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    if (keys.length > 0) holding.push(nodeAddress(node));
  }
  return holding;
}

const finalReply = (h: Harness, message: Parameters<Harness['threadReplies']>[0]) =>
  waitFor(() => h.threadReplies(message).find((r) => h.textOf(r).includes(`<@${REQUESTER}>`)), {
    message: 'final reply mentioning the requester',
    timeoutMs: 15_000,
  });

describe('on a 3-master Redis Cluster', () => {
  it('installs end to end, every key of the bot in one slot of one master', async () => {
    harness = await startHarness({ redis, hbr: { pollsToComplete: 2 } });
    const h = harness;
    expect(h.prefix).toMatch(/^\{hbrtest-[0-9a-f]+\}$/);
    expect(h.redis).toBeInstanceOf(Cluster);
    const instances = ids(23, 'c');
    await h.command(instances.join(' '));
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    const final = await finalReply(h, message);
    expect(h.textOf(final)).toMatch(/Installed on all 23|Installed on 23 of 23/);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(2);
    expect(h.hbr.callsOf('DescribeTask').length).toBeGreaterThanOrEqual(4);
    expect(h.threadReplies(message).filter((r) => h.textOf(r).includes(`<@${REQUESTER}>`))).toHaveLength(1);
    // One hash tag, so one slot: BullMQ's scripts and the bot's could not run across slots.
    expect(await mastersWithKeys(h.redis, h.prefix)).toHaveLength(1);
    const record = await h.redis.hgetall(`${h.prefix}:request:${requestId}`);
    expect(record.status).toBe('finished');
  });

  it('uninstalls end to end', async () => {
    harness = await startHarness({ redis });
    const h = harness;
    const [a, b] = ids(2, 'u');
    for (const id of [a!, b!]) h.hbr.seedClient(id);
    await h.slash('/hbr-uninstall', `${a} ${b}`);
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    const final = await finalReply(h, message);
    expect(h.hbr.callsOf('UninstallBackupClients')).toHaveLength(1);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(0);
    expect(h.textOf(final)).toContain(a!);
  });

  it('answers status', async () => {
    harness = await startHarness({ redis });
    const h = harness;
    const [protectedOne, none] = ids(2, 's');
    h.hbr.seedClient(protectedOne!, { status: 'ACTIVATED', clientVersion: '2.14.0', maxClientVersion: '2.14.0' });
    expect((await h.slash('/hbr-status', `${protectedOne} ${none}`)).status).toBe(200);
    const text = await waitFor(() => h.repliesTo().find((t) => /HBR backup client status/.test(t)), {
      message: 'status answered',
    });
    expect(text).toMatch(new RegExp(`${protectedOne}\`? \\*protected\\*`));
    expect(text).toMatch(new RegExp(`${none}\`? \\*no backup client\\*`));
  });

  it('is not ready while one master may evict keys, and names it', async () => {
    harness = await startHarness({ redis });
    const h = harness;
    const readyz = async () => {
      const response = await h.ops('/readyz');
      return { status: response.status, body: await response.text() };
    };
    expect((await readyz()).status).toBe(200);
    const [, second] = dataNodes(h.redis);
    await second!.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const answer = await readyz();
      expect(answer.status).toBe(503);
      // The policy by name; which master, by address, only in the log.
      expect(JSON.parse(answer.body)).toEqual({ status: 'not ready', reasons: ['redis-eviction-policy: allkeys-lru'] });
      expect(h.logs.join('')).toContain(nodeAddress(second!));
    } finally {
      await second!.config('SET', 'maxmemory-policy', 'noeviction');
    }
    expect((await readyz()).status).toBe(200);
  });

  it('runs the sandbox on the Cluster, and its stop clears its keys on every master', async () => {
    const base = `{hbrsbx-${randomBytes(4).toString('hex')}}`;
    const sandbox = await startSandbox({
      env: { PORT: '0', REDIS_CLUSTER_NODES: cluster.nodeList, HBR_QUEUE_PREFIX: base },
      logger: () => pino({ level: 'silent' }),
    });
    const prefix = `${base}-sandbox`;
    const connection = connectTo(redis);
    try {
      expect(sandbox.banner).toContain(`Redis at Redis Cluster at ${cluster.nodeList}, keys under ${prefix}:`);
      expect(await mastersWithKeys(connection, prefix)).toHaveLength(1);
    } finally {
      await sandbox.stop();
    }
    expect(await mastersWithKeys(connection, prefix)).toEqual([]);
    await connection.quit();
  });

  it('`npm start` with REDIS_CLUSTER_NODES and HBR_QUEUE_PREFIX={…} serves a request end to end', async () => {
    world = await startProcessWorld({ redis, hbr: { pollsToComplete: 2 } });
    const w = world;
    expect(w.prefix).toMatch(/^\{hbrhard-[0-9a-f]+\}$/);
    const bot = await w.spawn();
    expect(bot.lines.join('\n')).toContain('"mode":"cluster"');
    expect((await w.command(bot, 'i-bp1clusterclustercl01')).status).toBe(200);
    const message = await waitFor(() => w.requestMessages()[0], { message: 'request posted' });
    expect((await w.click(bot, 'approve', message)).status).toBe(200);
    await waitFor(() => w.finalReplies(message)[0], { message: 'final reply', timeoutMs: 15_000 });
    expect(w.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
    expect(await bot.stop('SIGTERM')).toBe(0);
  });

  it('`npm start` in cluster mode without a hash tag in the prefix exits 1 and says why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        SLACK_BOT_TOKEN: 'xoxb-cluster-test',
        SLACK_SIGNING_SECRET: 'cluster-test-secret',
        HBR_APPROVERS: APPROVER,
        HBR_REQUESTERS: '*',
        HBR_ALLOWED_CHANNELS: '*',
        REDIS_CLUSTER_NODES: cluster.nodeList,
        HBR_QUEUE_PREFIX: 'hbr',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^hbr-bot cannot start: the configuration has 1 problem\(s\):/);
    expect(stderr).toContain('HBR_QUEUE_PREFIX: Redis Cluster (REDIS_CLUSTER_NODES) needs a hash tag');
    expect(stderr).toContain('HBR_QUEUE_PREFIX={hbr}');
    expect(stderr).toMatch(/hashes to one slot/);
  });
});
