/**
 * Poll pipeline: N tracked tasks (one per request, as the worst case for per-job overhead) polled
 * by the real bot on a fixed cadence against the HBR stand-in, which answers at once and keeps every
 * task running with its progress climbing (so each poll also edits the progress reply). The floor is
 * a bare BullMQ worker with the bot's worker settings running N no-op step jobs on the same grid.
 *
 * Each run: fresh poll jobs on a grid (first polls spread evenly over one interval), start the
 * worker, skip a warm-up, then measure over a window: polls started per second, lag (start −
 * scheduled grid point), CPU time of the worker process per poll. Bot and floor alternate.
 *
 * The bot's poll times come from the HBR stand-in's record of DescribeTask calls (arrival time and
 * TaskId); the grid point each call belongs to is rebuilt with the bot's own rule (the next grid
 * point after the previous poll), so a late poll counts its full lag.
 */

import { benchPids, type ChildServer, startChild } from '../lib/child.js';
import { contention, cpuSnapshot } from '../lib/contention.js';
import { type BenchContext, botEnv, newPrefix } from '../lib/context.js';
import type { ProfileSummary } from '../lib/profile.js';
import { deletePrefix, memoryByCategory, usedMemory } from '../lib/redis.js';
import { addPollJobs, loadSrc, type SeededTask, type SrcModules, seedTrackedRequests } from '../lib/seed.js';
import type { Usage } from '../lib/serve.js';
import { median, percentiles, ratio } from '../lib/stats.js';
import { delay } from '../lib/util.js';
import type { HbrCallLog } from '../servers/hbr-standin.js';

export type PollTarget = 'bot' | 'bare';

export interface PollRun {
  target: PollTarget;
  tasks: number;
  intervalMs: number;
  round: number;
  windowMs: number;
  offeredPerSecond: number;
  pollsPerSecond: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  lagSamples: number;
  /** Tasks whose poll was due but had not started when the window ended (their lag so far is among the samples). */
  overdueAtEnd: number;
  cpuMsPerPoll: number;
  /** Share of one core the worker process used during the window. */
  cpuShare: number;
  /** For the bot: lag p99 of the polls due in each sixth of the window. */
  lagP99ByDue?: number[];
  startsPerSecond?: number[];
  /** How long after the first due poll the harness had the bot started (0 = in time). */
  setupLateMs?: number;
  /** For the bot: the stand-ins' CPU per poll, to check they do not dominate. */
  hbrStandInCpuMsPerCall?: number;
  slackStandInCpuMsPerPoll?: number;
  rssBytes: number;
  /** Cores used by processes other than the bench and Redis during the window. */
  othersCores: number;
}

export interface PollFigure {
  tasks: number;
  intervalMs: number;
  bot: { pollsPerSecond: number; lagP50: number; lagP99: number; cpuMsPerPoll: number };
  bare: { pollsPerSecond: number; lagP50: number; lagP99: number; cpuMsPerPoll: number };
  /** hbr-bot's CPU per poll ÷ the floor's: the per-poll overhead target (≤ 1.5). */
  cpuPerPollRatio: number;
  /** hbr-bot's polls per second ÷ the floor's. */
  throughputRatio: number;
  standIns: { hbrCpuMsPerCall: number; slackCpuMsPerPoll: number };
  othersCores: number;
}

export interface Footprint {
  trackedTasks: number;
  redisBytesPerTask: number;
  redisBytesByKind: Record<string, { keys: number; bytes: number; perTask: number }>;
  usedMemoryDeltaPerTask: number;
  floorRedisBytesPerJob: number;
  botRssBytes: number;
  /** Live JS heap after a full GC. */
  botHeapUsedBytes: number;
  bareRssBytes: number;
}

export interface SlowCadence {
  tasks: number;
  intervalMs: number;
  /** How the 30 s figure was obtained. */
  method: string;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  polls: number;
  overdueAtEnd: number;
  lagP99ByDue: number[];
  /** Polls started in each second of the cycle. */
  startsPerSecond: number[];
  cpuShare: number;
  cpuMsPerPoll: number;
  othersCores: number;
}

export interface PipelineResult {
  seeding: { tasks: number; seconds: number };
  runs: PollRun[];
  figures: PollFigure[];
  slowCadence: SlowCadence | null;
  footprint: Footprint | null;
  profile: ProfileSummary | null;
}

interface TaskSet {
  tasks: SeededTask[];
  prefix: string;
  barePrefix: string;
}

export async function runPipelineSuite(ctx: BenchContext): Promise<PipelineResult> {
  const { rounds, sizes, warmupMs, windowMs, slowCadenceTasks, slowCadenceMs } = ctx.options.pipeline;
  const src = await loadSrc();
  await ctx.hbr.call('setPollsToComplete', Number.POSITIVE_INFINITY);

  // One seeded set (and key prefix) per size, so a bot started on one never sees the others.
  const seedStarted = Date.now();
  const sets = new Map<number, TaskSet>();
  const allSizes = [...new Set([...sizes, slowCadenceTasks])].filter((n) => n > 0).sort((a, b) => a - b);
  // INFO used_memory around seeding the records of the footprint set (a cross-check of MEMORY USAGE).
  let recordMemoryDelta = Number.NaN;
  for (const [group, size] of allSizes.entries()) {
    const prefix = newPrefix(ctx, `poll${size}`);
    const before = await usedMemory(ctx.redis);
    const tasks = await seedTrackedRequests(src, {
      redis: ctx.redis,
      prefix,
      hbrUrl: ctx.hbrUrl,
      slackApiUrl: ctx.slackApiUrl,
      count: size,
      tag: ctx.tag.replace(/[^a-z2-7]/g, 'a'),
      group: group + 1,
    });
    if (size === slowCadenceTasks) recordMemoryDelta = (await usedMemory(ctx.redis)) - before;
    sets.set(size, { tasks, prefix, barePrefix: newPrefix(ctx, `bare${size}`) });
  }
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  const seededTasks = [...sets.values()].reduce((sum, set) => sum + set.tasks.length, 0);
  ctx.log(`pipeline: seeded ${seededTasks} tracked tasks in ${seedSeconds.toFixed(1)} s`);
  await ctx.hbr.call('reset');
  await ctx.slack.call('reset');

  let [bot, bare] = await Promise.all([startChild('hbr-bot', 'bot.ts'), startChild('bare-worker', 'bare-worker.ts')]);
  try {
    const runs: PollRun[] = [];
    let profile: ProfileSummary | null = null;
    // A discarded run per worker first: a cold process (JIT, connections) would otherwise make round 1 an outlier.
    const smallest = sets.get(Math.min(...allSizes))!;
    if (sizes.length > 0) {
      await botRun(ctx, src, bot, smallest, { intervalMs: 1000, warmupMs: 0, windowMs: 2000, round: 0 });
      await bareRun(ctx, src, bare, smallest, { intervalMs: 1000, warmupMs: 0, windowMs: 1000, round: 0 });
      ctx.log('pipeline: warm-up runs done');
    }
    for (const size of sizes) {
      const set = sets.get(size)!;
      for (let round = 1; round <= rounds; round += 1) {
        const order: PollTarget[] = round % 2 === 1 ? ['bot', 'bare'] : ['bare', 'bot'];
        for (const target of order) {
          const profileThis =
            ctx.options.profile && target === 'bot' && round === 1 && size === sizes[sizes.length - 1];
          const run =
            target === 'bot'
              ? await botRun(ctx, src, bot, set, { intervalMs: 1000, warmupMs, windowMs, round, profile: profileThis })
              : await bareRun(ctx, src, bare, set, { intervalMs: 1000, warmupMs, windowMs, round });
          if (run.profile) profile = run.profile;
          runs.push(run.run);
          ctx.log(
            `pipeline ${size} tasks @1 s, round ${round} ${target}: ${run.run.pollsPerSecond.toFixed(0)} polls/s, lag p50/p99 ` +
              `${run.run.lagP50.toFixed(0)}/${run.run.lagP99.toFixed(0)} ms, ${run.run.cpuMsPerPoll.toFixed(3)} CPU ms/poll; others ${run.run.othersCores.toFixed(2)} cores`,
          );
        }
      }
    }

    const figures = sizes.map((size): PollFigure => {
      const of = (target: PollTarget) => runs.filter((r) => r.tasks === size && r.target === target);
      const summary = (target: PollTarget) => ({
        pollsPerSecond: median(of(target).map((r) => r.pollsPerSecond)),
        lagP50: median(of(target).map((r) => r.lagP50)),
        lagP99: median(of(target).map((r) => r.lagP99)),
        cpuMsPerPoll: median(of(target).map((r) => r.cpuMsPerPoll)),
      });
      const botFigure = summary('bot');
      const bareFigure = summary('bare');
      return {
        tasks: size,
        intervalMs: 1000,
        bot: botFigure,
        bare: bareFigure,
        cpuPerPollRatio: ratio(botFigure.cpuMsPerPoll, bareFigure.cpuMsPerPoll),
        throughputRatio: ratio(botFigure.pollsPerSecond, bareFigure.pollsPerSecond),
        standIns: {
          hbrCpuMsPerCall: median(of('bot').map((r) => r.hbrStandInCpuMsPerCall ?? Number.NaN)),
          slackCpuMsPerPoll: median(of('bot').map((r) => r.slackStandInCpuMsPerPoll ?? Number.NaN)),
        },
        othersCores: median([...of('bot'), ...of('bare')].map((r) => r.othersCores)),
      };
    });

    // The slow cadence: one full cycle of `slowCadenceTasks` tasks at `slowCadenceMs`, with the
    // footprint read at the end of the cycle, when every task is tracked and has been polled once.
    let slowCadence: SlowCadence | null = null;
    let footprint: Footprint | null = null;
    if (slowCadenceTasks > 0) {
      const set = sets.get(slowCadenceTasks)!;
      // A fresh bot process (warmed up briefly), so its RSS reflects this load and not the saturated runs before.
      await bot.close();
      bot = await startChild('hbr-bot', 'bot.ts');
      await botRun(ctx, src, bot, smallest, { intervalMs: 1000, warmupMs: 0, windowMs: 1500, round: 0 });
      // The floor's footprint: the bare queue as its last run left it (N delayed jobs).
      const bareRss = runs.filter((r) => r.target === 'bare' && r.tasks === slowCadenceTasks).map((r) => r.rssBytes);
      const bareKeys = await memoryByCategory(ctx.redis, set.barePrefix, () => 'all');
      const bareJobs = runs.some((r) => r.target === 'bare' && r.tasks === slowCadenceTasks) ? set.tasks.length : 0;
      // Only the footprint set's request records stay in Redis, so INFO used_memory moves with its jobs alone.
      for (const other of sets.values()) {
        await deletePrefix(ctx.redis, other.barePrefix);
        if (other !== set) await deletePrefix(ctx.redis, other.prefix);
      }
      const queues = new src.JobQueues({
        connection: ctx.redis,
        prefix: set.prefix,
        approvalTtlMs: 86_400_000,
        retryBackoffMs: 5000,
      });
      await queues.poll.obliterate({ force: true });
      await queues.close();
      const memoryBeforeJobs = await usedMemory(ctx.redis);
      const slow = await botRun(ctx, src, bot, set, {
        intervalMs: slowCadenceMs,
        warmupMs: 0,
        windowMs: slowCadenceMs,
        round: 1,
        profile: false,
        atEndOfWindow: async (botUsage) => {
          const jobsDelta = (await usedMemory(ctx.redis)) - memoryBeforeJobs;
          const live = await bot.call<Usage>('usage', true);
          footprint = await measureFootprint(
            ctx,
            set,
            { ...botUsage, heapUsed: live.heapUsed },
            {
              rss: bareRss.length > 0 ? Math.max(...bareRss) : Number.NaN,
              bytesPerJob: bareJobs > 0 ? bareKeys.total / bareJobs : Number.NaN,
              usedMemoryDelta: recordMemoryDelta + jobsDelta,
            },
          );
        },
      });
      slowCadence = {
        tasks: slowCadenceTasks,
        intervalMs: slowCadenceMs,
        method: `measured: one full ${slowCadenceMs / 1000} s cycle of ${slowCadenceTasks} tasks (each polled once), lag of every poll in it`,
        lagP50: slow.run.lagP50,
        lagP99: slow.run.lagP99,
        lagMax: slow.run.lagMax,
        polls: slow.run.lagSamples,
        overdueAtEnd: slow.run.overdueAtEnd,
        lagP99ByDue: slow.run.lagP99ByDue ?? [],
        startsPerSecond: slow.run.startsPerSecond ?? [],
        cpuShare: slow.run.cpuShare,
        cpuMsPerPoll: slow.run.cpuMsPerPoll,
        othersCores: slow.run.othersCores,
      };
      ctx.log(
        `pipeline ${slowCadenceTasks} tasks @${slowCadenceMs / 1000} s: lag p50/p99 ${slowCadence.lagP50.toFixed(0)}/${slowCadence.lagP99.toFixed(0)} ms, ` +
          `bot CPU ${(slowCadence.cpuShare * 100).toFixed(0)}% of a core; p99 by sixth of the cycle ${slowCadence.lagP99ByDue.map((v) => v.toFixed(0)).join('/')} ms`,
      );
    }
    return { seeding: { tasks: seededTasks, seconds: seedSeconds }, runs, figures, slowCadence, footprint, profile };
  } finally {
    await Promise.allSettled([bot.call('stop'), bare.call('stop')]);
    await Promise.allSettled([bot.close(), bare.close()]);
  }
}

interface RunOptions {
  intervalMs: number;
  warmupMs: number;
  windowMs: number;
  round: number;
  profile?: boolean;
  /** Called at the end of the window while the worker still runs. */
  atEndOfWindow?: (usage: Usage) => Promise<void>;
}

/** When the first polls of a fresh grid can start: after the jobs are added and the worker is up. */
function firstPollAt(tasks: number): number {
  return Date.now() + 1000 + tasks / 5;
}

async function botRun(
  ctx: BenchContext,
  src: SrcModules,
  bot: ChildServer,
  set: TaskSet,
  options: RunOptions,
): Promise<{ run: PollRun; profile: ProfileSummary | null }> {
  const { intervalMs, warmupMs, windowMs } = options;
  const queues = new src.JobQueues({
    connection: ctx.redis,
    prefix: set.prefix,
    approvalTtlMs: 86_400_000,
    retryBackoffMs: 5000,
  });
  await queues.poll.obliterate({ force: true });
  const t0 = firstPollAt(set.tasks.length);
  const grid = await addPollJobs(queues, set.tasks, t0, intervalMs);
  await queues.close();
  await bot.call(
    'start',
    botEnv(ctx, set.prefix, {
      HBR_POLL_INTERVAL_MS: String(intervalMs),
      HBR_POLL_FIRST_DELAY_MS: String(intervalMs),
      HBR_TASK_TIMEOUT_MS: '86400000',
    }),
  );
  // The harness must have the jobs in place and the bot up before the first poll is due.
  const setupLateMs = Math.max(0, Date.now() - t0);
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + windowMs;
  await delay(Math.max(0, windowStart - Date.now()));
  if (options.profile) await bot.call('startProfiling');
  const [botBefore, hbrBefore, slackBefore] = await Promise.all([
    bot.call<Usage>('usage'),
    ctx.hbr.call<Usage>('usage'),
    ctx.slack.call<Usage>('usage'),
  ]);
  const machineBefore = cpuSnapshot(benchPids());
  await delay(Math.max(0, windowEnd - Date.now()));
  const machine = contention(machineBefore, cpuSnapshot(benchPids()));
  const [botAfter, hbrAfter, slackAfter] = await Promise.all([
    bot.call<Usage>('usage'),
    ctx.hbr.call<Usage>('usage'),
    ctx.slack.call<Usage>('usage'),
  ]);
  const profile = options.profile
    ? await bot.call<ProfileSummary>('stopProfiling', `${ctx.resultsDir}poll-${set.tasks.length}.cpuprofile.json`)
    : null;
  await options.atEndOfWindow?.(botAfter);
  await bot.call('stop');

  const log = await ctx.hbr.call<HbrCallLog>('calls', t0 - 1000);
  await ctx.hbr.call('reset');
  await ctx.slack.call('reset');
  const taskIndex = new Map(set.tasks.map((t, i) => [t.taskId, i]));
  const starts: Array<[number, number]> = [];
  for (let i = 0; i < log.at.length; i += 1) {
    if (log.action[i] !== 'DescribeTask') continue;
    const index = taskIndex.get(log.taskId[i]!);
    if (index !== undefined) starts.push([index, log.at[i]!]);
  }
  const { lags, dues, inWindow, overdue } = analyseLag(starts, grid, intervalMs, windowStart, windowEnd);
  // Polls started in each second of the window (a stall shows as a gap).
  const startsPerSecond = Array.from({ length: Math.ceil(windowMs / 1000) }, () => 0);
  for (const [, at] of starts)
    if (at >= windowStart && at < windowEnd) startsPerSecond[Math.floor((at - windowStart) / 1000)]! += 1;
  // Lag p99 by when the poll was due (sixths of the window): shows whether lag comes from the start or builds up.
  const bucketMs = windowMs / 6;
  const lagP99ByDue = Array.from(
    { length: 6 },
    (_, b) => percentiles(lags.filter((_, i) => Math.floor((dues[i]! - windowStart) / bucketMs) === b)).p99,
  );
  const stats = percentiles(lags);
  const cpuMs = botAfter.cpuMs - botBefore.cpuMs;
  const wallMs = botAfter.at - botBefore.at;
  return {
    profile,
    run: {
      ...roundFigures('bot', set, options, { inWindow, overdue, stats, cpuMs, wallMs }),
      lagP99ByDue,
      startsPerSecond,
      setupLateMs,
      hbrStandInCpuMsPerCall: (hbrAfter.cpuMs - hbrBefore.cpuMs) / Math.max(1, inWindow),
      slackStandInCpuMsPerPoll: (slackAfter.cpuMs - slackBefore.cpuMs) / Math.max(1, inWindow),
      rssBytes: botAfter.rss,
      othersCores: machine.othersCores,
    },
  };
}

/** The figures every round reports, bot or floor alike. */
function roundFigures(
  target: 'bot' | 'bare',
  set: TaskSet,
  options: RunOptions,
  measured: { inWindow: number; overdue: number; stats: ReturnType<typeof percentiles>; cpuMs: number; wallMs: number },
) {
  const { inWindow, overdue, stats, cpuMs, wallMs } = measured;
  return {
    target,
    tasks: set.tasks.length,
    intervalMs: options.intervalMs,
    round: options.round,
    windowMs: options.windowMs,
    offeredPerSecond: (set.tasks.length * 1000) / options.intervalMs,
    pollsPerSecond: (inWindow * 1000) / options.windowMs,
    lagP50: stats.p50,
    lagP99: stats.p99,
    lagMax: stats.max,
    lagSamples: stats.count,
    overdueAtEnd: overdue,
    cpuMsPerPoll: cpuMs / Math.max(1, inWindow),
    cpuShare: cpuMs / wallMs,
  };
}

async function bareRun(
  ctx: BenchContext,
  src: SrcModules,
  bare: ChildServer,
  set: TaskSet,
  options: RunOptions,
): Promise<{ run: PollRun; profile: null }> {
  const { intervalMs, warmupMs, windowMs } = options;
  // The same JobQueues (so the same job options) on the floor's own prefix.
  const queues = new src.JobQueues({
    connection: ctx.redis,
    prefix: set.barePrefix,
    approvalTtlMs: 86_400_000,
    retryBackoffMs: 5000,
  });
  await queues.poll.obliterate({ force: true });
  const t0 = firstPollAt(set.tasks.length);
  const grid = await addPollJobs(queues, set.tasks, t0, intervalMs);
  await queues.close();
  await bare.call('start', {
    redis: ctx.redisSetup.target,
    prefix: set.barePrefix,
    queue: 'poll',
    intervalMs,
    concurrency: 10,
  });
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + windowMs;
  await delay(Math.max(0, windowStart - Date.now()));
  const before = await bare.call<Usage>('usage');
  const machineBefore = cpuSnapshot(benchPids());
  await delay(Math.max(0, windowEnd - Date.now()));
  const machine = contention(machineBefore, cpuSnapshot(benchPids()));
  const after = await bare.call<Usage>('usage');
  await bare.call('stop');
  const runs = await bare.call<{ id: string[]; at: number[] }>('runs');
  const taskIndex = new Map(set.tasks.map((t, i) => [t.requestId, i]));
  const starts: Array<[number, number]> = runs.at.map((at, i) => [taskIndex.get(runs.id[i]!) ?? -1, at]);
  const { lags, inWindow, overdue } = analyseLag(
    starts.filter(([index]) => index >= 0),
    grid,
    intervalMs,
    windowStart,
    windowEnd,
  );
  const stats = percentiles(lags);
  const cpuMs = after.cpuMs - before.cpuMs;
  return {
    profile: null,
    run: {
      ...roundFigures('bare', set, options, { inWindow, overdue, stats, cpuMs, wallMs: after.at - before.at }),
      rssBytes: after.rss,
      othersCores: machine.othersCores,
    },
  };
}

/**
 * Lag of every poll that started in [windowStart, windowEnd): start − its grid point. Grid points are
 * rebuilt with the bot's rule: a task's first poll is due at `grid[task]`, each later one at the
 * first grid point after the previous poll (a late worker skips the points it missed). A task whose
 * next poll was already due but had not started by the end of the window counts as overdue, with
 * its lag so far (a lower bound) among the samples, so a backlog cannot hide.
 */
function analyseLag(
  starts: ReadonlyArray<readonly [task: number, at: number]>,
  grid: readonly number[],
  intervalMs: number,
  windowStart: number,
  windowEnd: number,
): { lags: number[]; dues: number[]; inWindow: number; overdue: number } {
  const byTask = new Map<number, number[]>();
  for (const [task, at] of starts) {
    const list = byTask.get(task) ?? [];
    list.push(at);
    byTask.set(task, list);
  }
  const lags: number[] = [];
  const dues: number[] = [];
  let inWindow = 0;
  let overdue = 0;
  const nextAfter = (first: number, at: number) => first + (Math.floor((at - first) / intervalMs) + 1) * intervalMs;
  for (let task = 0; task < grid.length; task += 1) {
    const first = grid[task]!;
    const times = (byTask.get(task) ?? []).sort((a, b) => a - b);
    let due = first;
    for (const at of times) {
      if (at >= windowEnd) break;
      if (at >= windowStart) {
        inWindow += 1;
        lags.push(at - due);
        dues.push(due);
      }
      due = nextAfter(first, at);
    }
    // Every poll before the window's end has been seen, so a due point before it is still waiting.
    if (due < windowEnd) {
      overdue += 1;
      lags.push(windowEnd - due);
      dues.push(due);
    }
  }
  return { lags, dues, inWindow, overdue };
}

/** Redis bytes of the bot's keys by kind, per tracked task, next to a bare job's; the bot's RSS. */
async function measureFootprint(
  ctx: BenchContext,
  set: TaskSet,
  botUsage: Usage,
  floor: { rss: number; bytesPerJob: number; usedMemoryDelta: number },
): Promise<Footprint> {
  const n = set.tasks.length;
  const kindOf = (key: string) => {
    const rest = key.slice(set.prefix.length + 1);
    if (rest.startsWith('request:')) return 'request records';
    if (/^poll:poll-[^:]+$/.test(rest)) return 'poll job hashes';
    if (/^poll:poll-[^:]+:/.test(rest)) return `poll job ${rest.replace(/^.*:/, '')}`;
    if (rest.startsWith('poll:')) return `poll queue ${rest.slice(5)}`;
    return rest.replace(/:.*/, '');
  };
  const bot = await memoryByCategory(ctx.redis, set.prefix, kindOf);
  const byKind = Object.fromEntries(
    Object.entries(bot.byCategory)
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .map(([kind, { keys, bytes }]) => [kind, { keys, bytes, perTask: bytes / n }]),
  );
  return {
    trackedTasks: n,
    redisBytesPerTask: bot.total / n,
    redisBytesByKind: byKind,
    usedMemoryDeltaPerTask: floor.usedMemoryDelta / n,
    floorRedisBytesPerJob: floor.bytesPerJob,
    botRssBytes: botUsage.rss,
    botHeapUsedBytes: botUsage.heapUsed,
    bareRssBytes: floor.rss,
  };
}
