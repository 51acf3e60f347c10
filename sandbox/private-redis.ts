/**
 * A redis-server of the sandbox's (and the test suite's) own, for a first run on a machine where Redis
 * is installed but not running: started from PATH on a free loopback port, stopped with its parent.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

/** Where a sandbox looks for Redis when REDIS_URL is not set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface PrivateRedis {
  url: string;
  dataDir: string;
  /** Stops redis-server and removes the data directory it made; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Whether a Redis at `url` answers PING within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // the failed connect() says it
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The path of an executable `command` on PATH, or null. */
function findOnPath(command: string, path = process.env.PATH ?? ''): string | null {
  for (const folder of path.split(delimiter).filter((entry) => entry !== '')) {
    const candidate = join(folder, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The shell between the parent and redis-server. The parent holds the write end of its stdin, which
 * the kernel closes however the parent ends (kill -9 included): `read` then returns and the server is
 * stopped, so no redis-server outlives the sandbox.
 */
const TIED_TO_PARENT = 'redis-server "$@" & server=$!; read -r _; kill "$server" 2>/dev/null; wait "$server"';

export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
}

/**
 * Starts redis-server on a free loopback port, keeping nothing on disk, with its working directory in
 * `dataDir` (made when missing) or a new folder under the OS temp dir. Resolves once it answers PING.
 */
export async function startPrivateRedis(options: { dataDir?: string; path?: string } = {}): Promise<PrivateRedis> {
  const binary = findOnPath('redis-server', options.path);
  if (binary === null) throw new RedisServerMissingError('redis-server is not on PATH');
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hbr-sandbox-redis-'));
  mkdirSync(dataDir, { recursive: true });
  const port = await freeLoopbackPort();
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dataDir,
    '--loglevel',
    'warning',
  ];
  // Its own process group: a Ctrl-C in the terminal reaches the sandbox, which then stops Redis last.
  const child = spawn('sh', ['-c', TIED_TO_PARENT, 'sh', ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true,
    env: { ...process.env, PATH: options.path ?? process.env.PATH },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin.end();
    await exited;
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} did not start${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The sandbox stops it explicitly; a parent that exits without doing so must not wait for it.
  child.unref();
  child.stdin.on('error', () => undefined); // EPIPE once the server is gone
  return { url, dataDir, stop };
}
