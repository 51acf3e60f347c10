/**
 * The poll job's processor (src/jobs/poll.ts), called directly with fakes: one DescribeTask per
 * running task, the next run on the HBR_POLL_INTERVAL_MS grid counted from the first poll, the
 * timeout after HBR_TASK_TIMEOUT_MS, and the final reply once when every task ended.
 */
import { DelayedError } from 'bullmq';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HbrRequest } from '../../../src/domain/request.js';
import { createPollProcessor } from '../../../src/jobs/poll.js';
import { FakePollJob } from '../../support/fakes/bullmq-job.js';
import { hbrError, taskReport } from '../../support/fakes/hbr-client.js';
import { fakeJobWorld, POLL_TIMINGS } from '../../support/fakes/job-deps.js';
import { pendingRequest, posted, submit, withStatus } from '../../support/request-fixtures.js';

const { firstPollDelayMs, intervalMs, taskTimeoutMs } = POLL_TIMINGS;
/** The worker's lock token, which the step-job move must pass on. */
const TOKEN = 'lock-token';

let world: ReturnType<typeof fakeJobWorld>;
/** 25 instances in two chunks, tasks t-task0 and t-task1, submitted at the same moment. */
let request: HbrRequest;
let submittedAt: number;
let firstPollAt: number;

beforeEach(() => {
  world = fakeJobWorld();
  request = submit(withStatus(posted(pendingRequest(25)), 'polling'));
  world.store.put(request);
  submittedAt = request.submissions[0]?.submittedAt ?? Number.NaN;
  firstPollAt = submittedAt + firstPollDelayMs;
  world.clock.time = firstPollAt;
  answerEveryTask('running');
});

function answerEveryTask(phase: 'running' | 'completed'): void {
  for (const taskId of ['t-task0', 't-task1']) world.hbr.taskAnswers.set(taskId, taskReport(taskId, phase));
}

function pollJob(tick = 0): FakePollJob {
  return new FakePollJob({ requestId: request.id, tick, firstPollAt });
}

/** One run: 'moved' when the job moved itself to delayed (BullMQ's step-job contract), 'ended' when it returned. */
async function runPoll(job: FakePollJob): Promise<'moved' | 'ended'> {
  try {
    await createPollProcessor(world.deps)(job, TOKEN);
    return 'ended';
  } catch (error) {
    if (error instanceof DelayedError) return 'moved';
    throw error;
  }
}

describe('poll job: cadence', () => {
  it('runs on the HBR_POLL_INTERVAL_MS grid counted from the first poll, however late each run starts', async () => {
    const job = pollJob();
    const dueAt: number[] = [];
    for (let run = 1; run <= 4; run += 1) {
      expect(await runPoll(job)).toBe('moved');
      const move = job.moves.at(-1);
      dueAt.push(move?.at ?? Number.NaN);
      // The next run starts a little late, later each time: the grid must not drift with it.
      world.clock.time = (move?.at ?? Number.NaN) + run * 700;
    }

    expect(dueAt).toEqual([1, 2, 3, 4].map((tick) => firstPollAt + tick * intervalMs));
    expect(job.data.tick).toBe(4);
  });

  it('saves the next tick in the job data before moving the job, with the worker’s token', async () => {
    const job = pollJob();
    await runPoll(job);

    expect(job.moves).toEqual([{ at: firstPollAt + intervalMs, data: { ...job.data, tick: 1 }, token: TOKEN }]);
  });

  it('a run that starts after several grid points skips the missed ticks and stays on the grid', async () => {
    const job = pollJob(1);
    world.clock.time = firstPollAt + 3.5 * intervalMs;

    await runPoll(job);

    expect(job.moves[0]?.at).toBe(firstPollAt + 4 * intervalMs);
    expect(job.data.tick).toBe(4);
  });

  it('the last poll before HBR_TASK_TIMEOUT_MS is moved to the deadline, not to the grid point after it', async () => {
    const deadline = submittedAt + taskTimeoutMs;
    const lastTickBefore = Math.floor((deadline - firstPollAt) / intervalMs);
    const job = pollJob(lastTickBefore);
    world.clock.time = firstPollAt + lastTickBefore * intervalMs;

    await runPoll(job);

    expect(firstPollAt + (lastTickBefore + 1) * intervalMs).toBeGreaterThan(deadline);
    expect(job.moves[0]?.at).toBe(deadline);
  });
});

describe('poll job: tasks', () => {
  it('asks DescribeTask once per running task and records what HBR said', async () => {
    world.hbr.taskAnswers.set('t-task1', taskReport('t-task1', 'completed'));

    await runPoll(pollJob());

    expect(world.hbr.describeTaskCalls).toEqual(['t-task0', 't-task1']);
    expect(world.store.peek(request.id).tasks.map((t) => [t.taskId, t.phase, t.polls])).toEqual([
      ['t-task0', 'running', 1],
      ['t-task1', 'completed', 1],
    ]);
    expect(world.store.trackedTasks.get(request.id)).toBe(1);
  });

  it('does not ask about a task that already ended', async () => {
    world.hbr.taskAnswers.set('t-task1', taskReport('t-task1', 'completed'));
    const job = pollJob();
    await runPoll(job);
    world.clock.time = job.moves[0]?.at ?? Number.NaN;

    await runPoll(job);

    expect(world.hbr.describeTaskCalls).toEqual(['t-task0', 't-task1', 't-task0']);
  });

  it('keeps the progress reply up to date, and goes on when Slack refuses the edit', async () => {
    world.messages.recorder.fail('syncProgress', new Error('ratelimited'));

    expect(await runPoll(pollJob())).toBe('moved');
    expect(world.messages.recorder.count('syncProgress')).toBe(1);
  });

  it('a DescribeTask failure before the deadline is simply tried again on the next tick', async () => {
    world.hbr.taskAnswers.set('t-task0', hbrError('Throttling', 'DescribeTask'));

    expect(await runPoll(pollJob())).toBe('moved');

    const after = world.store.peek(request.id);
    expect(after.tasks.map((t) => t.taskId)).toEqual(['t-task1']);
    expect(after.failure).toBeNull();
  });
});

describe('poll job: the end', () => {
  it('when every task ended: finished, one final reply, no further poll; a later run posts nothing more', async () => {
    answerEveryTask('completed');
    const job = pollJob();

    expect(await runPoll(job)).toBe('ended');
    expect(await runPoll(job)).toBe('ended');

    expect(job.moves).toEqual([]);
    expect(world.store.peek(request.id).status).toBe('finished');
    expect(world.messages.finals).toHaveLength(1);
    expect(world.activity.kinds()).toEqual(['finished']);
    expect(world.store.trackedTasks.has(request.id)).toBe(false);
  });

  it('a task still running HBR_TASK_TIMEOUT_MS after its submission is reported timed out and the request ends', async () => {
    world.clock.time = submittedAt + taskTimeoutMs;

    expect(await runPoll(pollJob(12))).toBe('ended');

    const ended = world.store.peek(request.id);
    expect(ended.tasks.map((t) => t.phase)).toEqual(['timed_out', 'timed_out']);
    expect(ended.status).toBe('finished');
    expect(world.messages.finals).toHaveLength(1);
  });

  it('one millisecond before HBR_TASK_TIMEOUT_MS a running task is still waited for', async () => {
    world.clock.time = submittedAt + taskTimeoutMs - 1;

    expect(await runPoll(pollJob(12))).toBe('moved');
    expect(world.store.peek(request.id).tasks.map((t) => t.phase)).toEqual(['running', 'running']);
  });

  it('DescribeTask still failing at the deadline: timed out, with why HBR could not be asked', async () => {
    world.clock.time = submittedAt + taskTimeoutMs;
    world.hbr.taskAnswers.set('t-task0', hbrError('Forbidden.RAM', 'DescribeTask'));
    world.hbr.taskAnswers.set('t-task1', taskReport('t-task1', 'completed'));

    expect(await runPoll(pollJob(12))).toBe('ended');

    const ended = world.store.peek(request.id);
    expect(ended.tasks.map((t) => [t.taskId, t.phase])).toEqual([
      ['t-task0', 'timed_out'],
      ['t-task1', 'completed'],
    ]);
    expect(ended.failure?.explanation).toBe(
      'hbr-bot stopped waiting because DescribeTask kept failing: explained Forbidden.RAM',
    );
  });

  it('a request no longer polled is left alone; a finished one only gets what a crashed run left undone', async () => {
    world.store.put({ ...request, status: 'finished' });

    expect(await runPoll(pollJob())).toBe('ended');

    expect(world.hbr.describeTaskCalls).toEqual([]);
    expect(world.messages.finals).toHaveLength(1);

    world.store.put(withStatus(posted(pendingRequest(25)), 'rejected'));
    expect(await runPoll(pollJob())).toBe('ended');
    expect(world.hbr.describeTaskCalls).toEqual([]);
    expect(world.messages.finals).toHaveLength(1);
  });
});
