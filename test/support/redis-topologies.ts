/**
 * Real highly-available Redis set-ups of the test's own, from Debian's `redis-server`: a 3-master
 * Cluster and a Sentinel set (a primary, a replica, three sentinels), each on free loopback ports,
 * in a temporary directory, stopped and removed by `destroy()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../sandbox/private-redis.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface HostPort {
  host: string;
  port: number;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * `count` ports, each free together with port + 10000 (a cluster node's bus port), all below 55536 so
 * the bus port stays a valid port. Random, so parallel test files rarely collide; checked, so they never
 * start on a taken one.
 */
async function freeNodePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (ports.includes(port) || ports.includes(port - 10_000) || ports.includes(port + 10_000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

/** A redis-server child; resolves once it answers PING. */
async function startServer(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} exited with ${child.exitCode}`);
      return redisAnswers(`redis://127.0.0.1:${port}`);
    },
    { timeoutMs: 10_000, intervalMs: 50, message: `redis-server on ${port} answering` },
  );
  return child;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

/** One answer from the server at `port`, on a short-lived connection. */
async function ask(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported by the rejected call instead
  try {
    await client.connect();
    const [name, ...args] = command;
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

export interface RedisClusterSet {
  nodes: HostPort[];
  /** `host:port,host:port,…`, as REDIS_CLUSTER_NODES takes it. */
  nodeList: string;
  destroy(): Promise<void>;
}

/** Three masters, no replicas, every slot covered; resolves once every node reports cluster_state:ok. */
export async function startRedisCluster(): Promise<RedisClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-cluster-'));
  const ports = await freeNodePorts(3);
  const children: ChildProcess[] = [];
  try {
    for (const port of ports) {
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dbfilename',
        `dump-${port}.rdb`,
      ];
      children.push(await startServer(args, port));
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    await waitFor(
      async () => {
        for (const port of ports)
          if (!String(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'every cluster node reporting cluster_state:ok' },
    );
  } catch (error) {
    await stopAll(children);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    nodeList: ports.map((port) => `127.0.0.1:${port}`).join(','),
    async destroy() {
      await stopAll(children);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSentinelSet {
  /** The name the sentinels monitor the primary under. */
  name: string;
  sentinels: HostPort[];
  /** `host:port,host:port,…`, as REDIS_SENTINELS takes it. */
  sentinelList: string;
  /** The data node the sentinels name as primary now. */
  primary(): Promise<HostPort>;
  /** SENTINEL FAILOVER; resolves once the sentinels name the other node as primary. */
  failover(): Promise<HostPort>;
  destroy(): Promise<void>;
}

/** Asks a sentinel which node is primary. */
async function primaryAt(sentinelPort: number, name: string): Promise<HostPort> {
  const answer = (await ask(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
  if (answer === null) throw new Error(`sentinel ${sentinelPort} does not know ${name}`);
  return { host: answer[0], port: Number(answer[1]) };
}

export interface SentinelSetOptions {
  /** What the sentinels monitor the primary as (default `hbrprimary`). */
  name?: string;
  /**
   * `min-replicas-to-write` of the data nodes (default 0, Redis' own): with 1, a primary that lost its
   * replica (promoted in a failover) refuses writes at once instead of accepting writes that the
   * failover then throws away, as docs/deployment.md advises.
   */
  minReplicasToWrite?: number;
}

/**
 * A primary, a replica of it, and three sentinels (quorum 2) that notice a failure within a second.
 * Resolves once every sentinel knows the replica and the other two sentinels, so a failover can run.
 */
export async function startRedisSentinelSet(options: SentinelSetOptions = {}): Promise<RedisSentinelSet> {
  const name = options.name ?? 'hbrprimary';
  const dir = mkdtempSync(join(tmpdir(), 'hbr-sentinel-'));
  const [primaryPort, replicaPort, ...sentinelPorts] = await freeNodePorts(5);
  const children: ChildProcess[] = [];
  const dataArgs = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dbfilename',
    `dump-${port}.rdb`,
    // A replica in sync at once, not after the 5 s a diskless full sync waits for more replicas by default.
    '--repl-diskless-sync-delay',
    '0',
    '--min-replicas-to-write',
    String(options.minReplicasToWrite ?? 0),
    '--min-replicas-max-lag',
    '10',
  ];
  try {
    children.push(await startServer(dataArgs(primaryPort!), primaryPort!));
    children.push(
      await startServer([...dataArgs(replicaPort!), '--replicaof', '127.0.0.1', String(primaryPort)], replicaPort!),
    );
    for (const port of sentinelPorts) {
      // A sentinel rewrites its own configuration file, so each gets one.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      children.push(await startServer([file, '--sentinel'], port));
    }
    await waitFor(
      async () => {
        for (const port of sentinelPorts) {
          const replicas = (await ask(port, 'SENTINEL', 'replicas', name)) as unknown[];
          const others = (await ask(port, 'SENTINEL', 'sentinels', name)) as unknown[];
          if (replicas.length < 1 || others.length < 2) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'every sentinel knowing the replica and the other sentinels' },
    );
  } catch (error) {
    await stopAll(children);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const firstSentinel = sentinelPorts[0]!;
  return {
    name,
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    sentinelList: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    primary: () => primaryAt(firstSentinel, name),
    async failover() {
      const before = await primaryAt(firstSentinel, name);
      await ask(firstSentinel, 'SENTINEL', 'FAILOVER', name);
      return waitFor(
        async () => {
          const now = await primaryAt(firstSentinel, name);
          if (now.port === before.port) return false;
          // Promoted and answering as a primary, not only named.
          const role = (await ask(now.port, 'ROLE')) as [string, ...unknown[]];
          return role[0] === 'master' ? now : false;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: `a failover of ${name} away from port ${before.port}` },
      );
    },
    async destroy() {
      await stopAll(children);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
