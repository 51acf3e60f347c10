/**
 * Queue names, job ids and default job options in one place. One queue per job kind, so each
 * kind gets its own worker and concurrency; job ids derive from the request id, so a job cannot be
 * enqueued twice for one request while it is kept.
 */
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';

export const QUEUE_NAMES = {
  /** Sends an approved request to HBR (Install- or UninstallBackupClients), whatever its operation. */
  submit: 'submit',
  poll: 'poll',
  expire: 'expire',
  /** Looks a pending request's instances up in ECS and adds what it found to the request message. */
  preflight: 'preflight',
  /** Every HBR_SWEEP_INTERVAL_MS, once across all processes: repairs what jobs gave up on (sweep.ts). */
  sweep: 'sweep',
} as const;

/** The queues holding one job per request, by the job id prefix `<queue>-<request id>`. */
export type RequestQueue = 'submit' | 'poll' | 'expire' | 'preflight';

export interface RequestJobData {
  requestId: string;
}

export interface PollJobData extends RequestJobData {
  /** Polls already run; the next one is due at `firstPollAt + tick * interval`. */
  tick: number;
  /** Set when the poll chain starts; the grid the polls keep to so a late worker does not drift. */
  firstPollAt: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Finished jobs are kept long enough for their ids to keep deduplicating (at least the approval
 * TTL), with a count cap so Redis does not grow without bound.
 */
function retention(approvalTtlMs: number): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  const keepSeconds = Math.max(7 * DAY_SECONDS, Math.ceil((2 * approvalTtlMs) / 1000));
  return {
    removeOnComplete: { age: keepSeconds, count: 50_000 },
    removeOnFail: { age: Math.max(30 * DAY_SECONDS, keepSeconds), count: 50_000 },
  };
}

export interface JobQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  approvalTtlMs: number;
  /** Backoff base for job-level retries of transient failures (the HBR client retries first). */
  retryBackoffMs: number;
}

export class JobQueues {
  readonly submit: Queue<RequestJobData>;
  readonly poll: Queue<PollJobData>;
  readonly expire: Queue<RequestJobData>;
  readonly preflight: Queue<RequestJobData>;
  readonly sweep: Queue;
  private readonly defaults: JobsOptions;
  private readonly retryBackoffMs: number;

  constructor(options: JobQueueOptions) {
    const queueOptions = { connection: options.connection, prefix: options.prefix };
    this.submit = new Queue<RequestJobData>(QUEUE_NAMES.submit, queueOptions);
    this.poll = new Queue<PollJobData>(QUEUE_NAMES.poll, queueOptions);
    this.expire = new Queue<RequestJobData>(QUEUE_NAMES.expire, queueOptions);
    this.preflight = new Queue<RequestJobData>(QUEUE_NAMES.preflight, queueOptions);
    this.sweep = new Queue(QUEUE_NAMES.sweep, queueOptions);
    this.defaults = retention(options.approvalTtlMs);
    this.retryBackoffMs = options.retryBackoffMs;
  }

  /**
   * A job id keeps deduplicating after its job failed for good, so adding it again would do
   * nothing: revive the failed job instead. Called when a start finds the request still open.
   */
  async reviveIfFailed(queue: RequestQueue, requestId: string): Promise<boolean> {
    const job = await this[queue].getJob(`${queue}-${requestId}`);
    if (job === undefined || !(await job.isFailed())) return false;
    await job.retry('failed');
    return true;
  }

  /** Whether a submit or poll job of the request is waiting, delayed or running: it will finish the request itself. */
  async hasLiveJob(requestId: string): Promise<boolean> {
    const states = await Promise.all(
      (['submit', 'poll'] as const).map(async (queue) =>
        (await this[queue].getJob(`${queue}-${requestId}`))?.getState(),
      ),
    );
    return states.some((state) => state !== undefined && !['completed', 'failed', 'unknown'].includes(state));
  }

  /** The sweep, every `everyMs`; one schedule across all processes (re-declaring it updates it). */
  async scheduleSweep(everyMs: number): Promise<void> {
    await this.sweep.upsertJobScheduler(
      'sweep',
      { every: everyMs },
      { name: 'sweep', opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  async enqueueSubmit(requestId: string): Promise<void> {
    await this.submit.add(
      'submit',
      { requestId },
      {
        ...this.defaults,
        jobId: `submit-${requestId}`,
        // HBR refusals (throttling, 503, unreachable) that outlast the client's own retries are
        // retried by BullMQ; a failure whose outcome is unknown never is (submit.ts).
        attempts: 6,
        backoff: { type: 'exponential', delay: this.retryBackoffMs },
      },
    );
  }

  async startPolling(requestId: string, firstPollAt: number, now: number): Promise<void> {
    await this.poll.add(
      'poll',
      { requestId, tick: 0, firstPollAt },
      {
        ...this.defaults,
        jobId: `poll-${requestId}`,
        delay: Math.max(0, firstPollAt - now),
        attempts: 6,
        backoff: { type: 'exponential', delay: this.retryBackoffMs },
      },
    );
  }

  async scheduleExpiry(requestId: string, expiresAt: number, now: number): Promise<void> {
    await this.expire.add(
      'expire',
      { requestId },
      {
        ...this.defaults,
        jobId: `expire-${requestId}`,
        delay: Math.max(0, expiresAt - now),
        attempts: 10,
        backoff: { type: 'exponential', delay: this.retryBackoffMs },
      },
    );
  }

  /**
   * The pre-flight look-up of a request whose message is posted (job id `preflight-<request>`): a
   * couple of attempts, then the request message says the details are unavailable.
   */
  async enqueuePreflight(requestId: string): Promise<void> {
    await this.preflight.add(
      'preflight',
      { requestId },
      {
        ...this.defaults,
        jobId: `preflight-${requestId}`,
        attempts: 3,
        backoff: { type: 'exponential', delay: this.retryBackoffMs },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([
      this.submit.close(),
      this.poll.close(),
      this.expire.close(),
      this.preflight.close(),
      this.sweep.close(),
    ]);
  }
}

/**
 * Job counts of every queue, for the queue gauges: on a connection of its own choosing, so reading
 * them never queues commands on the Slack handlers' fail-fast connection.
 */
export class QueueCounts {
  private readonly queues: Queue[];

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queues = Object.values(QUEUE_NAMES).map((name) => new Queue(name, { connection, prefix }));
  }

  /** Jobs per queue and state (waiting, delayed, active, failed). */
  async depths(): Promise<Array<{ queue: string; state: string; count: number }>> {
    const states = ['waiting', 'delayed', 'active', 'failed'] as const;
    const perQueue = await Promise.all(
      this.queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...states);
        return states.map((state) => ({ queue: queue.name, state, count: counts[state] ?? 0 }));
      }),
    );
    return perQueue.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
