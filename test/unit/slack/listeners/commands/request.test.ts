/**
 * The slash command listener asked for an install or uninstall (src/slack/listeners/commands/
 * hbr-command.ts and request.ts), called as Bolt calls it, with fakes: the ack first, the refusals
 * before it, then the request created, its expiry scheduled, posted, looked up, and the answer.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HbrRequest } from '../../../../../src/domain/request.js';
import { COMMAND_CHANNEL } from '../../../../support/fakes/bolt-arguments.js';
import { fakeListenerWorld } from '../../../../support/fakes/listener-deps.js';
import { instanceIds, REQUESTER } from '../../../../support/request-fixtures.js';

const IDS = instanceIds(3);
const TTL_MS = 2 * 60 * 60 * 1000;

let world: ReturnType<typeof fakeListenerWorld>;

beforeEach(() => {
  world = fakeListenerWorld({ HBR_APPROVAL_TTL_MS: String(TTL_MS) });
});

/** The one request the listener posted, as stored now. */
function postedRequest(): HbrRequest {
  expect(world.publisher.posted).toHaveLength(1);
  return world.store.peek(world.publisher.posted[0]?.id ?? '');
}

/** The one request the listener created, posted or not (its expiry job names it), as stored now. */
function createdRequest(): HbrRequest {
  expect(world.queues.jobsIn('expire')).toHaveLength(1);
  return world.store.peek(world.queues.jobsIn('expire')[0]?.requestId ?? '');
}

describe('a request: the way through', () => {
  it('acks at once with nothing, then creates, schedules the expiry, posts, looks up and answers only the user', async () => {
    const answers = await world.deliverCommand('install', `${IDS.join(', ')} --region cn-shanghai`, REQUESTER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.answers[0]?.message).toBeUndefined();
    const request = postedRequest();
    expect(request).toMatchObject({
      operation: 'install',
      status: 'pending',
      requesterId: REQUESTER,
      originChannel: COMMAND_CHANNEL,
      region: 'cn-shanghai',
      instanceIds: IDS,
      createdAt: world.clock.time,
      expiresAt: world.clock.time + TTL_MS,
      message: { channel: COMMAND_CHANNEL },
    });
    expect(world.queues.added).toEqual([
      { queue: 'expire', requestId: request.id, dueAt: request.expiresAt },
      { queue: 'preflight', requestId: request.id, dueAt: null },
    ]);
    expect(world.activity.kinds()).toEqual(['requestCreated']);
    expect(world.activity.commands).toEqual([{ command: '/hbr-install', outcome: 'posted' }]);

    expect(answers.answers[1]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answers.text()).toContain(`Request \`${request.id}\` posted (3 instances in \`cn-shanghai\`)`);
  });

  it('/hbr-uninstall asks for an uninstall, in the default region', async () => {
    await world.deliverCommand('uninstall', IDS.join(' '), REQUESTER);

    expect(postedRequest()).toMatchObject({ operation: 'uninstall', region: world.config.hbr.defaultRegion });
  });

  it('says how many repeated IDs were ignored', async () => {
    const answers = await world.deliverCommand('install', [...IDS, IDS[0]].join(' '), REQUESTER);

    expect(postedRequest().instanceIds).toEqual(IDS);
    expect(answers.text()).toContain('1 repeated ID was ignored');
  });

  it('links the request message when requests go to an approval channel', async () => {
    world = fakeListenerWorld({ HBR_APPROVAL_CHANNEL: 'C0APPROVALS' });

    const answers = await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(postedRequest().message?.channel).toBe('C0APPROVALS');
    expect(answers.text()).toContain('https://fake.slack.com/archives/C0APPROVALS/');
  });

  it('with HBR_PREFLIGHT=false no look-up is enqueued', async () => {
    world = fakeListenerWorld({ HBR_PREFLIGHT: 'false' });

    await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(world.queues.jobsIn('preflight')).toEqual([]);
  });

  it('a look-up that cannot be enqueued does not hold the request up', async () => {
    world.queues.recorder.fail('enqueuePreflight', new Error('Redis down'));

    await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(postedRequest().status).toBe('pending');
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['posted']);
  });
});

describe('a request: refused in the ack, nothing stored', () => {
  it.each<{ refusal: string; env: Record<string, string>; text: string; says: string[]; outcome: string }>([
    {
      refusal: 'invalid input: every bad token quoted',
      env: {},
      text: `${IDS[0]} web-01 i-bp1…****`,
      says: ['Nothing was requested', 'web-01'],
      outcome: 'invalid',
    },
    {
      refusal: 'a channel not in HBR_ALLOWED_CHANNELS: the channels that are',
      env: { HBR_ALLOWED_CHANNELS: 'C0OPS' },
      text: IDS.join(' '),
      says: ['does not take requests in this channel. Send the command in <#C0OPS>'],
      outcome: 'refused',
    },
    {
      refusal: 'a user not in HBR_REQUESTERS (users only: known without asking Slack)',
      env: { HBR_REQUESTERS: 'U0SOMEONE' },
      text: IDS.join(' '),
      says: ['You are not allowed to request'],
      outcome: 'refused',
    },
  ])('$refusal', async ({ env, text, says, outcome }) => {
    world = fakeListenerWorld(env);

    const answers = await world.deliverCommand('install', text, REQUESTER);

    expect(answers.order()).toEqual(['ack']);
    for (const words of says) expect(answers.text()).toContain(words);
    expect(world.directory.recorder.calls).toEqual([]);
    expect(world.store.recorder.calls).toEqual([]);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual([outcome]);
  });
});

describe('a request: refused or failed after the ack', () => {
  it('a user not in HBR_REQUESTERS groups: asked of the directory after the ack, refused ephemerally', async () => {
    world = fakeListenerWorld({ HBR_REQUESTERS: 'S0REQUESTERS' });

    const answers = await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.text()).toContain('You are not allowed to request');
    expect(world.directory.recorder.calls).toEqual(['isListed']);
    expect(world.store.recorder.calls).toEqual([]);
  });

  it('Redis unavailable: "temporarily unavailable", nothing posted', async () => {
    world.store.recorder.fail('create', new Error('Redis down'));

    const answers = await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(answers.text()).toContain('temporarily unavailable');
    expect(world.publisher.posted).toEqual([]);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['unavailable']);
  });

  it('Slack refusing the post: the request fails with Slack’s code and the user is told nothing was done', async () => {
    const slackRefusal = Object.assign(new Error('An API error occurred: channel_not_found'), {
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'channel_not_found' },
    });
    world.publisher.recorder.fail('postRequest', slackRefusal);

    const answers = await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    const failed = createdRequest();
    expect(failed.status).toBe('failed');
    expect(failed.failure?.code).toBe('channel_not_found');
    expect(answers.text()).toContain('The request could not be posted');
    expect(answers.text()).toContain('Nothing was installed.');
    expect(world.queues.jobsIn('preflight')).toEqual([]);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['post_failed']);
  });

  it('a fault of ours building the message: the request fails as InternalError, the user gets a reference', async () => {
    world.publisher.recorder.fail('postRequest', new TypeError('cannot read properties of undefined'));

    const answers = await world.deliverCommand('install', IDS.join(' '), REQUESTER);

    expect(createdRequest().failure?.code).toBe('InternalError');
    expect(answers.text()).toMatch(/Something went wrong in hbr-bot and nothing was done\..*`err-[0-9a-f]{8}`/s);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['error']);
  });
});
