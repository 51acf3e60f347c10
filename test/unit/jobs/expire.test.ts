/**
 * The expiry job's processor (src/jobs/expire.ts), called directly with fakes: only a pending
 * request expires; a decided one is left alone.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HbrRequest } from '../../../src/domain/request.js';
import { createExpireProcessor } from '../../../src/jobs/expire.js';
import { requestJob } from '../../support/fakes/bullmq-job.js';
import { fakeJobWorld } from '../../support/fakes/job-deps.js';
import { pendingRequest, posted, withStatus } from '../../support/request-fixtures.js';

let world: ReturnType<typeof fakeJobWorld>;
let request: HbrRequest;

beforeEach(() => {
  world = fakeJobWorld();
  request = posted(pendingRequest(3));
  world.clock.time = request.expiresAt;
});

function runExpire(): Promise<void> {
  return createExpireProcessor(world.deps)(requestJob('expire', request.id));
}

describe('expire job', () => {
  it('a pending request becomes expired, decided by nobody now, and its message loses its buttons', async () => {
    world.store.put(request);

    await runExpire();

    const expired = world.store.peek(request.id);
    expect(expired.status).toBe('expired');
    expect(expired.decision).toEqual({ outcome: 'expired', by: null, at: request.expiresAt });
    expect(world.activity.kinds()).toEqual(['decided']);
    expect(world.messages.edits.map((e) => [e.via, e.request.status])).toEqual([['chat.update', 'expired']]);
  });

  it.each(['approved', 'rejected', 'withdrawn', 'polling', 'finished'] as const)(
    'leaves a %s request alone',
    async (status) => {
      world.store.put(withStatus(request, status));

      await runExpire();

      expect(world.store.peek(request.id).status).toBe(status);
      expect(world.activity.reports).toEqual([]);
      expect(world.messages.edits).toEqual([]);
    },
  );

  it('a re-run after the status was written but the edit failed edits the message again, reporting nothing twice', async () => {
    world.store.put(request);
    world.messages.recorder.fail('editRequestMessageViaChatUpdate', new Error('Slack unreachable'));
    await expect(runExpire()).rejects.toThrow('Slack unreachable');
    world.messages.recorder.heal('editRequestMessageViaChatUpdate');

    await runExpire();

    expect(world.activity.kinds()).toEqual(['decided']);
    expect(world.messages.edits.map((e) => e.request.status)).toEqual(['expired']);
  });

  it('does nothing for a request that no longer exists', async () => {
    await runExpire();

    expect(world.messages.edits).toEqual([]);
    expect(world.activity.reports).toEqual([]);
  });
});
