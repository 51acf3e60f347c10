/**
 * Economy: what one request costs in calls to Slack and HBR, counted exactly from the stand-ins'
 * records, driven end to end through the real bot (slash command, approve click, install job,
 * polls, final reply).
 *
 * 1. Per request: requests of 1, 20 and 200 instances whose HBR tasks finish after 1, 10 and 30
 *    polls (a fast 100 ms cadence; the counts do not depend on it). Each request runs in its own
 *    channel, so every call is attributed to its request by channel.
 * 2. Peak chat.update rate: 100 requests (20 instances, tasks finishing after 10 polls) on the
 *    default 30 s cadence, typed within one minute and approved within the next, time-compressed:
 *    every bot timing and the arrival of commands and clicks are divided by the same factor, so a
 *    rolling window of 60 s / factor stands for Slack's per-minute limit (Tier 3: 50 per minute).
 *    The counts do not depend on the factor as long as the bot keeps up (it uses a few % of a core).
 */
import type { ResponseUrlContext } from '../../sandbox/slack-api-server.js';
import { type ChildServer, startChild } from '../lib/child.js';
import { APPROVER, REQUESTER, SIGNING_SECRET } from '../lib/constants.js';
import { type BenchContext, botEnv, newPrefix } from '../lib/context.js';
import { paced } from '../lib/load.js';
import { loadSrc, type SrcModules } from '../lib/seed.js';
import { importFromCheckout } from '../lib/src-path.js';
import { mean, peakInWindow } from '../lib/stats.js';
import { instanceId, until, untilQuiet } from '../lib/util.js';
import type { HbrCallLog } from '../servers/hbr-standin.js';
import type { RequestMessageRef, ResponseUrlRecord, SlackCallRecord } from '../servers/slack-standin.js';

const { blockActionPayload, FORM_CONTENT_TYPE, sendBlockAction, sendSlashCommand, slashCommandBody } =
  await importFromCheckout<typeof import('../../sandbox/slack-requests.js')>('sandbox/slack-requests.js');
const { APPROVE_ACTION } = await importFromCheckout<typeof import('../../src/slack/messages/action-ids.js')>(
  'src/slack/messages/action-ids.js',
);

export interface RequestEconomy {
  instances: number;
  pollsToComplete: number;
  tasks: number;
  /** Web API calls attributed to the request (its channel), by method. */
  slackCalls: Record<string, number>;
  slackCallsTotal: number;
  /** response_url posts (ephemeral answers), not Web API calls. */
  responseUrlPosts: number;
  chatUpdates: number;
  describeTaskPerTask: { mean: number; max: number };
  installCalls: number;
}

export interface PeakRate {
  requests: number;
  instancesPerRequest: number;
  pollsToComplete: number;
  compression: number;
  realIntervalMs: number;
  /** Largest number of chat.update calls in any rolling (scaled) minute. */
  peakChatUpdatesPerMinute: number;
  /** Of which edits of the request messages (decision, status, final summary) and of the progress replies. */
  peakRequestMessageUpdatesPerMinute: number;
  peakProgressUpdatesPerMinute: number;
  peakWebApiCallsPerMinute: number;
  peakPostMessagesPerMinute: number;
  chatUpdatesPerRequest: number;
  limitPerMinute: number;
}

export interface EconomyResult {
  requests: RequestEconomy[];
  /**
   * Per size, the most Slack calls any request took beyond the one done after the fewest polls: bounded
   * (at most the progress reply's quarter steps) when calls do not grow with polls.
   */
  growthWithPolls: Array<{
    instances: number;
    extraSlackCalls: number;
    extraChatUpdates: number;
    fromPolls: number;
    toPolls: number;
  }>;
  peak: PeakRate | null;
}

const TIER3_PER_MINUTE = 50;

export async function runEconomySuite(ctx: BenchContext): Promise<EconomyResult> {
  const { sizes, polls, concurrentRequests, compression } = ctx.options.economy;
  const src = await loadSrc();
  const bot = await startChild('hbr-bot', 'bot.ts');
  try {
    const requests = await perRequest(ctx, src, bot, sizes, polls);
    const growthWithPolls = sizes.map((instances) => {
      const of = requests
        .filter((r) => r.instances === instances)
        .sort((a, b) => a.pollsToComplete - b.pollsToComplete);
      const first = of[0]!;
      const last = of[of.length - 1]!;
      const calls = (r: RequestEconomy) => r.slackCallsTotal + r.responseUrlPosts;
      return {
        instances,
        extraSlackCalls: Math.max(...of.map(calls)) - calls(first),
        extraChatUpdates: last.chatUpdates - first.chatUpdates,
        fromPolls: first.pollsToComplete,
        toPolls: last.pollsToComplete,
      };
    });
    const peak = concurrentRequests > 0 ? await peakRate(ctx, src, bot, concurrentRequests, compression) : null;
    return { requests, growthWithPolls, peak };
  } finally {
    await bot.call('stop').catch(() => undefined);
    await bot.close();
  }
}

async function waitForRequestMessage(ctx: BenchContext, channel: string): Promise<RequestMessageRef> {
  let found: RequestMessageRef | undefined;
  await until(`request message in ${channel}`, async () => {
    found = (await ctx.slack.call<RequestMessageRef[]>('requestMessages', 0)).find((m) => m.channel === channel);
    return found !== undefined;
  });
  return found!;
}

async function perRequest(
  ctx: BenchContext,
  src: SrcModules,
  bot: ChildServer,
  sizes: number[],
  polls: number[],
): Promise<RequestEconomy[]> {
  const prefix = newPrefix(ctx, 'economy');
  const { url } = await bot.call<{ url: string }>(
    'start',
    botEnv(ctx, prefix, {
      HBR_POLL_FIRST_DELAY_MS: '100',
      HBR_POLL_INTERVAL_MS: '100',
      HBR_TASK_TIMEOUT_MS: '600000',
      HBR_MAX_INSTANCES: '200',
    }),
  );
  const eventsUrl = `${url}/slack/events`;
  const store = new src.RequestStore(ctx.redis, prefix);
  const results: RequestEconomy[] = [];
  try {
    for (const [p, pollsToComplete] of polls.entries()) {
      await ctx.hbr.call('setPollsToComplete', pollsToComplete);
      await ctx.slack.call('reset');
      await ctx.hbr.call('reset');
      const started = await Promise.all(
        sizes.map(async (instances, s) => {
          const channel = `CECON${p}X${s}${ctx.tag.slice(0, 4).toUpperCase()}`;
          const text = Array.from({ length: instances }, (_, k) => instanceId(900_000 + p * 10 + s, k)).join(' ');
          const [commandUrl] = await ctx.slack.call<string[]>('responseUrls', [
            { channel, user: REQUESTER } satisfies ResponseUrlContext,
          ]);
          const answer = await sendSlashCommand(
            eventsUrl,
            { text, user_id: REQUESTER, channel_id: channel, response_url: commandUrl! },
            { signingSecret: SIGNING_SECRET },
          );
          if (answer.status !== 200) throw new Error(`slash command answered ${answer.status}`);
          const message = await waitForRequestMessage(ctx, channel);
          const [clickUrl] = await ctx.slack.call<string[]>('responseUrls', [
            { channel, user: APPROVER, messageTs: message.ts },
          ]);
          const click = await sendBlockAction(
            eventsUrl,
            {
              action_id: APPROVE_ACTION,
              value: message.requestId,
              user_id: APPROVER,
              channel_id: channel,
              message_ts: message.ts,
              response_url: clickUrl!,
              text: 'Approve',
            },
            { signingSecret: SIGNING_SECRET },
          );
          if (click.status !== 200) throw new Error(`approve click answered ${click.status}`);
          await until(
            `request ${message.requestId} to finish`,
            async () => (await store.get(message.requestId))?.finalTs != null,
            120_000,
          );
          return { instances, channel, requestId: message.requestId };
        }),
      );
      await untilQuiet(
        'Slack and HBR calls',
        async () => (await ctx.slack.call<number>('callCount')) + (await ctx.hbr.call<number>('callCount')),
      );
      const { calls, responses } = await ctx.slack.call<{ calls: SlackCallRecord[]; responses: ResponseUrlRecord[] }>(
        'calls',
      );
      const hbrLog = await ctx.hbr.call<HbrCallLog>('calls');
      for (const { instances, channel, requestId } of started) {
        const record = await store.get(requestId);
        const taskIds = new Set(
          (record?.submissions ?? []).map((s) => s.taskId).filter((id): id is string => id !== null),
        );
        const slackCalls: Record<string, number> = {};
        for (const call of calls.filter((c) => c.channel === channel))
          slackCalls[call.method] = (slackCalls[call.method] ?? 0) + 1;
        const describes = new Map<string, number>([...taskIds].map((id) => [id, 0]));
        const instanceSet = new Set(record?.instanceIds ?? []);
        let installCalls = 0;
        for (let i = 0; i < hbrLog.at.length; i += 1) {
          if (hbrLog.action[i] === 'DescribeTask' && describes.has(hbrLog.taskId[i]!))
            describes.set(hbrLog.taskId[i]!, describes.get(hbrLog.taskId[i]!)! + 1);
          if (hbrLog.action[i] === 'InstallBackupClients' && instanceSet.has(hbrLog.firstInstance[i]!))
            installCalls += 1;
        }
        const perTask = [...describes.values()];
        results.push({
          instances,
          pollsToComplete,
          tasks: taskIds.size,
          slackCalls,
          slackCallsTotal: Object.values(slackCalls).reduce((a, b) => a + b, 0),
          responseUrlPosts: responses.filter((r) => r.channel === channel).length,
          chatUpdates: slackCalls['chat.update'] ?? 0,
          describeTaskPerTask: { mean: mean(perTask), max: Math.max(...perTask) },
          installCalls,
        });
      }
      ctx.log(
        `economy, tasks done after ${pollsToComplete} poll(s): ` +
          results
            .filter((r) => r.pollsToComplete === pollsToComplete)
            .map(
              (r) =>
                `${r.instances} inst → ${r.slackCallsTotal} Web API calls (${r.chatUpdates} chat.update) + ${r.responseUrlPosts} response_url`,
            )
            .join('; '),
      );
    }
  } finally {
    await bot.call('stop');
  }
  return results;
}

async function peakRate(
  ctx: BenchContext,
  src: SrcModules,
  bot: ChildServer,
  count: number,
  compression: number,
): Promise<PeakRate> {
  const prefix = newPrefix(ctx, 'peak');
  const intervalMs = Math.round(30_000 / compression);
  const pollsToComplete = 10;
  const { url } = await bot.call<{ url: string }>(
    'start',
    botEnv(ctx, prefix, {
      HBR_POLL_FIRST_DELAY_MS: String(intervalMs),
      HBR_POLL_INTERVAL_MS: String(intervalMs),
      HBR_TASK_TIMEOUT_MS: String(Math.round(900_000 / compression)),
      // The budget is per wall-clock minute: compressed like the cadence, it allows what it would in real time.
      HBR_PROGRESS_EDITS_PER_MINUTE: String(40 * compression),
    }),
  );
  await ctx.hbr.call('setPollsToComplete', pollsToComplete);
  await ctx.slack.call('reset');
  const channel = `CPEAK${ctx.tag.slice(0, 6).toUpperCase()}`;
  const store = new src.RequestStore(ctx.redis, prefix);
  try {
    const before = await ctx.slack.call<number>('requestMessageCount');
    const commandUrls = await ctx.slack.call<string[]>(
      'responseUrls',
      Array.from({ length: count }, () => ({ channel, user: REQUESTER })),
    );
    // Requests arrive over one (scaled) minute, then are approved over the next: "100 requests started together".
    const rampMs = 60_000 / compression;
    const commands = await paced({
      url: `${url}/slack/events`,
      signingSecret: SIGNING_SECRET,
      durationMs: rampMs,
      count,
      body: (i) => ({
        contentType: FORM_CONTENT_TYPE,
        body: slashCommandBody({
          text: Array.from({ length: 20 }, (_, k) => instanceId(800_000 + i, k)).join(' '),
          user_id: REQUESTER,
          channel_id: channel,
          response_url: commandUrls[i]!,
        }),
      }),
    });
    if (commands.latencies.length !== count) throw new Error(`commands failed: ${JSON.stringify(commands.statuses)}`);
    await until(
      'request messages',
      async () => (await ctx.slack.call<number>('requestMessageCount')) >= before + count,
    );
    const refs = (await ctx.slack.call<RequestMessageRef[]>('requestMessages', before)).filter(
      (m) => m.channel === channel,
    );
    const clickUrls = await ctx.slack.call<string[]>(
      'responseUrls',
      refs.map((ref) => ({ channel, user: APPROVER, messageTs: ref.ts })),
    );
    const clicks = await paced({
      url: `${url}/slack/events`,
      signingSecret: SIGNING_SECRET,
      durationMs: rampMs,
      count: refs.length,
      body: (i) => ({
        contentType: FORM_CONTENT_TYPE,
        body: new URLSearchParams({
          payload: JSON.stringify(
            blockActionPayload({
              action_id: APPROVE_ACTION,
              value: refs[i]!.requestId,
              user_id: APPROVER,
              channel_id: channel,
              message_ts: refs[i]!.ts,
              response_url: clickUrls[i]!,
              text: 'Approve',
            }),
          ),
        }).toString(),
      }),
    });
    if (clicks.latencies.length !== refs.length) throw new Error(`clicks failed: ${JSON.stringify(clicks.statuses)}`);
    await until(
      'every request to finish',
      async () =>
        (await Promise.all(refs.map(async (ref) => (await store.get(ref.requestId))?.finalTs != null))).every(Boolean),
      120_000,
      100,
    );
    await untilQuiet('Slack calls', () => ctx.slack.call<number>('callCount'));
    const { calls } = await ctx.slack.call<{ calls: SlackCallRecord[] }>('calls');
    const mine = calls.filter((c) => c.channel === channel);
    const windowMs = 60_000 / compression;
    const updates = mine.filter((c) => c.method === 'chat.update').map((c) => c.at);
    const requestTs = new Set(refs.map((ref) => ref.ts));
    const requestMessageUpdates = mine
      .filter((c) => c.method === 'chat.update' && requestTs.has(c.ts))
      .map((c) => c.at);
    const progressUpdates = mine.filter((c) => c.method === 'chat.update' && !requestTs.has(c.ts)).map((c) => c.at);
    const result: PeakRate = {
      requests: count,
      instancesPerRequest: 20,
      pollsToComplete,
      compression,
      realIntervalMs: 30_000,
      peakChatUpdatesPerMinute: peakInWindow(updates, windowMs),
      peakRequestMessageUpdatesPerMinute: peakInWindow(requestMessageUpdates, windowMs),
      peakProgressUpdatesPerMinute: peakInWindow(progressUpdates, windowMs),
      peakWebApiCallsPerMinute: peakInWindow(
        mine.map((c) => c.at),
        windowMs,
      ),
      peakPostMessagesPerMinute: peakInWindow(
        mine.filter((c) => c.method === 'chat.postMessage').map((c) => c.at),
        windowMs,
      ),
      chatUpdatesPerRequest: updates.length / count,
      limitPerMinute: TIER3_PER_MINUTE,
    };
    ctx.log(
      `economy peak: ${count} requests on a 30 s cadence (time ÷${compression}): peak ${result.peakChatUpdatesPerMinute} chat.update per rolling minute ` +
        `(request messages ${result.peakRequestMessageUpdatesPerMinute}, progress replies ${result.peakProgressUpdatesPerMinute}; limit ${TIER3_PER_MINUTE}), ` +
        `${result.chatUpdatesPerRequest.toFixed(1)} per request`,
    );
    return result;
  } finally {
    await bot.call('stop');
  }
}
