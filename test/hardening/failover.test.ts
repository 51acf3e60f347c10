/**
 * A Sentinel failover under load, with the bot as a real process on a Sentinel set of the test's own
 * (a primary, a replica, three sentinels: redis-topologies.ts), configured only with REDIS_SENTINELS
 * and REDIS_SENTINEL_NAME. SENTINEL FAILOVER is sent while tasks are being polled, while approvals
 * are clicked and while slash commands arrive. Then:
 *
 * - every request reaches exactly one final reply, and no instance is ever in two install calls
 *   (writes the old primary took after the promotion are lost when it rejoins as a replica; the
 *   bot's guarded writes — decisions, chunk claims, posting marks — are confirmed before it acts);
 * - each command or click during the switch is answered "temporarily unavailable" or succeeds,
 *   never with an error;
 * - /readyz answers 503 during the switch and 200 after it, and the same process serves throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { currentContent, type PostedMessage } from '../../sandbox/slack-api-server.js';
import { APPROVER, REQUESTER } from '../support/bot-harness.js';
import { type ProcessWorld, startProcessWorld } from '../support/process-world.js';
import { sentinelRedis } from '../support/redis-target.js';
import { type RedisSentinelSet, startRedisSentinelSet } from '../support/redis-topologies.js';
import { waitFor } from '../support/wait-for.js';

const ENTRY = 'test/support/short-locks-main.ts';

let world: ProcessWorld | undefined;
let set: RedisSentinelSet | undefined;
afterEach(async () => {
  await world?.close();
  await set?.destroy();
  world = undefined;
  set = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const showsButtons = (message: PostedMessage) => JSON.stringify(currentContent(message).blocks).includes('hbr_approve');
const instanceId = (n: number) => `i-bp1failoverfail${String(n).padStart(5, '0')}`;

describe('a Sentinel failover under load', () => {
  it('loses no request, installs nothing twice, answers every command, and needs no restart', {
    timeout: 120_000,
  }, async () => {
    set = await startRedisSentinelSet();
    const before = await set.primary();
    world = await startProcessWorld({
      redis: sentinelRedis(set),
      hbr: { pollsToComplete: 8 },
      env: {
        HBR_POLL_FIRST_DELAY_MS: '300',
        HBR_POLL_INTERVAL_MS: '300',
        HBR_TASK_TIMEOUT_MS: '60000',
        // Repairs what a lost write left without a job (an enqueue the old primary took) within seconds.
        HBR_SWEEP_INTERVAL_MS: '2000',
      },
    });
    const w = world;
    const bot = await w.spawn({}, ENTRY);
    const pid = bot.child.pid;

    // Eight requests, two of them of 23 instances (two install calls); four approved now and polled.
    let next = 0;
    const request = async (size: number) => {
      const ids = Array.from({ length: size }, () => instanceId(next++));
      return w.command(bot, ids.join(' '));
    };
    for (let i = 0; i < 8; i += 1) expect((await request(i % 4 === 0 ? 23 : 2)).status).toBe(200);
    const first = await waitFor(() => (w.requestMessages().length === 8 ? w.requestMessages() : undefined), {
      message: 'eight request messages',
    });
    for (const message of first.slice(0, 4)) expect((await w.click(bot, 'approve', message)).status).toBe(200);
    await waitFor(() => (w.hbr.tasks().length >= 5 && w.hbr.tasks().every((t) => t.polls >= 1)) || undefined, {
      message: 'the first tasks being polled',
      timeoutMs: 15_000,
    });

    // /readyz sampled all along.
    const samples: Array<{ at: number; status: number; body: string }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const response = await fetch(`${bot.url}/readyz`).catch(() => null);
        samples.push({ at: Date.now(), status: response?.status ?? 0, body: (await response?.text()) ?? '' });
        await sleep(25);
      }
    })();

    // The switch, with clicks on the other four requests and four new commands around it.
    const requesterAnswers = w.slack.ephemerals(REQUESTER).length;
    const approverAnswers = w.slack.ephemerals(APPROVER).length;
    const switchStarted = Date.now();
    const failover = set.failover();
    const during: Array<Promise<unknown>> = [];
    for (const [i, message] of first.slice(4).entries()) {
      during.push(sleep(i * 250).then(() => w.click(bot, 'approve', message)));
      during.push(sleep(i * 250 + 120).then(() => request(2)));
    }
    const after = await failover;
    const switchEnded = Date.now();
    const responses = await Promise.all(during);
    expect(after.port).not.toBe(before.port);
    for (const response of responses) expect((response as { status: number }).status).toBe(200);

    // Every answer to a command or click made during the switch: posted, or "temporarily unavailable".
    const commandAnswers = await waitFor(
      () => {
        const answers = w.slack.ephemerals(REQUESTER).slice(requesterAnswers);
        return answers.length >= 4 ? answers : undefined;
      },
      { message: 'an answer to each command made during the switch', timeoutMs: 10_000 },
    );
    for (const answer of commandAnswers)
      expect(JSON.stringify(answer)).toMatch(/temporarily unavailable.*try again|posted|for approval/i);
    for (const answer of w.slack.ephemerals(APPROVER).slice(approverAnswers))
      expect(JSON.stringify(answer)).toMatch(/temporarily unavailable.*try again|already/i);
    const allAnswers = JSON.stringify([...w.slack.ephemerals(REQUESTER), ...w.slack.ephemerals(APPROVER)]);
    expect(allAnswers).not.toMatch(/something went wrong/i);

    // After the switch: ready again, and whatever still shows buttons (a click answered "try again",
    // a request posted during the switch) is approved, as a person would.
    await waitFor(() => samples.some((s) => s.at > switchEnded && s.status === 200) || undefined, {
      message: 'ready again after the switch',
      timeoutMs: 15_000,
    });
    const messages = await waitFor(
      async () => {
        const pending = w.requestMessages().filter(showsButtons);
        if (pending.length === 0) return w.requestMessages();
        await Promise.all(pending.map((message) => w.click(bot, 'approve', message)));
        await sleep(500);
        return undefined;
      },
      { message: 'every request approved after the switch', timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(messages.length).toBeGreaterThanOrEqual(8);

    await waitFor(() => messages.every((m) => w.finalReplies(m).length >= 1) || undefined, {
      message: 'every final reply',
      timeoutMs: 45_000,
      intervalMs: 100,
    }).catch((error: unknown) => {
      console.log(
        bot.lines
          .filter((line) => /"level":(40|50)/.test(line))
          .slice(-25)
          .join('\n'),
      );
      throw error;
    });
    // Long enough for a duplicate to show up.
    await sleep(2000);
    sampling = false;
    await sampler;

    const problems: string[] = [];
    for (const message of messages) {
      const finals = w.finalReplies(message).length;
      if (finals !== 1) problems.push(`${message.ts}: ${finals} final replies`);
    }
    const installs = new Map<string, number>();
    for (const call of w.hbr.callsOf('InstallBackupClients'))
      for (const id of JSON.parse(call.params.InstanceIds ?? '[]') as string[])
        installs.set(id, (installs.get(id) ?? 0) + 1);
    for (const [id, times] of installs) if (times > 1) problems.push(`${id}: in ${times} install calls`);
    expect(problems).toEqual([]);

    const duringSwitch = samples.filter((s) => s.at >= switchStarted && s.at <= switchEnded + 500);
    const unready = duringSwitch.filter((s) => s.status === 503);
    expect(
      unready.length,
      `readiness during the switch: ${JSON.stringify(duringSwitch.map((s) => s.status))}`,
    ).toBeGreaterThan(0);
    expect(samples.at(-1)?.status).toBe(200);
    expect(bot.child.exitCode).toBeNull();
    expect(bot.child.pid).toBe(pid);
    expect(w.bots).toHaveLength(1);
    console.log(
      `failover: ${before.port} → ${after.port} in ${switchEnded - switchStarted} ms; /readyz 503 for ${unready.length} of ${duringSwitch.length} samples (${[...new Set(unready.map((s) => s.body))].join(' | ')}); ` +
        `${messages.length} requests, ${w.hbr.callsOf('InstallBackupClients').length} install calls`,
    );
  });
});
