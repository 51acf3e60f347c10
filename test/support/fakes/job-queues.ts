/**
 * The BullMQ queues (src/jobs/queues.ts) as a record of what was enqueued, for the unit tests. Job
 * ids deduplicate as in BullMQ: a second add of a request's job while the first is kept does nothing.
 */
import type { JobQueues, RequestQueue } from '../../../src/jobs/queues.js';
import { CallRecorder } from './call-recorder.js';

type FakedMethod =
  | 'enqueueSubmit'
  | 'startPolling'
  | 'scheduleExpiry'
  | 'enqueuePreflight'
  | 'reviveIfFailed'
  | 'hasLiveJob';

/** A job as added: its queue, request and when it is due (null: at once). */
export interface AddedJob {
  queue: RequestQueue;
  requestId: string;
  /** When the job is due (epoch ms), null when it runs at once. */
  dueAt: number | null;
}

export class FakeJobQueues implements Pick<JobQueues, FakedMethod> {
  readonly recorder = new CallRecorder<FakedMethod>();
  /** Jobs added, in order; a deduplicated add is not listed. */
  readonly added: AddedJob[] = [];
  /** Job ids (`<queue>-<request id>`) of jobs that failed for good: reviveIfFailed revives them. */
  readonly failedJobs = new Set<string>();
  readonly revived: string[] = [];
  /** Requests with a submit or poll job waiting, delayed or running. */
  readonly liveJobs = new Set<string>();

  /** The jobs added to one queue. */
  jobsIn(queue: RequestQueue): AddedJob[] {
    return this.added.filter((job) => job.queue === queue);
  }

  private add(queue: RequestQueue, requestId: string, dueAt: number | null): void {
    if (this.added.some((job) => job.queue === queue && job.requestId === requestId)) return;
    this.added.push({ queue, requestId, dueAt });
  }

  async enqueueSubmit(requestId: string): Promise<void> {
    this.recorder.enter('enqueueSubmit');
    this.add('submit', requestId, null);
  }

  async startPolling(requestId: string, firstPollAt: number): Promise<void> {
    this.recorder.enter('startPolling');
    this.add('poll', requestId, firstPollAt);
  }

  async scheduleExpiry(requestId: string, expiresAt: number): Promise<void> {
    this.recorder.enter('scheduleExpiry');
    this.add('expire', requestId, expiresAt);
  }

  async enqueuePreflight(requestId: string): Promise<void> {
    this.recorder.enter('enqueuePreflight');
    this.add('preflight', requestId, null);
  }

  async reviveIfFailed(queue: RequestQueue, requestId: string): Promise<boolean> {
    this.recorder.enter('reviveIfFailed');
    const jobId = `${queue}-${requestId}`;
    if (!this.failedJobs.delete(jobId)) return false;
    this.revived.push(jobId);
    return true;
  }

  async hasLiveJob(requestId: string): Promise<boolean> {
    this.recorder.enter('hasLiveJob');
    return this.liveJobs.has(requestId);
  }
}
