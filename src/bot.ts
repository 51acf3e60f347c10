/**
 * The composition root: configuration → Redis → what both sides share (stores, queues, metrics and
 * the activity they record, the HBR and ECS clients, Slack's Web API) → the Slack side (Bolt app,
 * listeners, readiness) and the workers (job processors, the sweep), each built by its own function.
 * It is the one place that hands the jobs and listeners their implementations (jobs/ports.ts,
 * slack/listeners/deps.ts). Tests start the real bot through startHbrBot with their own stand-ins
 * and short timings.
 */
import type { CustomRoute, webApi } from '@slack/bolt';
import { type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { EcsClient, type EcsClientOptions } from './ecs/client.js';
import { HbrClient, type HbrClientOptions } from './hbr/client.js';
import { createExpireProcessor } from './jobs/expire.js';
import { createPollProcessor } from './jobs/poll.js';
import { createPreflightProcessor } from './jobs/preflight.js';
import { JobQueues, QUEUE_NAMES, QueueCounts } from './jobs/queues.js';
import { createSubmitProcessor } from './jobs/submit.js';
import { type SweepDeps, sweep } from './jobs/sweep.js';
import { ActivityRecorder } from './ops/activity-recorder.js';
import { AuditTrail } from './ops/audit.js';
import { type OpsRoute, opsRoutes } from './ops/http-routes.js';
import { BotMetrics, QueueGaugeCache } from './ops/metrics.js';
import { type OpsServer, startOpsServer } from './ops/ops-server.js';
import { Readiness, redisAnswers } from './ops/readiness.js';
import {
  createFastConnection,
  createWorkerConnection,
  type RedisConnection,
  waitUntilReady,
} from './redis/connections.js';
import { EvictionPolicyCheck } from './redis/eviction-policy.js';
import { TokenBuckets } from './redis/token-buckets.js';
import { createWriteGuard, type WriteGuard } from './redis/write-guard.js';
import { createSlackApp, createSlackClient, type SlackApp } from './slack/app.js';
import { DeliveryLedger } from './slack/delivery-ledger.js';
import { SlackDirectory } from './slack/directory.js';
import { EditBudget } from './slack/edit-budget.js';
import { ackTimer } from './slack/listeners/ack-timer.js';
import { registerListeners } from './slack/listeners/index.js';
import { explainApiFailure, explainApprovalRefusal } from './slack/messages/failure-words.js';
import { summaryLine } from './slack/messages/outcome-text.js';
import { RequestPublisher } from './slack/request-publisher.js';
import { SlackTokenCheck } from './slack/token-check.js';
import { RequestStore } from './store/requests.js';

export interface BotOptions {
  logger: Logger;
  now?: () => number;
  /** HBR client settings beyond the configuration (credentials, retry timings in tests). */
  hbr?: Partial<Omit<HbrClientOptions, 'defaultRegion' | 'endpoint' | 'logger'>>;
  /** ECS client settings for the pre-flight look-up, on top of `hbr`'s (same credentials, timings). */
  ecs?: Partial<Omit<EcsClientOptions, 'defaultRegion' | 'endpoint' | 'logger'>>;
  /**
   * Job lock settings. A poll chain lasts 15 minutes, so a worker that dies mid-job must be
   * noticed well within one poll interval: a 30 s lock renewed every 15 s, stalled jobs checked
   * every 15 s. Re-running a job is safe (every step is idempotent), so a stalled job is retried
   * many times rather than failed.
   */
  jobs?: {
    lockDurationMs?: number;
    stalledIntervalMs?: number;
    retryBackoffMs?: number;
    concurrency?: number;
    pollConcurrency?: number;
    /**
     * How old another run's claim on a chunk must be before a submit job takes it for a dead one and
     * reports the chunk unknown (never asking HBR again); younger, it waits for that run's answer.
     * At least the longest an HBR call can take (connect and read timeouts, retries before the
     * request was sent): 90 s.
     */
    claimStaleMs?: number;
  };
  /** Slack Web API retries (tests shorten them). */
  slackRetry?: webApi.RetryOptions;
  /** How long a graceful stop waits for active jobs before abandoning them to the next process. */
  shutdownTimeoutMs?: number;
  /** Interface the HTTP receiver binds (default: every interface); the sandbox keeps it on 127.0.0.1. */
  listenHost?: string;
}

export interface RunningBot {
  port: number;
  url: string;
  /** Where /readyz and /metrics answer when OPS_PORT is set; null: on `url`. */
  opsUrl: string | null;
  /** Graceful: stop taking Slack requests, let running jobs finish, close connections. */
  stop(): Promise<void>;
  /** Like kill -9 for tests: drops connections and workers without letting anything finish. */
  crash(): Promise<void>;
}

/** What the Slack side and the workers share, built once. */
interface Shared {
  config: Config;
  options: BotOptions;
  logger: Logger;
  now: () => number;
  /** Fails fast: Slack handlers must never hang on Redis (redis/connections.ts). */
  fast: RedisConnection;
  /** Waits through an outage: the workers'. */
  patient: RedisConnection;
  /** Redis must not evict keys: asked at start and by readiness (redis/eviction-policy.ts). */
  evictionPolicy: EvictionPolicyCheck;
  /** Confirms the writes before acts that must not be repeated survive a failover (redis/write-guard.ts). */
  writeGuard: WriteGuard;
  /** Whether a user may approve: listed in HBR_APPROVERS, directly or through a user group. */
  directory: SlackDirectory;
  queues: JobQueues;
  /** The workers' request store, on the patient connection (the Slack side has its own on the fast one). */
  jobStore: RequestStore;
  metrics: BotMetrics;
  /** The queue gauges /metrics serves, refreshed on the patient connection while the bot runs. */
  gauges: QueueGaugeCache;
  /** The job counts the gauges read, on the patient connection. */
  queueCounts: QueueCounts;
  audit: AuditTrail;
  activity: ActivityRecorder;
  hbr: HbrClient;
  /** A publisher on the given store (the handlers' fail-fast one or the workers' patient one). */
  publisherOn(store: RequestStore): RequestPublisher;
  slackClient: webApi.WebClient;
  /** The bot token, verified with auth.test: who the bot is, and a readiness check. */
  token: SlackTokenCheck;
}

interface RunningWorkers {
  /** Lets active jobs finish, up to the shutdown timeout; a pre-flight look-up is not waited for. */
  stop(): Promise<void>;
  /** Drops every job at once: its lock expires and another process, or the next start, runs it again. */
  abandon(): Promise<void>;
}

export async function startHbrBot(config: Config, options: BotOptions): Promise<RunningBot> {
  const { logger } = options;
  const shared = await buildShared(config, options);
  const { fast, patient, queues, gauges, queueCounts } = shared;
  const { slack, opsPortRoutes } = await createSlackSide(shared);
  const workers = await startWorkers(shared);
  const closeConnections = async () => {
    gauges.stop();
    await Promise.allSettled([queues.close(), queueCounts.close()]);
    shared.writeGuard.close();
    await Promise.allSettled([fast.quit(), patient.quit()]);
  };
  let port: number;
  let opsServer: OpsServer | null = null;
  try {
    port = await slack.start(options.listenHost);
    if (config.ops.port !== null)
      opsServer = await startOpsServer(opsPortRoutes, config.ops.port, config.ops.host ?? options.listenHost);
  } catch (error) {
    // Nothing may keep running behind a start that failed (a busy port): the caller gets the error alone.
    await slack.stop().catch(() => undefined);
    await workers.abandon();
    await closeConnections();
    throw error;
  }
  gauges.start();
  const mode = config.slack.appToken === null ? 'http' : 'socket';
  logger.info({ port, opsPort: opsServer?.port ?? null, mode }, 'hbr-bot started');

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    opsUrl: opsServer === null ? null : `http://127.0.0.1:${opsServer.port}`,
    async stop() {
      await Promise.all([slack.stop(), opsServer?.close()]);
      await workers.stop();
      await closeConnections();
      logger.info('hbr-bot stopped');
    },
    async crash() {
      gauges.stop();
      await Promise.all([slack.stop(), opsServer?.close()]);
      shared.writeGuard.close();
      fast.disconnect();
      patient.disconnect();
      await workers.abandon();
      await Promise.allSettled([queues.close(), queueCounts.close()]);
    },
  };
}

/** How often the queue gauges are read from Redis; /metrics serves the last reading. */
const GAUGE_REFRESH_MS = 15_000;

/** Redis (both connections, ready), the queues, metrics, the audit trail, the HBR client and Slack's Web API. */
async function buildShared(config: Config, options: BotOptions): Promise<Shared> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const fast = createFastConnection(config.redis, `${config.queuePrefix}:slack`);
  const patient = createWorkerConnection(config.redis, `${config.queuePrefix}:jobs`);
  for (const [name, connection] of [
    ['slack', fast],
    ['jobs', patient],
  ] as const) {
    connection.on('error', (error: Error) =>
      logger.warn({ connection: name, err: error.message }, 'Redis connection error'),
    );
  }
  await Promise.all([waitUntilReady(fast, config.redis), waitUntilReady(patient, config.redis)]).catch(
    (error: unknown) => {
      fast.disconnect();
      patient.disconnect();
      throw error;
    },
  );
  const evictionPolicy = new EvictionPolicyCheck(fast, logger);
  await evictionPolicy.logAtStart();

  const retryBackoffMs = options.jobs?.retryBackoffMs ?? 5000;
  const queues = new JobQueues({
    connection: fast,
    prefix: config.queuePrefix,
    approvalTtlMs: config.approvalTtlMs,
    retryBackoffMs,
  });
  const writeGuard = createWriteGuard(config.redis);
  const jobStore = new RequestStore(patient, config.queuePrefix, writeGuard);
  const queueCounts = new QueueCounts(patient, config.queuePrefix);
  const gauges = new QueueGaugeCache(
    async () => ({ depths: await queueCounts.depths(), trackedTasks: await jobStore.trackedTaskCount() }),
    GAUGE_REFRESH_MS,
    logger,
  );
  const metrics = new BotMetrics(() => gauges.current());
  // Audit writes go through the fail-fast connection: during a Redis outage the event is still in the log line.
  const audit = new AuditTrail(fast, config.queuePrefix, config.auditMaxLength, logger, now);
  const hbr = new HbrClient({
    ...options.hbr,
    defaultRegion: config.hbr.defaultRegion,
    endpoint: config.hbr.endpoint ?? undefined,
    logger,
    onAttempt: ({ action, code, latencyMs }) => {
      metrics.hbrCalls.inc({ action, code });
      metrics.hbrLatency.observe({ action }, latencyMs / 1000);
    },
  });
  const slackClient = createSlackClient(config, logger, options.slackRetry, (method, error) =>
    metrics.slackErrors.inc({ method, error }),
  );
  const token = new SlackTokenCheck(slackClient, logger, now);
  // One budget for every publisher: it is the workspace's (edit-budget.ts).
  const progressEdits = new EditBudget(patient, config.queuePrefix, config.progressEditsPerMinute, now);
  const publisherOn = (store: RequestStore) =>
    new RequestPublisher({
      client: slackClient,
      store,
      approval: config.access,
      approvalChannel: config.access.approvalChannel,
      progressEdits,
      ownIdentity: () => token.ownIdentity(),
      logger,
      now,
    });
  return {
    config,
    options,
    logger,
    now,
    fast,
    patient,
    evictionPolicy,
    writeGuard,
    directory: new SlackDirectory(slackClient, config.access.userGroupCacheMs, now),
    queues,
    jobStore,
    metrics,
    gauges,
    queueCounts,
    audit,
    activity: new ActivityRecorder(metrics, audit, summaryLine),
    hbr,
    publisherOn,
    slackClient,
    token,
  };
}

/** Bolt serves the ops routes it is given on PORT, GET only. */
function asBoltRoutes(routes: readonly OpsRoute[]): CustomRoute[] {
  return routes.map(({ path, handler }) => ({ path, method: ['GET'], handler }));
}

/**
 * The Slack side, built but not yet listening: the token verified (Bolt then knows who the bot is),
 * readiness, the Bolt app with its ops routes and the delivery ledger, and the listeners on the
 * fail-fast connection; with the routes OPS_PORT serves, when it is set.
 */
async function createSlackSide(shared: Shared): Promise<{ slack: SlackApp; opsPortRoutes: OpsRoute[] }> {
  const { config, logger, now, fast, metrics } = shared;
  const { token } = shared;
  const readiness = new Readiness([
    () => token.readinessProblem(),
    redisAnswers(fast, logger),
    () => shared.evictionPolicy.problem(),
    () => shared.writeGuard.problem(fast),
  ]);
  const identity = await token.verify();
  const ledger = new DeliveryLedger(fast, config.queuePrefix);
  const routes = opsRoutes({
    readiness,
    metrics,
    metricsToken: config.metricsToken,
    opsPort: config.ops.port,
    logger,
  });
  const slack = createSlackApp(config, logger, asBoltRoutes(routes.onPort), identity, ledger);
  const store = new RequestStore(fast, config.queuePrefix, shared.writeGuard);
  // A minute's worth may be spent at once: a burst of commands is fine, a stream of them is not.
  const perUser = config.commandsPerUserPerMinute;
  const commandBuckets = new TokenBuckets(fast, { perMinute: perUser, capacity: perUser }, now);
  registerListeners(
    slack.app,
    {
      config,
      store,
      queues: shared.queues,
      publisher: shared.publisherOn(store),
      hbr: shared.hbr,
      directory: shared.directory,
      activity: shared.activity,
      auditTrail: shared.audit,
      commandBudget: {
        take: (userId, cost) => commandBuckets.take(`${config.queuePrefix}:budget:commands:${userId}`, cost),
      },
      now,
      logger,
    },
    ackTimer((kind, seconds) => metrics.ackLatency.observe({ kind }, seconds)),
  );
  return { slack, opsPortRoutes: routes.onOpsPort };
}

/**
 * The workers, one per queue, on the patient connection; then the sweep, at start (what a crash left
 * behind) and on a schedule (what jobs gave up on while running).
 */
async function startWorkers(shared: Shared): Promise<RunningWorkers> {
  const { config, options, logger, now, patient, queues, metrics, jobStore } = shared;
  const jobDeps = {
    store: jobStore,
    hbr: shared.hbr,
    messages: shared.publisherOn(jobStore),
    queues,
    activity: shared.activity,
    explainFailure: explainApiFailure,
    now,
    logger,
  };
  // What a submit job checks before calling HBR: the approval in the record is one a person allowed to approve gave.
  const approvals = {
    isApprover: (userId: string) => shared.directory.isListed(userId, config.access.approvers),
    allowSelfApproval: config.access.allowSelfApproval,
    explainRefusal: explainApprovalRefusal,
  };
  const sweepDeps: SweepDeps = {
    ...jobDeps,
    firstPollDelayMs: config.poll.firstDelayMs,
    preflightEnabled: config.preflight.enabled,
  };
  // Pre-flight look-ups: the same credentials chain, timeouts and retries as HBR, ECS's endpoint.
  const ecs = new EcsClient({
    ...options.hbr,
    ...options.ecs,
    defaultRegion: config.hbr.defaultRegion,
    endpoint: config.preflight.ecsEndpoint ?? undefined,
    logger,
    onAttempt: ({ action, code }) => metrics.ecsCalls.inc({ action, code }),
  });
  const workerOptions = {
    connection: patient,
    prefix: config.queuePrefix,
    concurrency: options.jobs?.concurrency ?? 10,
    lockDuration: options.jobs?.lockDurationMs ?? 30_000,
    stalledInterval: options.jobs?.stalledIntervalMs ?? 15_000,
    maxStalledCount: 20,
  };
  const preflightWorker = new Worker(
    QUEUE_NAMES.preflight,
    createPreflightProcessor({
      ...jobDeps,
      ecs,
      enabled: config.preflight.enabled,
      tagKeys: config.preflight.tagKeys,
    }),
    workerOptions,
  );
  const workers = [
    new Worker(
      QUEUE_NAMES.submit,
      createSubmitProcessor({
        ...jobDeps,
        approvals,
        firstPollDelayMs: config.poll.firstDelayMs,
        claimStaleMs: options.jobs?.claimStaleMs ?? 90_000,
      }),
      workerOptions,
    ),
    new Worker(
      QUEUE_NAMES.poll,
      createPollProcessor({ ...jobDeps, intervalMs: config.poll.intervalMs, taskTimeoutMs: config.poll.taskTimeoutMs }),
      // A poll waits on HBR and Slack, barely on CPU: many in flight keep thousands of tasks on schedule.
      { ...workerOptions, concurrency: options.jobs?.pollConcurrency ?? 50 },
    ),
    new Worker(QUEUE_NAMES.expire, createExpireProcessor(jobDeps), workerOptions),
    new Worker(QUEUE_NAMES.sweep, () => sweep(sweepDeps), { ...workerOptions, concurrency: 1 }),
    preflightWorker,
  ];
  for (const worker of workers) {
    worker.on('failed', (job: Job | undefined, error: Error) =>
      logger.error(
        {
          queue: worker.name,
          job: job?.id,
          requestId: (job?.data as { requestId?: unknown } | undefined)?.requestId,
          attempts: job?.attemptsMade,
          err: error,
        },
        'job failed',
      ),
    );
    worker.on('error', (error: Error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  }

  await sweep(sweepDeps);
  await queues.scheduleSweep(config.sweepIntervalMs);
  return {
    async stop() {
      // A pre-flight look-up only adds details and is idempotent: a stop never waits for ECS (the job's
      // lock expires and another process, or the next start, runs it again).
      await preflightWorker.close(true);
      await closeWorkers(workers, options.shutdownTimeoutMs ?? 10_000, logger);
    },
    async abandon() {
      await Promise.allSettled(workers.map((worker) => worker.close(true)));
    },
  };
}

/**
 * Lets active jobs finish, up to `timeoutMs`; past that they are abandoned: their locks expire and
 * another process picks them up, which is safe because every job step is idempotent.
 */
async function closeWorkers(workers: Worker[], timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const closed = Promise.all(workers.map((worker) => worker.close())).then(() => 'closed' as const);
  const outcome = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn({ timeoutMs }, 'active jobs did not finish in time; leaving them to the next process');
    await Promise.all(workers.map((worker) => worker.close(true)));
  }
}
