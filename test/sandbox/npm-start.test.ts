/**
 * `npm start` with no Slack variable: the sandbox, announced in one line, stopped by SIGINT; and the
 * one message a newcomer without Redis gets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** What `npm start` runs (tsx on src/main.ts), with only the variables given. */
function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('npm start without Slack variables', () => {
  it('starts the sandbox, prints one line with its URL, serves the page and stops on SIGINT', async () => {
    const started = start({ PORT: '0', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', HBR_QUEUE_PREFIX: `hbrtest-${randomBytes(5).toString('hex')}` });
    try {
      const line = await waitFor(() => (started.stdout().includes('\n') ? started.stdout() : undefined), { timeoutMs: 20_000, message: `banner (stderr: ${started.stderr()})` });
      expect(line).toMatch(/^hbr-bot sandbox: open http:\/\/localhost:\d+\/ \(no Slack or Alibaba account used; Redis at redis:\/\/[^)]*\)\n$/);
      const port = /localhost:(\d+)/.exec(line)![1];
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('#hbr-ops');
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
      expect(started.stdout()).toBe(line);
      expect(started.stderr()).toBe('');
    } finally {
      started.child.kill('SIGKILL');
    }
  }, 30_000);

  it('says how to start Redis when it does not answer', async () => {
    // Nothing listens on port 1: the connection is refused at once.
    const started = start({ PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toMatch(/needs Redis, and redis:\/\/127\.0\.0\.1:\d+ does not answer .*Start one with `redis-server`/);
    expect(started.stdout()).toBe('');
  }, 30_000);
});
