import { setTimeout as delay } from 'node:timers/promises';

export { delay };

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time; results in order. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Waits until `probe` returns true, checking every `intervalMs`; throws with `what` after `timeoutMs`. */
export async function until(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/** Waits until `count()` stops changing for `quietMs` (work triggered earlier has drained). */
export async function untilQuiet(
  what: string,
  count: () => Promise<number>,
  quietMs = 300,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  let since = Date.now();
  for (;;) {
    await delay(50);
    const now = await count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to settle`);
  }
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A request id in the bot's format (`r` + 12 base32 characters), derived from a run tag and a number. */
export function benchRequestId(tag: string, n: number): string {
  let digits = '';
  let value = n;
  for (let i = 0; i < 7; i += 1) {
    digits = BASE32[value % 32]! + digits;
    value = Math.floor(value / 32);
  }
  return `r${tag.slice(0, 5)}${digits}`;
}

/** A syntactically valid ECS instance id, unique per (group, index). */
export function instanceId(group: number, index: number): string {
  return `i-bench${group.toString(36).padStart(6, '0')}${index.toString(36).padStart(4, '0')}`;
}
