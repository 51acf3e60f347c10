/**
 * Ending a request (src/jobs/finish.ts), called directly with fakes: the final status, reported once;
 * the final reply once however often it runs; the one look at HBR's clients for instances whose
 * submission is unknown.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SUBMISSION_UNANSWERED } from '../../../src/domain/outcome.js';
import type { HbrRequest } from '../../../src/domain/request.js';
import { finishRequest } from '../../../src/jobs/finish.js';
import { hbrError } from '../../support/fakes/hbr-client.js';
import { fakeJobWorld } from '../../support/fakes/job-deps.js';
import { pendingRequest, poll, posted, submit, withStatus } from '../../support/request-fixtures.js';

let world: ReturnType<typeof fakeJobWorld>;
/** Three instances, one task, completed on every instance. */
let request: HbrRequest;

beforeEach(() => {
  world = fakeJobWorld();
  request = poll(submit(withStatus(posted(pendingRequest(3)), 'polling')), 'completed', () => ({
    clientStatus: 'ACTIVATED',
  }));
  world.store.put(request);
});

function finish(current: HbrRequest = world.store.peek(request.id)): Promise<void> {
  return finishRequest(world.deps, current, world.clock.time);
}

describe('finishing a request', () => {
  it('moves it to finished, reports it, stops tracking its tasks, posts the final reply and shows the end on the message', async () => {
    world.store.trackedTasks.set(request.id, 1);

    await finish();

    const ended = world.store.peek(request.id);
    expect(ended.status).toBe('finished');
    expect(ended.finishedAt).toBe(world.clock.time);
    expect(world.activity.kinds()).toEqual(['finished']);
    expect(world.store.trackedTasks.has(request.id)).toBe(false);
    expect(world.messages.finals.map((r) => r.status)).toEqual(['finished']);
    // The request message is rendered from the record as it is after the final reply, whatever the budget.
    expect(world.messages.edits.map((e) => [e.via, e.budgeted, e.request.finalTs !== null])).toEqual([
      ['chat.update', false, true],
    ]);
    expect(world.store.unreported.has(request.id)).toBe(false);
  });

  it('posts the final reply once and reports the end once however often it runs; each run makes good the message edit', async () => {
    await finish();
    await finish();
    await finish(request);

    expect(world.messages.finals).toHaveLength(1);
    expect(world.activity.kinds()).toEqual(['finished']);
    expect(world.messages.edits).toHaveLength(3);
  });

  it('a request that failed before any task started ends as failed; one with tasks ends as finished', async () => {
    const failure = { code: 'Forbidden.RAM', explanation: 'no permission', hbrRequestId: 'HBR-1' };
    const withoutTasks: HbrRequest = { ...withStatus(posted(pendingRequest(3)), 'submitting'), failure };
    world.store.put(withoutTasks);
    await finish();
    expect(world.store.peek(request.id).status).toBe('failed');

    world.store.put({ ...request, failure });
    await finish();
    expect(world.store.peek(request.id).status).toBe('finished');
  });

  it('leaves the request in the unreported list when the final reply fails, for the job retry or the sweep', async () => {
    world.messages.recorder.fail('postFinal', new Error('Slack unreachable'));

    await expect(finish()).rejects.toThrow('Slack unreachable');

    expect(world.store.unreported.has(request.id)).toBe(true);
    expect(world.store.peek(request.id).status).toBe('finished');
  });

  it('posts the final reply even when the last progress edit fails', async () => {
    world.messages.recorder.fail('syncProgress', new Error('ratelimited'));

    await finish();

    expect(world.messages.finals).toHaveLength(1);
  });
});

describe('finishing a request: instances whose submission is unknown', () => {
  let unknownId: string;

  beforeEach(() => {
    unknownId = request.instanceIds[1] ?? '';
    request = poll(
      submit(withStatus(posted(pendingRequest(3)), 'polling'), { [unknownId]: SUBMISSION_UNANSWERED }),
      'completed',
      () => ({ clientStatus: 'ACTIVATED' }),
    );
    world.store.put(request);
  });

  it('looks them up once in DescribeBackupClients and records what HBR shows', async () => {
    world.hbr.backupClients = [
      {
        clientId: 'c-1',
        instanceId: unknownId,
        instanceName: 'web-01',
        status: 'ACTIVATED',
        clientVersion: '2.1.0',
        maxClientVersion: '2.1.0',
        lastHeartBeatTime: null,
      },
    ];

    await finish();
    await finish();

    expect(world.hbr.describeBackupClientsCalls).toEqual([{ instanceIds: [unknownId], region: request.region }]);
    expect(world.store.peek(request.id).clientCheck).toEqual({
      checkedAt: world.clock.time,
      statuses: { [unknownId]: 'ACTIVATED' },
      error: null,
    });
  });

  it('records why the look-up failed, and still ends the request', async () => {
    world.hbr.backupClients = hbrError('Forbidden.RAM', 'DescribeBackupClients');

    await finish();

    expect(world.store.peek(request.id).clientCheck).toEqual({
      checkedAt: world.clock.time,
      statuses: {},
      error: 'explained Forbidden.RAM',
    });
    expect(world.messages.finals).toHaveLength(1);
  });

  it('does not look again once the final reply is posted', async () => {
    world.store.put({ ...request, finalTs: '1736933400.000300' });

    await finish();

    expect(world.hbr.describeBackupClientsCalls).toEqual([]);
    expect(world.messages.finals).toEqual([]);
  });
});
