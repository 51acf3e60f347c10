/**
 * The submit job's processor (src/jobs/submit.ts), called directly with fakes: chunks of at most 20
 * per HBR call, each answer recorded before the next call, a chunk marked in flight never sent again,
 * what each kind of HBR failure leads to, and the start of polling.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SUBMISSION_UNANSWERED, SUBMISSION_UNCERTAIN } from '../../../src/domain/outcome.js';
import type { HbrRequest } from '../../../src/domain/request.js';
import { HbrError } from '../../../src/hbr/errors.js';
import { createSubmitProcessor } from '../../../src/jobs/submit.js';
import { requestJob } from '../../support/fakes/bullmq-job.js';
import { acceptEveryInstance, hbrError } from '../../support/fakes/hbr-client.js';
import { fakeJobWorld, POLL_TIMINGS } from '../../support/fakes/job-deps.js';
import { pendingRequest, posted, submit, withStatus } from '../../support/request-fixtures.js';

/** 45 instances: chunks of 20, 20 and 5. */
const INSTANCES = 45;

let world: ReturnType<typeof fakeJobWorld>;
let request: HbrRequest;

beforeEach(() => {
  world = fakeJobWorld();
  request = withStatus(posted(pendingRequest(INSTANCES)), 'approved');
  world.store.put(request);
});

/** One run of the job, as BullMQ's `attempts.made`-th attempt of six. */
function runSubmit(attemptsMade = 0): Promise<void> {
  return createSubmitProcessor(world.deps)(requestJob('submit', request.id, { made: attemptsMade, allowed: 6 }));
}

function chunkOf(index: number): string[] {
  return request.instanceIds.slice(index * 20, index * 20 + 20);
}

describe('submit job: chunks', () => {
  it('sends the instances to InstallBackupClients in chunks of at most 20, in order, in the request region', async () => {
    await runSubmit();

    expect(world.hbr.submitCalls.map((call) => call.instanceIds)).toEqual([chunkOf(0), chunkOf(1), chunkOf(2)]);
    expect(world.hbr.submitCalls.map((call) => call.instanceIds.length)).toEqual([20, 20, 5]);
    expect(new Set(world.hbr.submitCalls.map((call) => `${call.action} ${call.region}`))).toEqual(
      new Set([`InstallBackupClients ${request.region}`]),
    );
  });

  it('sends an uninstall request to UninstallBackupClients', async () => {
    request = withStatus(posted(pendingRequest(3, 'cn-shanghai', 'uninstall')), 'approved');
    world.store.put(request);

    await runSubmit();

    expect(world.hbr.submitCalls).toEqual([
      { action: 'UninstallBackupClients', instanceIds: request.instanceIds, region: 'cn-shanghai' },
    ]);
  });

  it('marks each chunk in flight and records the answer of the one before it before asking HBR', async () => {
    const seenByHbr: Array<{ recorded: number[]; inFlight: boolean }> = [];
    world.hbr.answerSubmission = (call, n) => {
      seenByHbr.push({
        recorded: world.store.peek(request.id).submissions.map((s) => s.index),
        inFlight: world.store.isChunkInFlight(request.id, n),
      });
      return acceptEveryInstance(call, n);
    };

    await runSubmit();

    expect(seenByHbr).toEqual([
      { recorded: [], inFlight: true },
      { recorded: [0], inFlight: true },
      { recorded: [0, 1], inFlight: true },
    ]);
  });

  it('records every answer: task, HBR request id, each instance as HBR judged it; reports each chunk once', async () => {
    world.hbr.answerSubmission = (call, n) => {
      const answer = acceptEveryInstance(call, n);
      const refused = call.instanceIds[0] ?? '';
      return {
        ...answer,
        statuses: answer.statuses.map((s) =>
          s.instanceId === refused ? { ...s, valid: false, errorCode: 'InstanceNotRunning' } : s,
        ),
      };
    };

    await runSubmit();

    const { submissions } = world.store.peek(request.id);
    expect(submissions.map((s) => [s.index, s.taskId, s.hbrRequestId])).toEqual([
      [0, 't-0', 'HBR-REQ-0'],
      [1, 't-1', 'HBR-REQ-1'],
      [2, 't-2', 'HBR-REQ-2'],
    ]);
    expect(submissions[1]?.instances[0]).toEqual({
      instanceId: chunkOf(1)[0],
      valid: false,
      errorCode: 'InstanceNotRunning',
    });
    expect(submissions[1]?.instances.filter((i) => i.valid)).toHaveLength(19);
    expect(world.activity.reports.filter((r) => r.kind === 'submitted').map((r) => r.chunk)).toEqual([0, 1, 2]);
  });
});

describe('submit job: a run after a crash', () => {
  it('never sends again a chunk a dead process had marked in flight: its instances are reported unknown', async () => {
    request = { ...submit(request, {}, 1), status: 'submitting' };
    world.store.put(request);
    world.store.putChunkInFlight(request.id, 1);

    await runSubmit();

    expect(world.hbr.submitCalls.map((call) => call.instanceIds)).toEqual([chunkOf(2)]);
    const uncertain = world.store.peek(request.id).submissions[1];
    expect(uncertain?.taskId).toBeNull();
    expect(uncertain?.instances).toEqual(
      chunkOf(1).map((instanceId) => ({ instanceId, valid: false, errorCode: SUBMISSION_UNCERTAIN })),
    );
    expect(world.activity.reports.filter((r) => r.kind === 'submitted').map((r) => r.chunk)).toEqual([1, 2]);
  });

  it('skips the chunks already recorded', async () => {
    request = { ...submit(request, {}, 2), status: 'submitting' };
    world.store.put(request);

    await runSubmit();

    expect(world.hbr.submitCalls.map((call) => call.instanceIds)).toEqual([chunkOf(2)]);
  });

  it('asks nothing once a failure is recorded, and goes on to polling the tasks already started', async () => {
    const failure = { code: 'Forbidden.RAM', explanation: 'no permission', hbrRequestId: 'HBR-1' };
    request = { ...submit(request, {}, 1), status: 'submitting', failure };
    world.store.put(request);

    await runSubmit();

    expect(world.hbr.submitCalls).toEqual([]);
    expect(world.store.peek(request.id).status).toBe('polling');
    expect(world.queues.jobsIn('poll')).toHaveLength(1);
  });
});

describe('submit job: HBR failures', () => {
  it('a lost answer is recorded as unknown, never asked again (not even by a retry), and the next chunk goes on', async () => {
    world.hbr.answerSubmission = (call, n) => {
      if (n === 1) throw hbrError('Timeout');
      return acceptEveryInstance(call, n);
    };

    await runSubmit();
    await runSubmit(1);

    expect(world.hbr.submitCalls.map((call) => call.instanceIds)).toEqual([chunkOf(0), chunkOf(1), chunkOf(2)]);
    const lost = world.store.peek(request.id).submissions[1];
    expect(lost?.hbrRequestId).toBe('HBR-Timeout');
    expect(lost?.instances.map((i) => i.errorCode)).toEqual(chunkOf(1).map(() => SUBMISSION_UNANSWERED));
    expect(world.store.isChunkInFlight(request.id, 1)).toBe(true);
  });

  it('a transient refusal clears the in-flight mark and fails the attempt, for BullMQ to retry with backoff', async () => {
    world.hbr.answerSubmission = (call, n) => {
      if (n === 0) throw hbrError('Throttling');
      return acceptEveryInstance(call, n);
    };

    await expect(runSubmit()).rejects.toBeInstanceOf(HbrError);
    expect(world.store.isChunkInFlight(request.id, 0)).toBe(false);
    expect(world.store.peek(request.id).submissions).toEqual([]);

    await runSubmit(1);
    expect(world.hbr.submitCalls.map((call) => call.instanceIds)).toEqual([
      chunkOf(0),
      chunkOf(0),
      chunkOf(1),
      chunkOf(2),
    ]);
  });

  it('on the last attempt a transient refusal ends the request as failed, explained, with one final reply', async () => {
    world.hbr.answerSubmission = () => {
      throw hbrError('Throttling');
    };

    await runSubmit(5);

    const ended = world.store.peek(request.id);
    expect(world.hbr.submitCalls).toHaveLength(1);
    expect(ended.status).toBe('failed');
    expect(ended.failure).toEqual({
      code: 'Throttling',
      explanation: 'explained Throttling',
      hbrRequestId: 'HBR-Throttling',
    });
    expect(world.messages.finals.map((r) => r.status)).toEqual(['failed']);
    expect(world.queues.jobsIn('poll')).toEqual([]);
  });

  it('an instance-level refusal of the whole chunk is recorded for its instances and the next chunk goes on', async () => {
    world.hbr.answerSubmission = (call, n) => {
      if (n === 0) throw hbrError('InstanceNotRunning');
      return acceptEveryInstance(call, n);
    };

    await runSubmit();

    const refused = world.store.peek(request.id).submissions[0];
    expect(refused?.taskId).toBeNull();
    expect(new Set(refused?.instances.map((i) => i.errorCode))).toEqual(new Set(['InstanceNotRunning']));
    expect(world.hbr.submitCalls).toHaveLength(3);
  });

  it('a permanent error stops the chunks after it and is recorded with its explanation', async () => {
    world.hbr.answerSubmission = (call, n) => {
      if (n === 1) throw hbrError('Forbidden.RAM');
      return acceptEveryInstance(call, n);
    };

    await runSubmit();

    const after = world.store.peek(request.id);
    expect(world.hbr.submitCalls).toHaveLength(2);
    expect(after.failure).toEqual({
      code: 'Forbidden.RAM',
      explanation: 'explained Forbidden.RAM',
      hbrRequestId: 'HBR-Forbidden.RAM',
    });
    expect(after.submissions.map((s) => s.index)).toEqual([0]);
    // The task chunk 0 started is still followed.
    expect(after.status).toBe('polling');
  });

  it('an error that is not HBR’s fails the attempt and keeps the in-flight mark, so no retry asks twice', async () => {
    world.hbr.answerSubmission = () => {
      throw new Error('Redis went away after HBR took the chunk');
    };

    await expect(runSubmit()).rejects.toThrow('Redis went away');
    expect(world.store.isChunkInFlight(request.id, 0)).toBe(true);
  });
});

describe('submit job: afterwards', () => {
  it('posts the progress reply, moves to polling and starts polling HBR_POLL_FIRST_DELAY_MS after the first call', async () => {
    const firstCallAt = world.clock.time;
    world.hbr.answerSubmission = (call, n) => {
      world.clock.advance(1500);
      return acceptEveryInstance(call, n);
    };

    await runSubmit();

    const polling = world.store.peek(request.id);
    expect(polling.status).toBe('polling');
    expect(polling.submissions[0]?.submittedAt).toBe(firstCallAt + 1500);
    expect(world.queues.jobsIn('poll')).toEqual([
      { queue: 'poll', requestId: request.id, dueAt: firstCallAt + 1500 + POLL_TIMINGS.firstPollDelayMs },
    ]);
    expect(world.messages.progress).toHaveLength(1);
    expect(world.messages.edits.map((e) => [e.via, e.request.status, e.budgeted])).toEqual([
      ['chat.update', 'polling', true],
    ]);
    expect(world.messages.finals).toEqual([]);
  });

  it('polling starts even when Slack refuses the progress reply', async () => {
    world.messages.recorder.fail('syncProgress', new Error('ratelimited'));

    await runSubmit();

    expect(world.store.peek(request.id).status).toBe('polling');
    expect(world.queues.jobsIn('poll')).toHaveLength(1);
  });

  it('when HBR started no task at all, the request ends at once: finished, one final reply, no polling', async () => {
    world.hbr.answerSubmission = (call) => ({
      instanceIds: call.instanceIds,
      taskId: null,
      requestId: 'HBR-NONE',
      statuses: call.instanceIds.map((instanceId) => ({ instanceId, valid: false, errorCode: 'InstanceNotExists' })),
    });

    await runSubmit();
    await runSubmit(1);

    expect(world.store.peek(request.id).status).toBe('finished');
    expect(world.messages.finals).toHaveLength(1);
    expect(world.activity.kinds().filter((kind) => kind === 'finished')).toHaveLength(1);
    expect(world.queues.jobsIn('poll')).toEqual([]);
    expect(world.hbr.submitCalls).toHaveLength(3);
  });

  it('leaves alone a request that is not approved, or no longer exists', async () => {
    world.store.put(posted(pendingRequest(3)));
    await runSubmit();
    request = { ...request, id: 'rnosuchrequest' };
    await runSubmit();

    expect(world.hbr.submitCalls).toEqual([]);
    expect(world.store.peek(pendingRequest(3).id).status).toBe('pending');
  });
});
