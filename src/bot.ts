/**
 * The composition root: configuration → Redis → store, queues, workers → HBR client → Bolt app.
 * Tests start the real bot through this function with their own stand-ins and short timings.
 */
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { redactUrlPassword, type Config } from './config.js';
import { HbrClient, type HbrClientOptions } from './hbr/client.js';
import { createExpireProcessor } from './jobs/expire.js';
import { createInstallProcessor } from './jobs/install.js';
import { createPollProcessor } from './jobs/poll.js';
import { JobQueues, QUEUE_NAMES } from './jobs/queues.js';
import { recoverOpenRequests } from './jobs/recover.js';
import { createFastConnection, createWorkerConnection, waitUntilReady } from './redis/connections.js';
import { createSlackApp, healthRoute } from './slack/app.js';
import { SlackDirectory } from './slack/directory.js';
import { registerListeners } from './slack/listeners/index.js';
import { RequestPublisher } from './slack/request-publisher.js';
import { RequestStore } from './store/requests.js';

export interface BotOptions {
  logger: Logger;
  now?: () => number;
  /** HBR client settings beyond the configuration (credentials, retry timings in tests). */
  hbr?: Partial<Omit<HbrClientOptions, 'defaultRegion' | 'endpoint' | 'logger'>>;
  /**
   * Job lock settings. A poll chain lasts 15 minutes, so a worker that dies mid-job must be
   * noticed well within one poll interval: a 30 s lock renewed every 15 s, stalled jobs checked
   * every 15 s. Re-running a job is safe (every step is idempotent), so a stalled job is retried
   * many times rather than failed.
   */
  jobs?: { lockDurationMs?: number; stalledIntervalMs?: number; retryBackoffMs?: number; concurrency?: number };
}

export interface RunningBot {
  port: number;
  url: string;
  /** Graceful: stop taking Slack requests, let running jobs finish, close connections. */
  stop(): Promise<void>;
  /** Like kill -9 for tests: drops connections and workers without letting anything finish. */
  crash(): Promise<void>;
}

export async function startHbrBot(config: Config, options: BotOptions): Promise<RunningBot> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const redisUrl = redactUrlPassword(config.redisUrl);
  const fast = createFastConnection(config.redisUrl, `${config.queuePrefix}:slack`);
  const patient = createWorkerConnection(config.redisUrl, `${config.queuePrefix}:jobs`);
  for (const [name, connection] of [['slack', fast], ['jobs', patient]] as const) {
    connection.on('error', (error: Error) => logger.warn({ connection: name, err: error.message }, 'Redis connection error'));
  }
  await Promise.all([waitUntilReady(fast, redisUrl), waitUntilReady(patient, redisUrl)]);

  const retryBackoffMs = options.jobs?.retryBackoffMs ?? 5000;
  const queues = new JobQueues({ connection: fast, prefix: config.queuePrefix, approvalTtlMs: config.approvalTtlMs, retryBackoffMs });
  const handlerStore = new RequestStore(fast, config.queuePrefix);
  const jobStore = new RequestStore(patient, config.queuePrefix);
  const hbr = new HbrClient({ ...options.hbr, defaultRegion: config.hbr.defaultRegion, endpoint: config.hbr.endpoint ?? undefined, logger });

  const slack = createSlackApp(config, logger, [healthRoute()]);
  const client = slack.app.client;
  const directory = new SlackDirectory(client, now);
  const handlerPublisher = new RequestPublisher(client, handlerStore, config.access.approvers);
  const jobPublisher = new RequestPublisher(client, jobStore, config.access.approvers);
  registerListeners(slack.app, { config, store: handlerStore, queues, publisher: handlerPublisher, directory, now, logger });

  const jobDeps = { store: jobStore, hbr, publisher: jobPublisher, queues, now, logger };
  const workerOptions = {
    connection: patient,
    prefix: config.queuePrefix,
    concurrency: options.jobs?.concurrency ?? 10,
    lockDuration: options.jobs?.lockDurationMs ?? 30_000,
    stalledInterval: options.jobs?.stalledIntervalMs ?? 15_000,
    maxStalledCount: 20,
  };
  const workers = [
    new Worker(QUEUE_NAMES.install, createInstallProcessor({ ...jobDeps, firstPollDelayMs: config.poll.firstDelayMs }), workerOptions),
    new Worker(
      QUEUE_NAMES.poll,
      createPollProcessor({ ...jobDeps, intervalMs: config.poll.intervalMs, taskTimeoutMs: config.poll.taskTimeoutMs }),
      workerOptions,
    ),
    new Worker(QUEUE_NAMES.expire, createExpireProcessor(jobDeps), workerOptions),
  ];
  for (const worker of workers) {
    worker.on('failed', (job: Job | undefined, error: Error) =>
      logger.error({ queue: worker.name, job: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('error', (error: Error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  }

  await recoverOpenRequests({ store: jobStore, queues, now, logger, firstPollDelayMs: config.poll.firstDelayMs });
  const port = await slack.start();
  logger.info({ port, mode: config.slack.appToken === null ? 'http' : 'socket' }, 'hbr-bot started');

  const closeConnections = async () => {
    await queues.close();
    await Promise.allSettled([fast.quit(), patient.quit()]);
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await slack.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await closeConnections();
      logger.info('hbr-bot stopped');
    },
    async crash() {
      await slack.stop();
      fast.disconnect();
      patient.disconnect();
      await Promise.allSettled(workers.map((worker) => worker.close(true)));
      await Promise.allSettled([queues.close()]);
    },
  };
}
