/**
 * Load: 200 slash commands from 20 senders at once (10 each, back to back). Every one is
 * acknowledged in under 3 s (Slack's limit), every request is posted and its requester told, and
 * nothing fails: no error log line, no command counted as error or unavailable. The distribution of
 * ack times is printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

const SENDERS = 20;
const PER_SENDER = 10;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('load', () => {
  it(`acknowledges ${SENDERS * PER_SENDER} commands from ${SENDERS} concurrent senders in under 3 s each, without an error`, {
    timeout: 60_000,
  }, async () => {
    harness = await startHarness();
    const h = harness;
    const users = Array.from({ length: SENDERS }, (_, i) => `ULOADSEND${String(i).padStart(2, '0')}`);
    const latencies: number[] = [];
    const statuses: number[] = [];
    const started = performance.now();
    await Promise.all(
      users.map(async (user, sender) => {
        for (let i = 0; i < PER_SENDER; i += 1) {
          const id = `i-bp1load${String(sender).padStart(2, '0')}load${String(i).padStart(6, '0')}`;
          const response = await h.command(`${id} i-bp1loadloadloadload99 ${id}`, user);
          latencies.push(response.latencyMs);
          statuses.push(response.status);
        }
      }),
    );
    const wallMs = performance.now() - started;
    const sorted = [...latencies].sort((a, b) => a - b);
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    console.log(
      `load: ${sorted.length} acks in ${ms(wallMs)} — min ${ms(sorted[0] ?? NaN)}, p50 ${ms(percentile(sorted, 50))}, ` +
        `p90 ${ms(percentile(sorted, 90))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1) ?? NaN)}`,
    );

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(sorted.at(-1)).toBeLessThan(3000);
    const total = SENDERS * PER_SENDER;
    await waitFor(() => h.requestMessages().length >= total || undefined, {
      message: `${total} requests posted`,
      timeoutMs: 20_000,
    });
    await waitFor(() => users.every((u) => h.slack.ephemerals(u).length === PER_SENDER) || undefined, {
      message: 'every requester told',
      timeoutMs: 10_000,
    });
    expect(h.requestMessages()).toHaveLength(total);
    for (const user of users) {
      for (const answer of h.slack.ephemerals(user)) expect(JSON.stringify(answer)).toMatch(/posted/);
    }
    const errors = h.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
    const metrics = await (await h.ops('/metrics')).text();
    expect(metrics).toMatch(new RegExp(`hbr_bot_commands_total\\{command="/hbr-install",outcome="posted"\\} ${total}`));
    expect(metrics).not.toMatch(/hbr_bot_commands_total\{[^}]*outcome="(error|unavailable|post_failed)"\}/);
  });
});
