/**
 * Runs the bot as `npm start` does (node + tsx + src/main.ts) in a child process, so tests can send
 * it real signals and read its real log output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './wait-for.js';

export interface BotProcess {
  child: ChildProcess;
  /** Every line the process wrote to stdout or stderr. */
  lines: string[];
  port: number;
  url: string;
  /** Where /readyz and /metrics answer when OPS_PORT is set; null: on `url`. */
  opsUrl: string | null;
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `entry`: the script to run, `src/main.ts` unless a test needs another start (e.g. shorter job locks). */
export async function spawnBot(
  env: Record<string, string>,
  timeoutMs = 20_000,
  entry = 'src/main.ts',
): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`bot exited with ${child.exitCode}: ${lines.join('\n')}`);
      for (const line of lines) {
        const entry = parseLine(line);
        if (entry?.msg === 'hbr-bot started' && typeof entry.port === 'number')
          return { port: entry.port, opsPort: typeof entry.opsPort === 'number' ? entry.opsPort : null };
      }
      return undefined;
    },
    { timeoutMs, message: 'bot process started' },
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    lines,
    port: started.port,
    url: `http://127.0.0.1:${started.port}`,
    opsUrl: started.opsPort === null ? null : `http://127.0.0.1:${started.opsPort}`,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
