import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { redisAnswers } from '../../../src/ops/readiness.js';
import { APPROVER, type Harness, REDIS_URL, startHarness } from '../../support/bot-harness.js';
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

/**
 * Every command Redis executes, in order, as [client address, command, first argument], through
 * MONITOR on a raw socket (ioredis' monitor mode trips over replies that arrive while it switches).
 */
async function monitorRedis(): Promise<{ seen: Array<[string, string, string]>; stop(): void }> {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = connect(Number(port || 6379), hostname);
  await once(socket, 'connect');
  const seen: Array<[string, string, string]> = [];
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\r\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^\+\S+ \[\d+ (\S+)\] "([^"]+)"(?: "([^"]*)")?/.exec(line);
      if (match !== null) seen.push([match[1] ?? '', (match[2] ?? '').toLowerCase(), match[3] ?? '']);
    }
  });
  socket.write('MONITOR\r\n');
  await once(socket, 'data');
  return { seen, stop: () => socket.destroy() };
}

describe('health, readiness and metrics', () => {
  it('answers /healthz on PORT, and /readyz and /metrics only on OPS_PORT, when Redis and the Slack token are fine', async () => {
    harness = await startHarness();
    const { url, opsUrl } = harness.bot;
    expect(opsUrl).not.toBeNull();
    expect(await get(`${url}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await get(`${url}/readyz`)).status).toBe(404);
    expect((await get(`${url}/metrics`)).status).toBe(404);
    expect(await get(`${opsUrl}/readyz`)).toEqual({ status: 200, body: '{"status":"ready"}' });
    const metrics = await get(`${opsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('hbr_bot_commands_total');
    expect((await get(`${opsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${opsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('without OPS_PORT serves /readyz on PORT, and /metrics there only behind METRICS_TOKEN', async () => {
    harness = await startHarness({ env: { OPS_PORT: '' } });
    const { url, opsUrl } = harness.bot;
    expect(opsUrl).toBeNull();
    expect((await get(`${url}/readyz`)).status).toBe(200);
    expect((await get(`${url}/metrics`)).status).toBe(404);
    expect(harness.logs.join('')).toContain('GET /metrics is not served: set OPS_PORT');
    await harness.close();

    harness = await startHarness({ env: { OPS_PORT: '', METRICS_TOKEN: 'metrics-secret-456' } });
    expect((await get(`${harness.bot.url}/metrics`)).status).toBe(401);
    expect((await get(`${harness.bot.url}/metrics`, { authorization: 'Bearer metrics-secret-456' })).status).toBe(200);
  });

  it('is not ready when the Slack token does not verify, saying so by a code; the reason is in the log', async () => {
    harness = await startHarness({ env: { SLACK_BOT_TOKEN: 'xoxb-revoked-token' } });
    expect((await get(`${harness.bot.url}/healthz`)).status).toBe(200);
    const ready = await harness.ops('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reasons: ['slack-auth-failed'] });
    expect(harness.logs.join('')).toMatch(
      /"reason":"slack-auth-failed".*Slack token not verified: the Slack bot token is invalid/,
    );
  });

  it('says redis-unreachable when Redis does not answer, with the error (host, port) only in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    await dead.connect().catch(() => undefined);
    expect(await redisAnswers(dead, logger)()).toBe('redis-unreachable');
    expect(lines.join('')).toMatch(/not ready: Redis does not answer/);
    dead.disconnect();
    const live = new Redis(REDIS_URL);
    expect(await redisAnswers(live, logger)()).toBeNull();
    await live.quit();
  });

  it('serves the queue gauges from memory: a flood of scrapes sends nothing on the Slack handlers’ connection', async () => {
    harness = await startHarness();
    const h = harness;
    const name = `${h.config.queuePrefix}:slack`;
    const clients = (await h.redis.client('LIST')) as string;
    const address = /addr=(\S+) .*? name=(\S+)/g;
    const handlers = [...clients.matchAll(address)].find((m) => m[2] === name)?.[1];
    expect(handlers, `a Redis client named ${name}`).toBeDefined();
    const monitor = await monitorRedis();
    const marked = async (marker: string) => {
      await h.redis.echo(marker);
      return waitFor(
        () => monitor.seen.findIndex(([, command, arg]) => command === 'echo' && arg === marker) + 1 || undefined,
        {
          message: `${marker} seen`,
        },
      );
    };
    // The monitor sees the handlers' connection: a show reads the request store there.
    await h.slash('/hbr-install', 'show rabcdefghijkm');
    await waitFor(
      () => monitor.seen.some(([from, command]) => from === handlers && command === 'hgetall') || undefined,
      {
        message: "the show's look-up on the handlers' connection",
      },
    );
    const start = await marked(`flood-start-${h.config.queuePrefix}`);
    await Promise.all(Array.from({ length: 30 }, () => h.ops('/metrics').then((r) => r.text())));
    const metrics = await (await h.ops('/metrics')).text();
    expect(series(metrics, 'hbr_bot_queue_jobs{queue="poll",state="delayed"}')).toBe(0);
    const end = await marked(`flood-end-${h.config.queuePrefix}`);
    monitor.stop();
    expect(monitor.seen.slice(start, end).filter(([from]) => from === handlers)).toEqual([]);
  });

  it('exports counters, histograms and gauges after a full install, behind METRICS_TOKEN', async () => {
    harness = await startHarness({ env: { METRICS_TOKEN: 'metrics-secret-123' } });
    const h = harness;
    expect((await h.ops('/metrics')).status).toBe(401);
    expect((await h.ops('/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);

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
        const answer = await h.ops('/metrics', { authorization: 'Bearer metrics-secret-123' });
        const body = await answer.text();
        return series(body, 'hbr_bot_ecs_calls_total{action="DescribeInstances",code="200"}') === 1
          ? { status: answer.status, body }
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
    const m = await (await h.ops('/metrics')).text();
    expect(series(m, 'hbr_bot_slack_api_errors_total{method="chat.postMessage",error="not_in_channel"}')).toBe(1);
  });
});
