/**
 * Child process: the poll floor. A bare BullMQ worker with the bot's worker settings (same
 * connection kind, concurrency, lock and stall settings) whose jobs do nothing but what the bot's
 * poll job needs from BullMQ to come back on its grid: record when it ran, compute the next grid
 * point with the bot's own `nextPollAt`, save the tick and move itself back to delayed.
 */
import { DelayedError, type Job, Worker } from 'bullmq';
import type { RedisTarget } from '../../src/config.js';
import type { PollJobData } from '../../src/jobs/queues.js';
import type { RedisConnection } from '../../src/redis/connections.js';
import { serve, usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';

const { nextPollAt } = await importFromCheckout<typeof import('../../src/jobs/poll.js')>('src/jobs/poll.js');
const connections =
  await importFromCheckout<typeof import('../../src/redis/connections.js')>('src/redis/connections.js');

/** The bot's worker connection; a checkout from before Redis targets (HBR_BENCH_CHECKOUT) takes a URL. */
function workerConnection(target: RedisTarget, name: string): RedisConnection {
  if (typeof (connections as { createConnection?: unknown }).createConnection === 'function')
    return connections.createWorkerConnection(target, name);
  if (target.mode !== 'single') throw new Error('this checkout of the bot runs on one Redis only');
  const byUrl = connections.createWorkerConnection as unknown as (url: string, name: string) => RedisConnection;
  return byUrl(target.url, name);
}

export interface BareWorkerOptions {
  /** The Redis the bot under test uses (one node or a Cluster). */
  redis: RedisTarget;
  prefix: string;
  queue: string;
  intervalMs: number;
  concurrency: number;
}

let worker: Worker<PollJobData> | null = null;
let connection: RedisConnection | null = null;
/** Request id (job data) and start time of every run. */
const runs = { id: [] as string[], at: [] as number[] };

serve(
  {
    async start(options: BareWorkerOptions) {
      if (worker !== null) throw new Error('already started');
      runs.id.length = runs.at.length = 0;
      const patient = workerConnection(options.redis, `${options.prefix}:bare`);
      connection = patient;
      worker = new Worker<PollJobData>(
        options.queue,
        async (job: Job<PollJobData>, token?: string) => {
          runs.id.push(job.data.requestId);
          runs.at.push(Date.now());
          const next = nextPollAt(job.data, options.intervalMs, Number.POSITIVE_INFINITY, Date.now());
          await job.updateData({ ...job.data, tick: next.tick });
          await job.moveToDelayed(next.at, token);
          throw new DelayedError();
        },
        {
          connection: patient,
          prefix: options.prefix,
          concurrency: options.concurrency,
          lockDuration: 30_000,
          stalledInterval: 15_000,
          maxStalledCount: 20,
        },
      );
      worker.on('error', (error: Error) => process.stderr.write(`bare worker error: ${error.message}\n`));
      await worker.waitUntilReady();
    },
    async stop() {
      await worker?.close();
      worker = null;
      await connection?.quit().catch(() => undefined);
      connection = null;
    },
    /** Every run since the last start. */
    runs() {
      return runs;
    },
    usage,
  },
  async () => {
    await worker?.close();
    await connection?.quit().catch(() => undefined);
  },
);
