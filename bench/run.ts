/**
 * `npm run bench`: measures hbr-bot against its floors, side by side, in one run, and prints the
 * table (also saved as bench/results/latest.json). See README.md, "Performance".
 *
 *   npm run bench                        everything (under 5 minutes on 2 cores)
 *   npm run bench -- --quick             fewer rounds and smaller sizes (a smoke run, ~1½ minutes)
 *   npm run bench -- --suites=ack,economy   only some suites (ack, pipeline, economy, startup)
 *   npm run bench -- --redis=single      ack and pipeline on one Redis only (default: also on a 3-master
 *                                        Redis Cluster the bench starts from redis-server, side by side)
 *   npm run bench -- --profile           also CPU-profile the bot (acks, polls) into bench/results/*.cpuprofile.json
 *   npm run bench -- --log-level=silent  bot log level (default info, as in production)
 *   npm run bench -- --rounds=1 --ack-requests=500 --poll-sizes=1000 --slow=10000,30000   (experiments; --rounds also sets the starts per way of `startup`)
 *   npm run bench -- --ack-paced=100     adds an open-loop ack round at 100 requests/s (below saturation)
 *   HBR_BENCH_CHECKOUT=/path/to/checkout npm run bench   measure another copy of the bot (A/B of a fix)
 *
 * `npm run typecheck` covers the bench too (the root tsconfig includes bench/).
 *
 * Exits non-zero only when the harness itself fails (a server that does not start, requests that
 * all fail, a timeout waiting for work to finish); a slow figure is reported, never an error.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createConnection } from '../src/redis/connections.js';
import { type RedisClusterSet, startRedisCluster } from '../test/support/redis-topologies.js';
import { killAllChildren, startChild } from './lib/child.js';
import { REDIS_URL } from './lib/constants.js';
import type { BenchContext, BenchOptions, BenchRedis, RedisKind } from './lib/context.js';
import { machineInfo } from './lib/machine.js';
import { deletePrefix } from './lib/redis.js';
import { checkoutDir } from './lib/src-path.js';
import { buildReport, type ClusterResults, renderReport } from './report.js';
import { runAckSuite } from './suites/ack.js';
import { runEconomySuite } from './suites/economy.js';
import { runPipelineSuite } from './suites/pipeline.js';
import { runStartupSuite } from './suites/startup.js';

function parseOptions(argv: string[]): BenchOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const quick = flag('quick');
  const suites = new Set((value('suites') ?? 'ack,pipeline,economy,startup').split(',').map((s) => s.trim()));
  const numbers = (name: string) => value(name)?.split(',').map(Number);
  const redis = (value('redis') ?? 'single,cluster')
    .split(',')
    .map((kind) => kind.trim())
    .filter((kind): kind is RedisKind => kind === 'single' || kind === 'cluster');
  const options: BenchOptions = {
    quick,
    suites,
    redis,
    logLevel: value('log-level') ?? 'info',
    profile: flag('profile'),
    ack: quick
      ? { rounds: 1, warmup: 100, requests: 500, concurrency: 20, pacedRate: 0, pacedRequests: 0 }
      : { rounds: 3, warmup: 200, requests: 2000, concurrency: 20, pacedRate: 0, pacedRequests: 0 },
    pipeline: quick
      ? { rounds: 1, sizes: [1000], warmupMs: 2000, windowMs: 3000, slowCadenceTasks: 1000, slowCadenceMs: 5000 }
      : {
          rounds: 3,
          sizes: [1000, 10000],
          warmupMs: 2000,
          windowMs: 3000,
          slowCadenceTasks: 10000,
          slowCadenceMs: 30000,
        },
    economy: quick
      ? { sizes: [1, 20, 200], polls: [1, 10], concurrentRequests: 20, compression: 60 }
      : { sizes: [1, 20, 200], polls: [1, 10, 30], concurrentRequests: 100, compression: 30 },
    startup: { rounds: quick ? 1 : 3, idleMs: 2000 },
  };
  // Overrides for experiments: --rounds=3 --ack-requests=2000 --poll-sizes=1000,10000 --slow=10000,30000
  const rounds = numbers('rounds')?.[0];
  if (rounds !== undefined) options.ack.rounds = options.pipeline.rounds = options.startup.rounds = rounds;
  const pacedRate = numbers('ack-paced')?.[0];
  if (pacedRate !== undefined)
    [options.ack.pacedRate, options.ack.pacedRequests] = [pacedRate, Math.round(pacedRate * 6)];
  const ackRequests = numbers('ack-requests')?.[0];
  if (ackRequests !== undefined) options.ack.requests = ackRequests;
  const pollSizes = numbers('poll-sizes');
  if (pollSizes !== undefined) options.pipeline.sizes = pollSizes.filter((n) => n > 0);
  const slow = numbers('slow');
  if (slow !== undefined)
    [options.pipeline.slowCadenceTasks, options.pipeline.slowCadenceMs] = [slow[0] ?? 0, slow[1] ?? 30_000];
  return options;
}

const prefixes = new Set<string>();
let cleanUp: () => Promise<void> = async () => undefined;

/** A 3-master Redis Cluster of the bench's own (test/support/redis-topologies.ts), for the suites to run on too. */
async function startBenchCluster(): Promise<{ setup: BenchRedis; cluster: RedisClusterSet }> {
  const cluster = await startRedisCluster();
  const target = { mode: 'cluster' as const, nodes: cluster.nodes, username: null, password: null, tls: false };
  const connection = createConnection(target, 'patient', 'hbr-bench');
  await new Promise((resolve) => connection.once('ready', resolve));
  return {
    cluster,
    setup: {
      kind: 'cluster',
      label: `Redis Cluster, ${cluster.nodes.length} masters`,
      env: { REDIS_CLUSTER_NODES: cluster.nodeList },
      target,
      connection,
    },
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const options = parseOptions(process.argv.slice(2));
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const single: BenchRedis = {
    kind: 'single',
    label: 'one Redis',
    env: { REDIS_URL },
    target: { mode: 'single', url: REDIS_URL, username: null, password: null },
    connection: redis,
  };
  let cluster: { setup: BenchRedis; cluster: RedisClusterSet } | null = null;
  cleanUp = async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix).catch(() => undefined);
    prefixes.clear();
    await redis.quit().catch(() => undefined);
    // The Cluster goes with its keys.
    cluster?.setup.connection.disconnect();
    await cluster?.cluster.destroy();
    cluster = null;
  };
  const log = (message: string) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
  let exitCode = 0;
  try {
    const machine = await machineInfo(redis);
    log(
      `hbr-bot bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Redis ${machine.redis}, load ${machine.loadAverageAtStart.join(' ')}; src ${checkoutDir()}`,
    );
    const tag = randomBytes(4).toString('hex');
    // Each suite gets fresh stand-ins, so one suite's recorded messages and tasks never slow the next.
    const withStandIns = async <T>(
      name: string,
      setup: BenchRedis,
      suite: (ctx: BenchContext) => Promise<T>,
    ): Promise<T | null> => {
      if (!options.suites.has(name)) return null;
      const start = async () => {
        const [slack, hbr] = await Promise.all([
          startChild('slack-standin', 'slack-standin.ts'),
          startChild('hbr-standin', 'hbr-standin.ts'),
        ]);
        return { slack, slackApiUrl: await slack.call<string>('apiUrl'), hbr, hbrUrl: await hbr.call<string>('url') };
      };
      const ctx: BenchContext = {
        options,
        tag,
        redis: setup.connection,
        redisSetup: setup,
        ...(await start()),
        prefixes,
        resultsDir,
        log,
        async freshStandIns() {
          await Promise.allSettled([ctx.slack.close(), ctx.hbr.close()]);
          Object.assign(ctx, await start());
        },
      };
      try {
        return await suite(ctx);
      } finally {
        await Promise.allSettled([ctx.slack.close(), ctx.hbr.close()]);
      }
    };
    const ack = options.redis.includes('single') ? await withStandIns('ack', single, runAckSuite) : null;
    const pipeline = options.redis.includes('single') ? await withStandIns('pipeline', single, runPipelineSuite) : null;
    // The same two suites on a Cluster of the bench's own, so their figures stand side by side.
    let onCluster: ClusterResults | null = null;
    if (options.redis.includes('cluster') && (options.suites.has('ack') || options.suites.has('pipeline'))) {
      cluster = await startBenchCluster();
      log(`${cluster.setup.label} started at ${cluster.cluster.nodeList}`);
      const { setup } = cluster;
      const clusterPrefixes = new Set(prefixes);
      onCluster = {
        label: setup.label,
        ack: await withStandIns('ack', setup, runAckSuite),
        pipeline: await withStandIns('pipeline', setup, runPipelineSuite),
      };
      // Cluster keys go with the Cluster; the clean-up of the single Redis skips them.
      for (const prefix of prefixes) if (!clusterPrefixes.has(prefix)) prefixes.delete(prefix);
    }
    const economy = await withStandIns('economy', single, runEconomySuite);
    // Its stand-ins run in this process: the bot under test is a plain `node` process, not a bench server.
    const startup = options.suites.has('startup')
      ? await runStartupSuite({ options, tag, redis, redisSetup: single, prefixes, log })
      : null;

    const elapsedSeconds = (performance.now() - started) / 1000;
    const report = buildReport({
      machine,
      options,
      ack,
      pipeline,
      cluster: onCluster,
      economy,
      startup,
      elapsedSeconds,
      src: checkoutDir(),
    });
    const file = `${resultsDir}latest.json`;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${renderReport(report)}\n`);
    log(`results written to ${file}`);
  } catch (error) {
    exitCode = 1;
    process.stderr.write(
      `\nbench harness failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  } finally {
    killAllChildren();
    await cleanUp();
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

// Ctrl-C: no server and no Redis key of this run is left behind.
process.once('SIGINT', () => {
  killAllChildren();
  void cleanUp().finally(() => process.exit(130));
});

process.exitCode = await main();
