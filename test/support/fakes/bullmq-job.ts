/**
 * A BullMQ job as the processors read it (the members of bullmq's Job they use), recording the
 * poll job's step-job moves instead of making them in Redis.
 */
import type { Job } from 'bullmq';
import type { PollJobData, RequestJobData } from '../../../src/jobs/queues.js';

/** A submit, expire or pre-flight job: its data, id and attempts. */
export function requestJob(
  queue: 'submit' | 'expire' | 'preflight',
  requestId: string,
  attempts: { made: number; allowed: number } = { made: 0, allowed: 3 },
): Pick<Job<RequestJobData>, 'id' | 'data' | 'attemptsMade' | 'opts'> {
  return {
    id: `${queue}-${requestId}`,
    data: { requestId },
    attemptsMade: attempts.made,
    opts: { attempts: attempts.allowed },
  };
}

/** The poll job: `moveToDelayed` and `updateData` record what the processor asked for. */
export class FakePollJob implements Pick<Job<PollJobData>, 'id' | 'data' | 'updateData' | 'moveToDelayed'> {
  readonly id: string;
  data: PollJobData;
  /** Each moveToDelayed: when the next run is due, with the job's data saved by then. */
  readonly moves: Array<{ at: number; data: PollJobData; token: string | undefined }> = [];

  constructor(data: PollJobData) {
    this.id = `poll-${data.requestId}`;
    this.data = data;
  }

  async updateData(data: PollJobData): Promise<void> {
    this.data = data;
  }

  async moveToDelayed(timestamp: number, token?: string): Promise<void> {
    this.moves.push({ at: timestamp, data: this.data, token });
  }
}
