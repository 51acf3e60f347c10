/**
 * Child side of the bench's IPC protocol (see child.ts): `serve(handlers)` answers the parent's
 * calls and shuts the process down when asked (running `onShutdown` first).
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { RpcAnswer, RpcRequest } from './child.js';

// Event-loop delay and GC pauses of this process since the last `stalls()` call: what makes a
// request wait even when the CPU is not saturated.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push(entry.duration);
}).observe({ entryTypes: ['gc'] });

export interface Stalls {
  /** Event-loop delay percentiles, ms (5 ms sampling resolution). */
  loopDelayP99: number;
  loopDelayMax: number;
  gcPauseTotalMs: number;
  gcPauseMaxMs: number;
  gcCount: number;
}

/** Event-loop delay and GC pauses since the previous call. */
function stalls(): Stalls {
  const result = {
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
    gcPauseTotalMs: gcPauses.reduce((a, b) => a + b, 0),
    gcPauseMaxMs: gcPauses.length === 0 ? 0 : Math.max(...gcPauses),
    gcCount: gcPauses.length,
  };
  loopDelay.reset();
  gcPauses = [];
  return result;
}

export type Handlers = Record<string, (...args: never[]) => unknown>;

export function serve(handlers: Handlers, onShutdown: () => Promise<void> = async () => undefined): void {
  if (process.send === undefined)
    throw new Error('this bench server must be started by bench/run.ts (it needs an IPC channel)');
  const send = (answer: RpcAnswer) => process.send?.(answer);
  process.on('message', (request: RpcRequest) => {
    if (request.method === '__shutdown') {
      onShutdown()
        .catch((error: unknown) => process.stderr.write(`shutdown failed: ${String(error)}\n`))
        .finally(() => process.exit(0));
      return;
    }
    const handler = request.method === 'stalls' ? stalls : handlers[request.method];
    if (handler === undefined) {
      send({ id: request.id, ok: false, error: `unknown method ${request.method}` });
      return;
    }
    Promise.resolve()
      .then(() => (handler as (...args: unknown[]) => unknown)(...request.args))
      .then(
        (result) => send({ id: request.id, ok: true, result }),
        (error: unknown) =>
          send({
            id: request.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  // The parent going away (Ctrl-C, crash) must not leave this process behind.
  process.on('disconnect', () => {
    onShutdown().finally(() => process.exit(0));
  });
  process.send({ ready: true });
}

/**
 * CPU time (user + system, ms), RSS and heap of this process; with `collect`, a full GC first, so
 * heapUsed is the live heap (the bench starts its servers with --expose-gc).
 */
export function usage(collect = false) {
  if (collect) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1000, rss: memory.rss, heapUsed: memory.heapUsed, at: Date.now() };
}

export type Usage = ReturnType<typeof usage>;
