/**
 * Processor for the poll job: one job per request (job id `poll-<request id>`) that, on each run,
 * asks DescribeTask once for every task of the request still running.
 *
 * Why one job per request and not one per TaskId: a request split into chunks has several tasks,
 * but one progress reply and one final reply. A single job per request edits the progress reply at
 * most once per run (so at most once per interval), and is the only writer of the final reply, so no
 * cross-job coordination is needed to post it exactly once.
 *
 * Why the step-job pattern (the job moves itself to delayed) rather than a new job per poll: the job
 * id stays the same for the whole chain, so a restarted or duplicated worker can never fork a second
 * chain, and the job's data carries the fixed grid (`firstPollAt + tick * interval`) so a late run
 * does not make later polls drift.
 */
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { allTasksEnded } from '../domain/outcome.js';
import { type HbrRequest, type TaskProgress, withTasks } from '../domain/request.js';
import type { HbrClient } from '../hbr/client.js';
import { HbrError } from '../hbr/errors.js';
import type { RequestStore } from '../store/requests.js';
import { type FinishDeps, finishRequest } from './finish.js';
import type { ExplainFailure, RequestActivity, RequestMessages } from './ports.js';
import type { PollJobData } from './queues.js';

export interface PollJobDeps {
  store: FinishDeps['store'] & Pick<RequestStore, 'recordTasks' | 'recordFailure'>;
  hbr: FinishDeps['hbr'] & Pick<HbrClient, 'describeTask'>;
  messages: RequestMessages;
  activity: RequestActivity;
  explainFailure: ExplainFailure;
  intervalMs: number;
  taskTimeoutMs: number;
  now: () => number;
  logger: Logger;
}

/** What the processor uses of its BullMQ job: its data, and the step-job moves. */
type PollJob = Pick<Job<PollJobData>, 'id' | 'data' | 'updateData' | 'moveToDelayed'>;

export function createPollProcessor(deps: PollJobDeps) {
  return async function processPoll(job: PollJob, token?: string): Promise<void> {
    const log = deps.logger.child({ requestId: job.data.requestId, job: job.id, tick: job.data.tick });
    const request = await deps.store.get(job.data.requestId);
    if (request === null) {
      log.warn('poll job for a request that no longer exists');
      return;
    }
    if (request.status !== 'polling') {
      // Finished or failed: complete whatever a crashed run left undone (idempotent), then stop.
      if (request.status === 'finished' || request.status === 'failed') await finishRequest(deps, request, deps.now());
      return;
    }

    const polled: TaskProgress[] = [];
    let failed = false;
    for (const submission of request.submissions) {
      const { taskId } = submission;
      if (taskId === null) continue;
      const known = request.tasks.find((t) => t.taskId === taskId);
      if (known !== undefined && known.phase !== 'running') continue;
      const outcome = await pollTask(deps, request, taskId, submission.submittedAt, known, log);
      if (outcome.task !== null) polled.push(outcome.task);
      failed ||= outcome.failureRecorded;
    }
    await deps.store.recordTasks(request.id, polled);

    // This job is the only writer of task records while the request is polled, so the record is
    // brought up to date in memory; only the rare failure record makes it read again.
    const updated = failed ? await deps.store.get(request.id) : withTasks(request, polled);
    if (updated === null) return;
    if (allTasksEnded(updated)) {
      await finishRequest(deps, updated, deps.now());
      log.info('all tasks ended; final reply posted');
      return;
    }
    // Best effort: a progress edit Slack refuses must not use up the job's retries, and with them the final reply.
    await deps.messages
      .syncProgress(updated, { budgeted: true })
      .catch((error: unknown) =>
        log.warn({ err: error }, 'could not update the progress reply; the next poll tries again'),
      );
    const running = runningSubmissions(updated).length;
    if (job.data.tick === 0 || running !== runningSubmissions(request).length)
      await deps.store.setTrackedTasks(updated.id, running);

    const nextAt = nextPollAt(job.data, deps.intervalMs, deadlineOf(updated, deps.taskTimeoutMs), deps.now());
    // Order matters: the data must be saved before the job leaves the active state.
    await job.updateData({ ...job.data, tick: nextAt.tick });
    await job.moveToDelayed(nextAt.at, token);
    throw new DelayedError();
  };
}

/** One DescribeTask: the task record to write (none when HBR could not be asked, before the deadline). */
async function pollTask(
  deps: PollJobDeps,
  request: HbrRequest,
  taskId: string,
  submittedAt: number,
  known: TaskProgress | undefined,
  log: Logger,
): Promise<{ task: TaskProgress | null; failureRecorded: boolean }> {
  const now = deps.now();
  const timedOut = now >= submittedAt + deps.taskTimeoutMs;
  const polls = (known?.polls ?? 0) + 1;
  try {
    // One attempt with one quick retry: a transient failure is simply retried on the next tick.
    const report = await deps.hbr.describeTask(taskId, request.region, { retries: 1 });
    const phase = report.phase === 'running' && timedOut ? 'timed_out' : report.phase;
    log.info({ taskId, hbrRequestId: report.requestId, phase, progress: report.progress }, 'DescribeTask');
    return {
      task: { taskId, phase, progress: report.progress, results: report.results, polledAt: now, polls },
      failureRecorded: false,
    };
  } catch (error) {
    if (!(error instanceof HbrError)) throw error;
    log.warn(
      { taskId, code: error.code, hbrRequestId: error.requestId, transient: error.transient },
      `DescribeTask failed: ${deps.explainFailure(error)}`,
    );
    // A task we can no longer ask about is reported as timed out once its deadline passes, with
    // whatever results the last successful poll saw, and why HBR could not be asked.
    if (!timedOut) return { task: null, failureRecorded: false };
    await deps.store.recordFailure(request.id, {
      code: error.code,
      explanation: `hbr-bot stopped waiting because DescribeTask kept failing: ${deps.explainFailure(error)}`,
      hbrRequestId: error.requestId,
    });
    const task: TaskProgress = {
      taskId,
      phase: 'timed_out',
      progress: known?.progress ?? 0,
      results: known?.results ?? [],
      polledAt: now,
      polls,
    };
    return { task, failureRecorded: true };
  }
}

/** Submissions whose task is still running (or not yet polled). */
function runningSubmissions(request: HbrRequest): HbrRequest['submissions'] {
  return request.submissions.filter(
    (s) => s.taskId !== null && (request.tasks.find((t) => t.taskId === s.taskId)?.phase ?? 'running') === 'running',
  );
}

function deadlineOf(request: HbrRequest, taskTimeoutMs: number): number {
  return Math.max(...runningSubmissions(request).map((s) => s.submittedAt + taskTimeoutMs));
}

/**
 * The next grid point after `now` (skipping ticks a late worker missed), but never later than the
 * deadline, so the timeout is reported on time.
 * @public The bench's bare worker loads it by path (bench/servers/bare-worker.ts), which knip cannot follow.
 */
export function nextPollAt(
  data: PollJobData,
  intervalMs: number,
  deadline: number,
  now: number,
): { at: number; tick: number } {
  let tick = data.tick + 1;
  let at = data.firstPollAt + tick * intervalMs;
  if (at <= now) {
    tick = Math.floor((now - data.firstPollAt) / intervalMs) + 1;
    at = data.firstPollAt + tick * intervalMs;
  }
  return at > deadline ? { at: Math.max(deadline, now), tick } : { at, tick };
}
