/**
 * The pre-flight job's processor (src/jobs/preflight.ts), called directly with fakes: what it asks
 * ECS, what it stores, when it gives up with a reason rather than retry, and the message edits.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HbrRequest } from '../../../src/domain/request.js';
import { createPreflightProcessor } from '../../../src/jobs/preflight.js';
import { requestJob } from '../../support/fakes/bullmq-job.js';
import { ecsError, runningInstance } from '../../support/fakes/ecs-client.js';
import { fakeJobWorld } from '../../support/fakes/job-deps.js';
import { FakeRequestPublisher } from '../../support/fakes/request-publisher.js';
import { pendingRequest, posted, withStatus } from '../../support/request-fixtures.js';

let world: ReturnType<typeof fakeJobWorld>;
let request: HbrRequest;
/** The first two instances exist; the third is unknown to ECS in the region. */
let found: string[];

beforeEach(() => {
  world = fakeJobWorld();
  request = posted(pendingRequest(3));
  world.store.put(request);
  found = request.instanceIds.slice(0, 2);
  world.ecs.instances = found.map((id) => runningInstance(id));
  world.ecs.agents = found.map((instanceId) => ({
    instanceId,
    running: true,
    version: '2.2.3.857',
    lastHeartbeatTime: null,
  }));
});

/** One run, as attempt `made + 1` of three. */
function runPreflight(made = 0, deps = world.deps): Promise<void> {
  return createPreflightProcessor(deps)(requestJob('preflight', request.id, { made, allowed: 3 }));
}

function storedPreflight() {
  return world.store.peek(request.id).preflight;
}

describe('pre-flight job: the look-up', () => {
  it('asks ECS about the instances, and Cloud Assistant about those found; stores the facts and edits the message', async () => {
    await runPreflight();

    expect(world.ecs.describeInstancesCalls).toEqual([request.instanceIds]);
    expect(world.ecs.describeCloudAssistantStatusCalls).toEqual([found]);
    const preflight = storedPreflight();
    expect(preflight?.outcome).toBe('checked');
    if (preflight?.outcome !== 'checked') return;
    expect(preflight.checkedAt).toBe(world.clock.time);
    expect(preflight.cloudAssistantUnavailable).toBeNull();
    expect(preflight.instances.map((i) => [i.instanceId, i.found, i.cloudAssistant?.running ?? null])).toEqual([
      [request.instanceIds[0], true, true],
      [request.instanceIds[1], true, true],
      [request.instanceIds[2], false, null],
    ]);
    expect(world.messages.edits.map((e) => [e.via, e.request.preflight?.outcome])).toEqual([
      ['chat.update', 'checked'],
    ]);
  });

  it('does not ask about Cloud Assistant when ECS found none of the instances', async () => {
    world.ecs.instances = [];

    await runPreflight();

    expect(world.ecs.describeCloudAssistantStatusCalls).toEqual([]);
    expect(storedPreflight()?.outcome).toBe('checked');
  });

  it('when only the Cloud Assistant look-up fails for good, the facts are stored with why the agents are unknown', async () => {
    world.ecs.agents = ecsError('Forbidden.RAM', 'DescribeCloudAssistantStatus');

    await runPreflight();

    expect(storedPreflight()).toMatchObject({
      outcome: 'checked',
      cloudAssistantUnavailable: 'explained Forbidden.RAM',
    });
  });

  it('also runs after a decision, and refreshes the decided message', async () => {
    request = withStatus(request, 'approved');
    world.store.put(request);

    await runPreflight();

    expect(world.messages.edits.map((e) => [e.request.status, e.request.preflight?.outcome])).toEqual([
      ['approved', 'checked'],
    ]);
  });
});

describe('pre-flight job: failures', () => {
  it('a permanent ECS refusal is stored as unavailable with its code and words, and the message says so', async () => {
    world.ecs.instances = ecsError('Forbidden.RAM');

    await runPreflight();

    expect(storedPreflight()).toEqual({
      outcome: 'unavailable',
      checkedAt: world.clock.time,
      code: 'Forbidden.RAM',
      reason: 'explained Forbidden.RAM',
    });
    expect(world.messages.edits).toHaveLength(1);
  });

  it('a transient failure fails the attempt for BullMQ to retry, storing nothing', async () => {
    world.ecs.instances = ecsError('Throttling');

    await expect(runPreflight(0)).rejects.toThrow();

    expect(storedPreflight()).toBeNull();
    expect(world.messages.edits).toEqual([]);
  });

  it('on the last attempt a transient failure is stored as unavailable', async () => {
    world.ecs.instances = ecsError('Throttling');

    await runPreflight(2);

    expect(storedPreflight()).toMatchObject({ outcome: 'unavailable', code: 'Throttling' });
  });

  it('on the last attempt a failure that is not ECS’s is stored as unexpected, pointing at the logs', async () => {
    world.ecs.instances = new Error('a bug of ours');

    await expect(runPreflight(0)).rejects.toThrow('a bug of ours');
    await runPreflight(2);

    expect(storedPreflight()).toMatchObject({ outcome: 'unavailable', code: 'Unexpected' });
  });
});

describe('pre-flight job: when not to look', () => {
  it('with HBR_PREFLIGHT=false a job left in the queue is dropped without asking ECS', async () => {
    await runPreflight(0, { ...world.deps, enabled: false });

    expect(world.ecs.describeInstancesCalls).toEqual([]);
    expect(storedPreflight()).toBeNull();
  });

  it('a request never posted, or gone, is not looked up', async () => {
    world.store.put({ ...request, message: null });
    await runPreflight();
    world.store.drop(request.id);
    await runPreflight();

    expect(world.ecs.describeInstancesCalls).toEqual([]);
    expect(world.messages.edits).toEqual([]);
  });

  it('a re-run that finds the result stored only edits the message', async () => {
    await runPreflight();
    await runPreflight();

    expect(world.ecs.describeInstancesCalls).toHaveLength(1);
    expect(world.messages.edits).toHaveLength(2);
  });

  it('a request dropped during the look-up is not brought back, nor its message edited', async () => {
    world.ecs.instances = [];
    const lookUp = world.ecs.describeInstances.bind(world.ecs);
    world.ecs.describeInstances = async (ids) => {
      world.store.drop(request.id);
      return lookUp(ids);
    };

    await runPreflight();

    expect(world.messages.edits).toEqual([]);
  });
});

describe('pre-flight job: a decision landing during the edit', () => {
  it('edits again from the new record, so the buttons are not painted back over the decision', async () => {
    /** Approves the request while the first edit is on its way to Slack. */
    class ApprovedDuringFirstEdit extends FakeRequestPublisher {
      override async editRequestMessageViaChatUpdate(edited: HbrRequest): Promise<void> {
        await super.editRequestMessageViaChatUpdate(edited);
        if (this.edits.length === 1) world.store.put({ ...world.store.peek(edited.id), status: 'approved' });
      }
    }
    const messages = new ApprovedDuringFirstEdit(world.store);

    await runPreflight(0, { ...world.deps, messages });

    expect(messages.edits.map((e) => e.request.status)).toEqual(['pending', 'approved']);
  });
});
