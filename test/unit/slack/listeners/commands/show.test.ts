/**
 * `/hbr-install show <request id>` (src/slack/listeners/commands/show.ts), called as Bolt calls it,
 * with fakes: the ack first, one read of the store, where the request stands only for the user.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeListenerWorld } from '../../../../support/fakes/listener-deps.js';
import { pendingRequest, poll, posted, REQUESTER, submit, withStatus } from '../../../../support/request-fixtures.js';

let world: ReturnType<typeof fakeListenerWorld>;

beforeEach(() => {
  world = fakeListenerWorld();
});

describe('show', () => {
  it('acks, reads the request and answers only the user with where it stands and each instance’s result', async () => {
    const request = poll(submit(withStatus(posted(pendingRequest(2)), 'finished')), 'completed', () => ({
      clientStatus: 'ACTIVATED',
    }));
    world.store.put(request);

    const answers = await world.deliverCommand('install', `show ${request.id}`, REQUESTER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.answers[1]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const said = answers.text();
    expect(said).toContain(`*Request*\n\`${request.id}\``);
    expect(said).toContain(`<@${REQUESTER}>`);
    for (const id of request.instanceIds) expect(said).toContain(id);
    expect(world.store.recorder.calls).toEqual(['get']);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['show']);
  });

  it('an id it does not know: says so, and how long requests are kept', async () => {
    const answers = await world.deliverCommand('install', 'show rzzzzzzzzzzzz', REQUESTER);

    expect(answers.text()).toContain('hbr-bot knows no request `rzzzzzzzzzzzz`');
    expect(answers.text()).toContain('kept for 30 days');
  });

  it('Redis unavailable: "temporarily unavailable"', async () => {
    world.store.recorder.fail('get', new Error('Redis down'));

    const answers = await world.deliverCommand('install', `show ${pendingRequest(1).id}`, REQUESTER);

    expect(answers.text()).toContain('temporarily unavailable');
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['unavailable']);
  });

  it('is for requesters only', async () => {
    world = fakeListenerWorld({ HBR_REQUESTERS: 'U0SOMEONE' });

    const answers = await world.deliverCommand('install', `show ${pendingRequest(1).id}`, REQUESTER);

    expect(answers.text()).toContain('You are not allowed');
    expect(world.store.recorder.calls).toEqual([]);
  });
});
