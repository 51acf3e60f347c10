/**
 * Polls `probe` until it yields a value, instead of sleeping for a guessed duration.
 *
 * A probe result counts as "not yet" when it is undefined, null or false, or when the probe throws (so
 * `expect(...)` inside a probe works). Any other value (including 0 and '') is returned. On timeout it
 * throws an Error carrying `message`, the last value seen and the last error thrown by the probe.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between probes (default 20 ms). */
  intervalMs?: number;
  /** What was being waited for; starts the timeout error message. */
  message?: string;
}

type NotYet = undefined | null | false;

const PENDING = Symbol('pending');

export async function waitFor<T>(
  probe: () => T | NotYet | Promise<T | NotYet>,
  { timeoutMs = 5000, intervalMs = 20, message }: WaitForOptions = {},
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      // A probe that never settles must not outlive the deadline.
      const outcome = await Promise.race([
        Promise.resolve().then(probe),
        new Promise<typeof PENDING>((resolve) => {
          timer = setTimeout(() => resolve(PENDING), Math.max(remaining, 0));
        }),
      ]);
      if (outcome !== PENDING) {
        last = outcome;
        lastError = undefined;
        if (outcome !== undefined && outcome !== null && outcome !== false) return outcome as Exclude<T, NotYet>;
      }
    } catch (error) {
      lastError = error;
    } finally {
      if (timer) clearTimeout(timer);
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await delay(Math.min(intervalMs, left));
  }
  let text = `${message ?? 'waitFor: condition not met'} (timed out after ${timeoutMs} ms, ${attempts} attempt(s); last value: ${inspect(last, { depth: 4 })}`;
  if (lastError !== undefined) {
    text += `; last error: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`;
  }
  text += ')';
  throw new Error(text, { cause: lastError });
}
