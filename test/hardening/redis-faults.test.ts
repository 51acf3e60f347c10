/**
 * Redis going away, with the bot as a real process on a Redis of the test's own (append-only file,
 * as docker-compose runs it; the shared Redis is never touched):
 *
 * - while tasks are being polled, Redis is stopped for 20 s and started again on the same port and
 *   directory: every request still completes with one final reply, and the polls that fell due
 *   during the outage run within 10 s of Redis coming back;
 * - a slash command and an approve click during the outage get "temporarily unavailable, try again"
 *   within 3 s and change nothing, the process stays up (and says so on /healthz), and the same
 *   command and click work once Redis is back, without anyone restarting anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, REQUESTER } from '../support/bot-harness.js';
import { type ProcessWorld, startProcessWorld } from '../support/process-world.js';
import { type OwnRedis, startOwnRedis } from '../support/redis-server.js';
import { singleRedis } from '../support/redis-target.js';
import { waitFor } from '../support/wait-for.js';

const OUTAGE_MS = 20_000;

let world: ProcessWorld | undefined;
let redis: OwnRedis | undefined;
afterEach(async () => {
  await world?.close();
  await redis?.destroy();
  world = undefined;
  redis = undefined;
});

describe('Redis outages', () => {
  it('finishes every polled request after a 20 s outage, answers commands meanwhile, and recovers by itself', {
    timeout: 90_000,
  }, async () => {
    redis = await startOwnRedis();
    world = await startProcessWorld({
      redis: singleRedis(redis.url),
      hbr: { pollsToComplete: 4 },
      env: { HBR_POLL_FIRST_DELAY_MS: '500', HBR_POLL_INTERVAL_MS: '1000', HBR_TASK_TIMEOUT_MS: '120000' },
    });
    const w = world;
    const bot = await w.spawn();
    const ids = [
      'i-bp1redisoutageaaaa01',
      'i-bp1redisoutageaaaa02',
      'i-bp1redisoutageaaaa03',
      'i-bp1redisoutageaaaa05',
    ];
    for (const id of ids) expect((await w.command(bot, id)).status).toBe(200);
    const posted = await waitFor(() => (w.requestMessages().length === 4 ? w.requestMessages() : undefined), {
      message: 'four requests',
    });
    // Three are approved now; the fourth is left for a click during the outage.
    const messages = posted.slice(0, 3);
    const pending = posted[3]!;
    for (const message of messages) expect((await w.click(bot, 'approve', message)).status).toBe(200);
    // Every task has been polled once and is still running.
    await waitFor(
      () => (w.hbr.tasks().length === 3 && w.hbr.tasks().every((t) => t.polls >= 1 && t.outcome === null)) || undefined,
      {
        message: 'all three tasks polled once',
        timeoutMs: 10_000,
      },
    );

    const down = Date.now();
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // A command while Redis is down: answered within 3 s, the process stays up.
    const answersBefore = w.slack.ephemerals(REQUESTER).length;
    const asked = Date.now();
    const during = await w.command(bot, 'i-bp1redisoutageaaaa04');
    expect(during.status).toBe(200);
    expect(during.latencyMs).toBeLessThan(3000);
    const unavailable = await waitFor(() => w.slack.ephemerals(REQUESTER)[answersBefore], {
      message: 'an answer during the outage',
      timeoutMs: 3000,
    });
    expect(unavailable.at - asked).toBeLessThan(3000);
    expect(JSON.stringify(unavailable)).toMatch(/temporarily unavailable.*try again/);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const readiness = await fetch(`${bot.url}/readyz`);
    expect(readiness.status).toBe(503);
    // A code, never the error text (which names Redis' host and port).
    expect(await readiness.json()).toEqual({ status: 'not ready', reasons: ['redis-unreachable'] });
    // A click meanwhile: the approver is told too, and nothing is decided.
    const approverAnswers = w.slack.ephemerals(APPROVER).length;
    const click = await w.click(bot, 'approve', pending);
    expect(click.status).toBe(200);
    const clickAnswer = await waitFor(() => w.slack.ephemerals(APPROVER)[approverAnswers], {
      message: 'an answer to the click',
      timeoutMs: 3000,
    });
    expect(JSON.stringify(clickAnswer)).toMatch(/temporarily unavailable.*try again/);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, down + OUTAGE_MS - Date.now())));
    const pollsDuringOutage = w.hbr.callsOf('DescribeTask').filter((c) => c.at > down).length;
    await redis.start();
    const up = Date.now();

    // Polls due during the outage run within 10 s of Redis returning.
    const firstPollAfter = await waitFor(() => w.hbr.callsOf('DescribeTask').find((c) => c.at >= up), {
      message: 'a poll after Redis returned',
      timeoutMs: 10_000,
    });
    expect(firstPollAfter.at - up).toBeLessThan(10_000);
    for (const message of messages) {
      await waitFor(() => w.finalReplies(message)[0], { message: 'final reply after the outage', timeoutMs: 20_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const message of messages) expect(w.finalReplies(message)).toHaveLength(1);
    expect(w.hbr.callsOf('InstallBackupClients').filter((c) => c.ok)).toHaveLength(3);
    expect(w.hbr.callsOf('InstallBackupClients').some((c) => (c.params.InstanceIds ?? '').includes('aaaa05'))).toBe(
      false,
    );

    // The same command and click again, nobody having restarted the bot: they work.
    expect((await w.command(bot, 'i-bp1redisoutageaaaa04')).status).toBe(200);
    await waitFor(() => w.requestMessages().length === 5 || undefined, {
      message: 'a request posted after recovery',
      timeoutMs: 5000,
    });
    expect((await w.click(bot, 'approve', pending)).status).toBe(200);
    await waitFor(() => w.finalReplies(pending)[0], {
      message: 'the request clicked during the outage, approved after it',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await fetch(`${bot.url}/readyz`)).status === 200 || undefined, {
      message: 'ready again',
    });
    expect(bot.child.exitCode).toBeNull();
    console.log(
      `redis outage: ${pollsDuringOutage} polls while down, first poll ${firstPollAfter.at - up} ms after Redis returned`,
    );
  });
});
