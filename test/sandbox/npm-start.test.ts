/**
 * `npm start` with no Slack variable: the compiled bot opens the sandbox, announced in one line,
 * stopped by SIGINT; the one message a newcomer without Redis gets; and with NODE_ENV=production the
 * ordinary configuration error instead of a sandbox.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_VARIABLES } from '../support/required-variables.js';
import { waitFor } from '../support/wait-for.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * `npm start` itself (it compiles, then runs dist/src/main.js), with only the variables given, in a
 * process group of its own: Ctrl-C in a terminal signals the whole group, npm and the bot alike.
 */
function start(env: Record<string, string>): Started {
  const child = spawn('npm', ['start', '--silent'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Ends whatever of the group is left after a failed assertion (nothing, when the test passed). */
function killGroup(started: Started): void {
  try {
    process.kill(-started.child.pid!, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

describe('npm start without Slack variables', () => {
  // The compile npm start runs first is incremental: done once here, each start below only checks it.
  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build:sandbox', '--silent'], { encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
  }, 180_000);

  it('starts the sandbox, prints one line with its URL, serves the page and stops on SIGINT', async () => {
    const started = start({
      PORT: '0',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      HBR_QUEUE_PREFIX: `hbrtest-${randomBytes(5).toString('hex')}`,
    });
    try {
      const line = await waitFor(() => (started.stdout().includes('\n') ? started.stdout() : undefined), {
        timeoutMs: 20_000,
        message: `banner (stderr: ${started.stderr()})`,
      });
      expect(line).toMatch(
        /^hbr-bot sandbox: open http:\/\/localhost:\d+\/ \(no Slack or Alibaba account used; Redis at redis:\/\/[^)]*\)\n$/,
      );
      const port = /localhost:(\d+)/.exec(line)![1];
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('#hbr-ops');
      process.kill(-started.child.pid!, 'SIGINT');
      // npm ends itself with the signal it forwarded; the bot's own exit shows in what it printed.
      expect(await started.exited).toBeNull();
      expect(() => process.kill(-started.child.pid!, 0), 'nothing of the group is left').toThrow(/ESRCH/);
      expect(started.stdout()).toBe(line);
      expect(started.stderr()).toBe('');
    } finally {
      killGroup(started);
    }
  }, 30_000);

  it('says how to start Redis when it does not answer', async () => {
    // Nothing listens on port 1: the connection is refused at once.
    const started = start({ PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toMatch(
      /needs Redis, and redis:\/\/127\.0\.0\.1:\d+ does not answer .*unset REDIS_URL: the sandbox then runs a redis-server of its own/,
    );
    expect(started.stdout()).toBe('');
  }, 30_000);

  it('with NODE_ENV=production refuses to start, naming every missing variable, instead of opening the sandbox', async () => {
    const started = start({ NODE_ENV: 'production', PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toContain(`the configuration has ${REQUIRED_VARIABLES.length} problem(s)`);
    for (const name of REQUIRED_VARIABLES) expect(started.stderr()).toContain(`- ${name}: required`);
    expect(started.stdout()).toBe('');
  }, 30_000);
});
