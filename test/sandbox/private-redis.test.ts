/**
 * The first run needs no Redis service: the sandbox (and the test suite) start a redis-server of their
 * own when nothing answers, stop it with themselves, and leave none behind when killed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { redisAnswers, startPrivateRedis } from '../../sandbox/private-redis.js';
import { SandboxStartError, startSandbox } from '../../sandbox/sandbox.js';
import { ensureRedis } from '../support/global-redis.js';
import { waitFor } from '../support/wait-for.js';

/** Nothing listens on port 1: where a test says "no Redis service runs". */
const NO_REDIS = 'redis://127.0.0.1:1';
const quiet = () => pino({ level: 'silent' });

describe('a private redis-server', () => {
  it('answers on a loopback port, and stop() ends it and removes its data directory', async () => {
    const redis = await startPrivateRedis();
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redisAnswers(redis.url)).toBe(true);
    await redis.stop();
    expect(await redisAnswers(redis.url)).toBe(false);
    expect(existsSync(redis.dataDir)).toBe(false);
  });

  it('does not outlive a parent killed with SIGKILL', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', 'test/support/private-redis-main.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    parent.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await waitFor(() => /^(redis:\/\/\S+)\n/.exec(stdout)?.[1], {
      timeoutMs: 15_000,
      message: 'the parent printing its Redis URL',
    });
    expect(await redisAnswers(url)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(async () => !(await redisAnswers(url)), {
      timeoutMs: 10_000,
      message: `${url} stopping after its parent died`,
    });
  }, 30_000);
});

describe('the sandbox without a Redis service', () => {
  it('starts its own redis-server, says so in its banner, serves the page, and stops it on stop()', async () => {
    const sandbox = await startSandbox({
      env: { PORT: '0', PATH: process.env.PATH },
      logger: quiet,
      defaultRedisUrl: NO_REDIS,
    });
    const target = sandbox.config.bot.redis;
    const url = target.mode === 'single' ? target.url : '';
    try {
      expect(sandbox.banner).toContain(`Redis at ${url}, a redis-server of its own, stopped with it`);
      expect(url).not.toBe(NO_REDIS);
      expect((await fetch(sandbox.url)).status).toBe(200);
    } finally {
      await sandbox.stop();
    }
    expect(await redisAnswers(url)).toBe(false);
  }, 30_000);

  it('says how to install redis-server, or where to point REDIS_URL, when there is none on PATH', async () => {
    const started = startSandbox({
      env: { PORT: '0', PATH: '/nonexistent' },
      logger: quiet,
      defaultRedisUrl: NO_REDIS,
    });
    await expect(started).rejects.toBeInstanceOf(SandboxStartError);
    await expect(started).rejects.toThrow(
      /nothing answers at redis:\/\/127\.0\.0\.1:1 and redis-server is not on PATH.*apt-get install redis-server.*brew install redis.*REDIS_URL/,
    );
  });

  it('uses REDIS_URL when it is set, and starts nothing', async () => {
    const env: NodeJS.ProcessEnv = { REDIS_URL: 'redis://example.invalid:6379' };
    expect(await ensureRedis(env, NO_REDIS)).toBeUndefined();
    expect(env.REDIS_URL).toBe('redis://example.invalid:6379');
  });
});

describe('the test suite without a Redis service', () => {
  it('sets REDIS_URL to a redis-server of its own and stops it at teardown', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    const teardown = await ensureRedis(env, NO_REDIS);
    expect(teardown).toBeDefined();
    expect(await redisAnswers(env.REDIS_URL!)).toBe(true);
    await teardown!();
    expect(await redisAnswers(env.REDIS_URL!)).toBe(false);
  });
});
