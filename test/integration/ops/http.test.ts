import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, type Harness, startHarness } from '../../support/bot-harness.js';
import { waitFor } from '../../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
}

/** The value of one Prometheus series, e.g. `hbr_bot_decisions_total{outcome="approved"}`. */
function series(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz when Redis and the Slack token are fine', async () => {
    harness = await startHarness();
    expect(await get(`${harness.bot.url}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    const ready = await get(`${harness.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
  });

  it('is not ready, with the reason, when the Slack token does not verify', async () => {
    harness = await startHarness({ env: { SLACK_BOT_TOKEN: 'xoxb-revoked-token' } });
    expect((await get(`${harness.bot.url}/healthz`)).status).toBe(200);
    const ready = await get(`${harness.bot.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).reasons.join(' ')).toMatch(
      /Slack token not verified: the Slack bot token is invalid/,
    );
    expect(ready.body).not.toContain('xoxb-revoked-token');
  });

  it('exports counters, histograms and gauges after a full install, behind METRICS_TOKEN', async () => {
    harness = await startHarness({ env: { METRICS_TOKEN: 'metrics-secret-123' } });
    const h = harness;
    expect((await get(`${h.bot.url}/metrics`)).status).toBe(401);
    expect((await get(`${h.bot.url}/metrics`, { authorization: 'Bearer wrong' })).status).toBe(401);

    h.hbr.injectFaults('DescribeTask', { kind: 'throttling' });
    h.slack.failNext('chat.getPermalink', { error: 'channel_not_found' });
    await h.command('i-bp1opsopsopsopsops01 i-bp1opsopsopsopsops02');
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, {
      message: 'installed',
      timeoutMs: 10_000,
    });

    // The pre-flight look-up runs in its own job: wait until it has been counted.
    const scrape = await waitFor(
      async () => {
        const answer = await get(`${h.bot.url}/metrics`, { authorization: 'Bearer metrics-secret-123' });
        return series(answer.body, 'hbr_bot_ecs_calls_total{action="DescribeInstances",code="200"}') === 1
          ? answer
          : undefined;
      },
      { message: 'pre-flight call counted' },
    );
    expect(scrape.status).toBe(200);
    const m = scrape.body;
    expect(series(m, 'hbr_bot_commands_total{command="/hbr-install",outcome="posted"}')).toBe(1);
    expect(series(m, 'hbr_bot_decisions_total{outcome="approved"}')).toBe(1);
    expect(series(m, 'hbr_bot_instance_outcomes_total{operation="install",outcome="succeeded"}')).toBe(2);
    expect(series(m, 'hbr_bot_hbr_calls_total{action="InstallBackupClients",code="200"}')).toBe(1);
    expect(series(m, 'hbr_bot_ecs_calls_total{action="DescribeInstances",code="200"}')).toBe(1);
    expect(series(m, 'hbr_bot_hbr_calls_total{action="DescribeTask",code="Throttling.User"}')).toBe(1);
    expect(series(m, 'hbr_bot_hbr_call_latency_seconds_count{action="DescribeTask"}')).toBeGreaterThanOrEqual(2);
    expect(series(m, 'hbr_bot_ack_latency_seconds_count{kind="command"}')).toBe(1);
    expect(series(m, 'hbr_bot_ack_latency_seconds_count{kind="action"}')).toBe(1);
    expect(series(m, 'hbr_bot_queue_jobs{queue="poll",state="delayed"}')).toBe(0);
    expect(series(m, 'hbr_bot_tracked_tasks')).toBe(0);
    expect(m).toContain('hbr_bot_process_resident_memory_bytes');
    expect(m).not.toContain('metrics-secret-123');
  });

  it('counts Slack API errors by method and code', async () => {
    harness = await startHarness({ env: { HBR_APPROVAL_CHANNEL: 'CAPPROVALS' } });
    const h = harness;
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await h.command('i-bp1opsopsopsopsops03');
    await waitFor(() => h.slack.ephemerals().find((e) => /not a member of that channel/.test(JSON.stringify(e))), {
      message: 'requester told the bot is not in the channel',
    });
    const m = (await get(`${h.bot.url}/metrics`)).body;
    expect(series(m, 'hbr_bot_slack_api_errors_total{method="chat.postMessage",error="not_in_channel"}')).toBe(1);
  });
});
