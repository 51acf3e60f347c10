/**
 * Parent side of the bench's child processes: each server (hbr-bot, the bare floors, the stand-ins)
 * runs in its own Node process, started with tsx, and is driven over the IPC channel with a tiny
 * request/answer protocol. Keeping every server in its own process gives the bot and its floor the
 * same conditions (one event loop each, same Node flags) and lets the bench read each one's CPU time.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RpcRequest {
  id: number;
  method: string;
  args: unknown[];
}

export type RpcAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** Asks the child to shut down, then kills it (by its pid) if it is still there after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();

/** This process and every child still running: the bench's own CPU consumers. */
export function benchPids(): number[] {
  return [process.pid, ...[...children].map((c) => c.pid ?? 0).filter((pid) => pid > 0)];
}

/** Kills every child still running (used on a harness failure or Ctrl-C). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** Counts a process the caller spawned itself (the bot started as `npm start` runs it) among those killed on failure or Ctrl-C. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export async function startChild(name: string, script: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
  const child = fork(path, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, ...env },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }
  >();
  let nextId = 1;
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      children.delete(child);
      for (const { reject, method } of pending.values()) {
        reject(
          new Error(
            `${name} exited (code ${code}, signal ${signal}) during ${method}; stderr: ${stderr.trim().slice(-1500)}`,
          ),
        );
      }
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: RpcAnswer | { ready: true }) => {
    if ('ready' in message) return;
    const waiting = pending.get(message.id);
    if (waiting === undefined) return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.result);
    else waiting.reject(new Error(`${name}.${waiting.method}: ${message.error}`));
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'ready' in message) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with code ${code} before it was ready; stderr: ${stderr.trim().slice(-1500)}`)),
    );
  });

  return {
    name,
    pid: child.pid ?? -1,
    call<T>(method: string, ...args: unknown[]): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running (${method})`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method });
        child.send({ id, method, args } satisfies RpcRequest);
      });
    },
    async close(graceMs = 10_000) {
      if (exited) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.send({ id: 0, method: '__shutdown', args: [] } satisfies RpcRequest);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
