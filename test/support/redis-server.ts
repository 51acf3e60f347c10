/**
 * A Redis of the test's own (`redis-server` on a free port, append-only file in a temporary
 * directory, as docker-compose runs it), so a test can stop and restart it without touching the
 * shared Redis on 6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from '../../sandbox/private-redis.js';
import { waitFor } from './wait-for.js';

export interface OwnRedis {
  port: number;
  url: string;
  /** Graceful stop (SHUTDOWN: the AOF is flushed); resolves once the process exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hbr-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--save',
      '',
    ];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    await waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
        return redisAnswers(url);
      },
      { timeoutMs: 10_000, intervalMs: 50, message: `redis-server on ${port} answering` },
    );
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    // SIGTERM makes redis-server shut down like SHUTDOWN: the append-only file is complete.
    running.kill('SIGTERM');
    await exited;
    child = null;
  };

  await start();
  return {
    port,
    url,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
