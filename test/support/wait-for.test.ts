import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    let n = 0;
    const value = await waitFor(
      () => {
        n += 1;
        return n >= 3 ? { n } : undefined;
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ n: 3 });
  });

  it('returns immediately when the probe is already satisfied, including falsy-but-real values', async () => {
    await expect(waitFor(() => 0)).resolves.toBe(0);
    await expect(waitFor(() => '')).resolves.toBe('');
    await expect(waitFor(() => true)).resolves.toBe(true);
  });

  it('awaits async probes', async () => {
    let n = 0;
    await expect(waitFor(async () => (++n === 2 ? 'ready' : false), { intervalMs: 1 })).resolves.toBe('ready');
  });

  it('treats a throwing probe as not ready yet', async () => {
    let n = 0;
    const value = await waitFor(
      () => {
        n += 1;
        expect(n).toBeGreaterThan(2);
        return n;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  it('times out with the message and the last value seen', async () => {
    let n = 0;
    const started = Date.now();
    const error = await waitFor(
      () => {
        n += 1;
        return null;
      },
      { timeoutMs: 60, intervalMs: 5, message: 'bot never answered' },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^bot never answered \(timed out after 60 ms, \d+ attempt\(s\); last value: null\)$/,
    );
    expect(n).toBeGreaterThan(2);
  });

  it('reports the last value and the last error of the probe on timeout', async () => {
    const calls = [{ method: 'auth.test' }];
    const last = await waitFor(() => calls.length > 1 && calls, { timeoutMs: 20, intervalMs: 5 }).catch(
      (e: Error) => e.message,
    );
    expect(last).toMatch(/^waitFor: condition not met \(timed out after 20 ms.*last value: false\)$/);
    const failing = await waitFor(
      () => {
        throw new Error('not there yet');
      },
      { timeoutMs: 20, intervalMs: 5, message: 'status' },
    ).catch((e: Error) => e.message);
    expect(failing).toMatch(/^status \(timed out after 20 ms.*last error: not there yet\)$/);
  });

  it('does not hang on a probe that never settles', async () => {
    const error = await waitFor(() => new Promise<string>(() => {}), { timeoutMs: 30, message: 'stuck probe' }).catch(
      (e: Error) => e.message,
    );
    expect(error).toMatch(/^stuck probe \(timed out after 30 ms/);
  });
});
