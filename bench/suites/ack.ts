/**
 * Ack latency: signed slash commands and button clicks from 20 concurrent senders over loopback,
 * against hbr-bot and against a bare Bolt app on the same receiver settings, in alternating rounds.
 *
 * Commands are valid `/hbr-install` requests (3 instances), so the bot does all its real work
 * after the ack (Redis record, expiry job, request message, ephemeral reply). Clicks approve the
 * requests created in the same round, so each also starts an install job (InstallBackupClients,
 * progress reply, request message edit) while later clicks arrive. Polls are scheduled an hour
 * out so they do not run during the measurement.
 */
import { Queue } from 'bullmq';
import { benchPids, type ChildServer, startChild } from '../lib/child.js';
import { APPROVER, CHANNEL, REQUESTER, SIGNING_SECRET } from '../lib/constants.js';
import { contention, cpuSnapshot } from '../lib/contention.js';
import { type BenchContext, botEnv, newPrefix } from '../lib/context.js';
import { closedLoop, type LoadResult, paced } from '../lib/load.js';
import type { Stalls, Usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';
import { median, percentiles, ratio } from '../lib/stats.js';
import { instanceId, until, untilQuiet } from '../lib/util.js';
import type { RequestMessageRef } from '../servers/slack-standin.js';

const { blockActionPayload, FORM_CONTENT_TYPE, slashCommandBody } =
  await importFromCheckout<typeof import('../../sandbox/slack-requests.js')>('sandbox/slack-requests.js');
const { APPROVE_ACTION } = await importFromCheckout<typeof import('../../src/slack/messages/action-ids.js')>(
  'src/slack/messages/action-ids.js',
);
// The queue an approval adds its job to (`submit`; `install` in versions before uninstall existed).
const { QUEUE_NAMES } = await importFromCheckout<{ QUEUE_NAMES: Record<string, string> }>('src/jobs/queues.js');
const SUBMIT_QUEUE = QUEUE_NAMES.submit ?? QUEUE_NAMES.install ?? 'submit';

export type AckTarget = 'bot' | 'bare';
export type AckKind = 'command' | 'click';

export interface AckRound {
  round: number;
  /** 0 for the closed loop; requests per second for the paced round. */
  rate: number;
  target: AckTarget;
  kind: AckKind;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
  non2xx: number;
  /** CPU time of the server process per request, including work done after the ack, ms. */
  cpuMsPerRequest: number;
  /** Cores used by processes other than the bench and Redis while the requests were sent. */
  othersCores: number;
  /** The server's event-loop delay and GC pauses while the requests were sent. */
  stalls: Stalls;
}

export interface AckFigure {
  kind: AckKind;
  bot: { p50: number; p95: number; p99: number; requestsPerSecond: number; cpuMsPerRequest: number };
  bare: { p50: number; p95: number; p99: number; requestsPerSecond: number; cpuMsPerRequest: number };
  p99Ratio: number;
  p50Ratio: number;
}

export interface AckResult {
  /** Median over the measured phases of the cores other processes used meanwhile. */
  othersCores: number;
  concurrency: number;
  warmup: number;
  requestsPerRound: number;
  roundCount: number;
  rounds: AckRound[];
  figures: AckFigure[];
  /** The optional open-loop round (--ack-paced=RATE): one round, same figures. */
  paced: { rate: number; requests: number; figures: AckFigure[] } | null;
}

interface Target {
  name: AckTarget;
  server: ChildServer;
  eventsUrl: string;
  /** Waits until the work the last requests started (Slack, HBR, jobs) has drained. */
  settle(): Promise<void>;
}

export async function runAckSuite(ctx: BenchContext): Promise<AckResult> {
  const { rounds: roundCount, warmup: baseWarmup, requests: closedRequests, concurrency } = ctx.options.ack;
  // A fresh key prefix per round; the install queue of the current round tells when the bot's work is done.
  let installQueue: Queue | null = null;
  const [botServer, bareServer] = await Promise.all([
    startChild('hbr-bot', 'bot.ts'),
    startChild('bare-bolt', 'bare-bolt.ts'),
  ]);
  try {
    const externalCalls = async () =>
      (await ctx.slack.call<number>('callCount')) + (await ctx.hbr.call<number>('callCount'));
    const targets: Record<AckTarget, Target> = {
      bot: {
        name: 'bot',
        server: botServer,
        eventsUrl: '',
        async settle() {
          await until(
            'install jobs to finish',
            async () => {
              const counts = (await installQueue?.getJobCounts('waiting', 'active', 'delayed', 'prioritized')) ?? {};
              return Object.values(counts).every((n) => n === 0);
            },
            180_000,
          );
          await untilQuiet('Slack and HBR calls of the bot', externalCalls);
        },
      },
      bare: { name: 'bare', server: bareServer, eventsUrl: '', settle: async () => undefined },
    };

    const rounds: AckRound[] = [];
    let commandSerial = 0;
    const { pacedRate, pacedRequests } = ctx.options.ack;
    const totalRounds = roundCount + (pacedRate > 0 ? 1 : 0);
    for (let round = 1; round <= totalRounds; round += 1) {
      // After the closed-loop rounds, an optional open-loop round at a fixed rate below saturation.
      const rate = round > roundCount ? pacedRate : 0;
      const requests = rate > 0 ? pacedRequests : closedRequests;
      // Every round starts from empty stand-ins (their records grow with every request) and fresh servers.
      if (round > 1) await ctx.freshStandIns();
      const prefix = newPrefix(ctx, `ack${round}`);
      await installQueue?.close();
      installQueue = new Queue(SUBMIT_QUEUE, { connection: ctx.redis, prefix });
      const env = botEnv(ctx, prefix, { HBR_POLL_FIRST_DELAY_MS: '3600000', HBR_MAX_INSTANCES: '200' });
      const [bot, bare] = await Promise.all([
        botServer.call<{ url: string }>('start', env),
        bareServer.call<{ url: string }>('start', env, '/hbr-install'),
      ]);
      targets.bot.eventsUrl = `${bot.url}/slack/events`;
      targets.bare.eventsUrl = `${bare.url}/slack/events`;
      // Alternate which server goes first so a drift in machine load does not favour one of them.
      const order: AckTarget[] = round % 2 === 1 ? ['bot', 'bare'] : ['bare', 'bot'];
      // Round 1 meets cold processes (JIT, connections): it warms up five times longer.
      const warmup = round === 1 ? baseWarmup * 5 : baseWarmup;
      for (const name of order) {
        const target = targets[name];
        const phaseStarted = Date.now();
        const before = await ctx.slack.call<number>('requestMessageCount');
        const serial = commandSerial;
        commandSerial += warmup + requests;
        const commandUrls = await ctx.slack.call<string[]>(
          'responseUrls',
          Array.from({ length: warmup + requests }, () => ({ channel: CHANNEL, user: REQUESTER })),
        );
        const commandBody = (offset: number) => (i: number) => {
          const n = serial + offset + i;
          const text = [0, 1, 2].map((k) => instanceId(n, k)).join(' ');
          return {
            contentType: FORM_CONTENT_TYPE,
            body: slashCommandBody({
              text,
              user_id: REQUESTER,
              channel_id: CHANNEL,
              response_url: commandUrls[offset + i]!,
            }),
          };
        };
        const profiling = ctx.options.profile && name === 'bot' && round === totalRounds;
        const commands = await measure(
          ctx,
          target,
          warmup,
          requests,
          commandBody,
          profiling ? 'ack-commands' : null,
          rate,
        );
        rounds.push({ round, target: name, kind: 'command', rate, ...commands });

        // Clicks: on this round's requests for the bot; the bare app gets the same payloads for made-up ones.
        let refs: RequestMessageRef[];
        if (name === 'bot') {
          await until(
            'request messages posted',
            async () => (await ctx.slack.call<number>('requestMessageCount')) >= before + warmup + requests,
          );
          refs = (await ctx.slack.call<RequestMessageRef[]>('requestMessages', before)).slice(0, warmup + requests);
        } else {
          refs = Array.from({ length: warmup + requests }, (_, i) => ({
            channel: CHANNEL,
            ts: `1700000000.${String(i).padStart(6, '0')}`,
            requestId: `rbare${String(i)
              .padStart(8, '0')
              .replace(/[0189]/g, 'a')}`,
          }));
        }
        const clickUrls = await ctx.slack.call<string[]>(
          'responseUrls',
          refs.map((ref) => ({ channel: ref.channel, user: APPROVER, messageTs: ref.ts })),
        );
        const clickBody = (offset: number) => (i: number) => {
          const ref = refs[offset + i]!;
          const payload = blockActionPayload({
            action_id: APPROVE_ACTION,
            value: ref.requestId,
            user_id: APPROVER,
            channel_id: ref.channel,
            message_ts: ref.ts,
            response_url: clickUrls[offset + i]!,
            text: 'Approve',
          });
          return {
            contentType: FORM_CONTENT_TYPE,
            body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
          };
        };
        const clicks = await measure(ctx, target, warmup, requests, clickBody, profiling ? 'ack-clicks' : null, rate);
        rounds.push({ round, target: name, kind: 'click', rate, ...clicks });
        ctx.log(
          `ack ${rate > 0 ? `paced ${rate}/s` : `round ${round}`} ${name}: command p50/p99 ${commands.p50.toFixed(1)}/${commands.p99.toFixed(1)} ms (${commands.requestsPerSecond.toFixed(0)}/s), ` +
            `click p50/p99 ${clicks.p50.toFixed(1)}/${clicks.p99.toFixed(1)} ms (${clicks.requestsPerSecond.toFixed(0)}/s); ` +
            `event-loop delay p99/max ${commands.stalls.loopDelayP99.toFixed(0)}/${commands.stalls.loopDelayMax.toFixed(0)} and ` +
            `${clicks.stalls.loopDelayP99.toFixed(0)}/${clicks.stalls.loopDelayMax.toFixed(0)} ms, GC max ${Math.max(commands.stalls.gcPauseMaxMs, clicks.stalls.gcPauseMaxMs).toFixed(0)} ms; ` +
            `${((Date.now() - phaseStarted) / 1000).toFixed(1)} s`,
        );
      }
      await Promise.all([botServer.call('stop'), bareServer.call('stop')]);
    }

    const figuresOf = (selected: AckRound[]) =>
      (['command', 'click'] as const).map((kind): AckFigure => {
        const summary = (target: AckTarget) => {
          const of = selected.filter((r) => r.kind === kind && r.target === target);
          return {
            p50: median(of.map((r) => r.p50)),
            p95: median(of.map((r) => r.p95)),
            p99: median(of.map((r) => r.p99)),
            requestsPerSecond: median(of.map((r) => r.requestsPerSecond)),
            cpuMsPerRequest: median(of.map((r) => r.cpuMsPerRequest)),
          };
        };
        const botFigure = summary('bot');
        const bareFigure = summary('bare');
        return {
          kind,
          bot: botFigure,
          bare: bareFigure,
          p99Ratio: ratio(botFigure.p99, bareFigure.p99),
          p50Ratio: ratio(botFigure.p50, bareFigure.p50),
        };
      });
    const figures = figuresOf(rounds.filter((r) => r.rate === 0));
    const pacedFigures = pacedRate > 0 ? figuresOf(rounds.filter((r) => r.rate > 0)) : null;
    return {
      othersCores: median(rounds.map((r) => r.othersCores)),
      concurrency,
      warmup: baseWarmup,
      requestsPerRound: closedRequests,
      roundCount,
      rounds,
      figures,
      paced: pacedFigures === null ? null : { rate: pacedRate, requests: pacedRequests, figures: pacedFigures },
    };
  } finally {
    await installQueue?.close();
    await Promise.allSettled([botServer.call('stop'), bareServer.call('stop')]);
    await Promise.allSettled([botServer.close(), bareServer.close()]);
  }
}

type BodyFactory = (offset: number) => (i: number) => { body: string; contentType: string };

async function measure(
  ctx: BenchContext,
  target: Target,
  warmup: number,
  requests: number,
  body: BodyFactory,
  profileAs: string | null = null,
  /** Requests per second for an open-loop (paced) phase instead of the closed loop. */
  rate = 0,
) {
  const { concurrency } = ctx.options.ack;
  if (warmup > 0)
    await closedLoop({
      url: target.eventsUrl,
      signingSecret: SIGNING_SECRET,
      concurrency,
      count: warmup,
      body: body(0),
    });
  await target.settle();
  if (profileAs !== null) await target.server.call('startProfiling');
  const before = await target.server.call<Usage>('usage');
  await target.server.call('stalls');
  const machineBefore = cpuSnapshot(benchPids());
  const load: LoadResult =
    rate > 0
      ? await paced({
          url: target.eventsUrl,
          signingSecret: SIGNING_SECRET,
          durationMs: (requests / rate) * 1000,
          count: requests,
          body: body(warmup),
        })
      : await closedLoop({
          url: target.eventsUrl,
          signingSecret: SIGNING_SECRET,
          concurrency,
          count: requests,
          body: body(warmup),
        });
  const machine = contention(machineBefore, cpuSnapshot(benchPids()));
  const stalled = await target.server.call<Stalls>('stalls');
  // CPU per request counts what the server does after the ack too, so wait for it to finish.
  await target.settle();
  const after = await target.server.call<Usage>('usage');
  if (profileAs !== null) await target.server.call('stopProfiling', `${ctx.resultsDir}${profileAs}.cpuprofile.json`);
  const non2xx = Object.entries(load.statuses).reduce(
    (sum, [status, n]) => (Number(status) >= 200 && Number(status) < 300 ? sum : sum + n),
    0,
  );
  if (non2xx === requests) throw new Error(`every ${target.name} request failed: ${JSON.stringify(load.statuses)}`);
  const stats = percentiles(load.latencies);
  return {
    count: stats.count,
    p50: stats.p50,
    p95: stats.p95,
    p99: stats.p99,
    max: stats.max,
    requestsPerSecond: load.requestsPerSecond,
    non2xx,
    cpuMsPerRequest: (after.cpuMs - before.cpuMs) / requests,
    othersCores: machine.othersCores,
    stalls: stalled,
  };
}
