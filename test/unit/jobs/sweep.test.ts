/**
 * The sweep's logic (src/jobs/sweep.ts), called directly with fakes: the job each open request
 * needs, by status; the final replies no job is left to post; one repair failing does not skip
 * the other.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { PreflightResult } from '../../../src/domain/preflight.js';
import type { HbrRequest } from '../../../src/domain/request.js';
import { deliverMissingFinalReplies, recoverOpenRequests, sweep } from '../../../src/jobs/sweep.js';
import { fakeJobWorld, POLL_TIMINGS } from '../../support/fakes/job-deps.js';
import { pendingRequest, poll, posted, REQUEST_MESSAGE, submit, withStatus } from '../../support/request-fixtures.js';

/** A pre-flight already stored on a request. */
const LOOKED_UP: PreflightResult = {
  outcome: 'unavailable',
  checkedAt: 1,
  code: 'Forbidden.RAM',
  reason: 'no permission',
};

let world: ReturnType<typeof fakeJobWorld>;

beforeEach(() => {
  world = fakeJobWorld();
});

/** A request of three instances with its own id, in `status`, its message posted. */
function stored(id: string, status: HbrRequest['status'], extra: Partial<HbrRequest> = {}): HbrRequest {
  const request = { ...withStatus(posted(pendingRequest(3)), status), id, ...extra };
  world.store.put(request);
  return request;
}

describe('sweep: open requests get the job they need', () => {
  it('pending: expiry at its expiresAt, and its pre-flight look-up when none is stored', async () => {
    const pending = stored('r-pending', 'pending');

    expect(await recoverOpenRequests(world.deps)).toBe(1);

    expect(world.queues.added).toEqual([
      { queue: 'expire', requestId: 'r-pending', dueAt: pending.expiresAt },
      { queue: 'preflight', requestId: 'r-pending', dueAt: null },
    ]);
  });

  it('pending: no pre-flight when it is off', async () => {
    stored('r-pending', 'pending');

    await recoverOpenRequests({ ...world.deps, preflightEnabled: false });

    expect(world.queues.jobsIn('preflight')).toEqual([]);
  });

  it('pending: no pre-flight when one is stored', async () => {
    stored('r-checked', 'pending', { preflight: LOOKED_UP });

    await recoverOpenRequests(world.deps);

    expect(world.queues.jobsIn('preflight')).toEqual([]);
  });

  it('pending without a recorded message: the message is looked for in Slack, recorded, then looked up', async () => {
    stored('r-lost', 'pending', { message: null });
    world.messages.lostMessages.set('r-lost', REQUEST_MESSAGE);

    await recoverOpenRequests(world.deps);

    expect(world.store.peek('r-lost').message).toEqual(REQUEST_MESSAGE);
    expect(world.queues.jobsIn('preflight')).toHaveLength(1);
  });

  it('pending: Slack failing the search does not stop the sweep; no pre-flight without a message', async () => {
    stored('r-lost', 'pending', { message: null });
    world.messages.recorder.fail('recoverRequestMessage', new Error('Slack unreachable'));

    expect(await recoverOpenRequests(world.deps)).toBe(1);

    expect(world.queues.jobsIn('expire')).toHaveLength(1);
    expect(world.queues.jobsIn('preflight')).toEqual([]);
  });

  it.each(['approved', 'submitting'] as const)('%s: the submit job', async (status) => {
    stored('r-approved', status);

    await recoverOpenRequests(world.deps);

    expect(world.queues.added).toEqual([{ queue: 'submit', requestId: 'r-approved', dueAt: null }]);
  });

  it('polling: the poll chain, first poll HBR_POLL_FIRST_DELAY_MS after the first submission', async () => {
    const request = submit(withStatus(posted(pendingRequest(25)), 'polling'));
    const later = request.submissions.map((s, index) => ({ ...s, submittedAt: s.submittedAt + index * 5000 }));
    world.store.put({ ...request, id: 'r-polling', submissions: later });

    await recoverOpenRequests(world.deps);

    expect(world.queues.added).toEqual([
      {
        queue: 'poll',
        requestId: 'r-polling',
        dueAt: (later[0]?.submittedAt ?? Number.NaN) + POLL_TIMINGS.firstPollDelayMs,
      },
    ]);
  });

  it('a job that failed for good is revived instead of added again', async () => {
    stored('r-pending', 'pending', { preflight: LOOKED_UP });
    stored('r-submitting', 'submitting');
    world.store.put({ ...submit(withStatus(posted(pendingRequest(3)), 'polling')), id: 'r-polling' });
    for (const jobId of ['expire-r-pending', 'submit-r-submitting', 'poll-r-polling'])
      world.queues.failedJobs.add(jobId);

    expect(await recoverOpenRequests(world.deps)).toBe(3);

    expect(world.queues.revived).toEqual(['expire-r-pending', 'submit-r-submitting', 'poll-r-polling']);
    expect(world.queues.added).toEqual([]);
  });

  it('ended requests need no job', async () => {
    for (const status of ['rejected', 'expired', 'finished', 'failed'] as const) stored(`r-${status}`, status);

    expect(await recoverOpenRequests(world.deps)).toBe(0);
    expect(world.queues.added).toEqual([]);
  });
});

describe('sweep: final replies no job is left to post', () => {
  /** An ended request whose final reply Slack refused for longer than its job's retries. */
  function unreported(id: string): HbrRequest {
    const request = {
      ...poll(submit(withStatus(posted(pendingRequest(3)), 'finished')), 'completed', () => ({
        clientStatus: 'ACTIVATED',
      })),
      id,
    };
    world.store.put(request);
    world.store.unreported.add(id);
    return request;
  }

  it('posts them, once', async () => {
    unreported('r-ended');

    expect(await deliverMissingFinalReplies(world.deps)).toBe(1);
    expect(await deliverMissingFinalReplies(world.deps)).toBe(0);

    expect(world.messages.finals.map((r) => r.id)).toEqual(['r-ended']);
    expect(world.store.unreported.size).toBe(0);
  });

  it('leaves a request whose submit or poll job is still alive to that job', async () => {
    unreported('r-live');
    world.queues.liveJobs.add('r-live');

    expect(await deliverMissingFinalReplies(world.deps)).toBe(0);
    expect(world.messages.finals).toEqual([]);
    expect(world.store.unreported.has('r-live')).toBe(true);
  });

  it('forgets requests that need no reply any more: replied, never posted, or dropped', async () => {
    stored('r-replied', 'finished', { finalTs: '1736933400.000300' });
    stored('r-unposted', 'failed', { message: null });
    for (const id of ['r-replied', 'r-unposted', 'r-dropped']) world.store.unreported.add(id);

    expect(await deliverMissingFinalReplies(world.deps)).toBe(0);
    expect(world.store.unreported.size).toBe(0);
    expect(world.messages.finals).toEqual([]);
  });

  it('a reply Slack still refuses is left for the next sweep, and the others are still posted', async () => {
    unreported('r-refused');
    unreported('r-ok');
    let attempts = 0;
    const post = world.messages.postFinal.bind(world.messages);
    world.messages.postFinal = async (request) => {
      attempts += 1;
      if (request.id === 'r-refused') throw new Error('Slack refuses');
      return post(request);
    };

    expect(await deliverMissingFinalReplies(world.deps)).toBe(1);
    expect(attempts).toBe(2);
    expect([...world.store.unreported]).toEqual(['r-refused']);
  });
});

describe('sweep: one request at a time', () => {
  it('a request it cannot read is counted and skipped, and the others still get their jobs', async () => {
    stored('r-corrupt', 'approved');
    stored('r-approved', 'approved');
    const get = world.store.get.bind(world.store);
    world.store.get = async (id) => (id === 'r-corrupt' ? Promise.reject(new SyntaxError('a corrupt field')) : get(id));

    expect(await recoverOpenRequests(world.deps)).toBe(1);

    expect(world.queues.jobsIn('submit').map((job) => job.requestId)).toEqual(['r-approved']);
    expect(world.activity.sweepSkips).toBe(1);
  });
});

describe('sweep: both repairs', () => {
  it('one failing does not skip the other, and the sweep then fails', async () => {
    stored('r-approved', 'approved');
    world.store.recorder.fail('unreportedRequestIds', new Error('Redis down'));

    await expect(sweep(world.deps)).rejects.toThrow('Redis down');

    expect(world.queues.jobsIn('submit')).toHaveLength(1);
  });
});
