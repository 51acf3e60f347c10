/**
 * The Approve, Reject and Withdraw buttons (src/slack/listeners/actions/decide.ts), called as Bolt calls them,
 * with fakes: the ack first; who may decide; one decision, recorded, then the submit job, then the
 * message replaced through the click's response_url; what the losers and the late are told.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HbrRequest } from '../../../../../src/domain/request.js';
import { decideAction } from '../../../../../src/slack/listeners/actions/decide.js';
import { APPROVE_ACTION, REJECT_ACTION, WITHDRAW_ACTION } from '../../../../../src/slack/messages/action-ids.js';
import { buttonClick, FakeSlackAnswers } from '../../../../support/fakes/bolt-arguments.js';
import { fakeListenerWorld, GROUP_APPROVER } from '../../../../support/fakes/listener-deps.js';
import { APPROVER, pendingRequest, posted, REQUEST_MESSAGE, REQUESTER } from '../../../../support/request-fixtures.js';

let world: ReturnType<typeof fakeListenerWorld>;
let request: HbrRequest;

beforeEach(() => {
  world = fakeListenerWorld();
  request = posted(pendingRequest(3));
  world.store.put(request);
});

/** A click on `action` by `userId` on the request message (or the message `messageTs`, or one with the value `value`). */
async function click(
  action: typeof APPROVE_ACTION | typeof REJECT_ACTION | typeof WITHDRAW_ACTION,
  userId: string,
  { value = request.id, messageTs = REQUEST_MESSAGE.ts }: { value?: string; messageTs?: string } = {},
): Promise<FakeSlackAnswers> {
  const answers = new FakeSlackAnswers();
  await decideAction(world.deps)(buttonClick(answers, { actionId: action, value, userId, messageTs }));
  return answers;
}

function status(): HbrRequest['status'] {
  return world.store.peek(request.id).status;
}

describe('decide: a decision', () => {
  it('Approve by an approver: ack, decision recorded, submit job enqueued, then the message replaced for everyone', async () => {
    const submitJobsWhenReplaced: number[] = [];
    const answers = new FakeSlackAnswers();
    const args = buttonClick(answers, {
      actionId: APPROVE_ACTION,
      value: request.id,
      userId: APPROVER,
      messageTs: REQUEST_MESSAGE.ts,
    });
    const respond = args.respond;
    args.respond = async (message) => {
      submitJobsWhenReplaced.push(world.queues.jobsIn('submit').length);
      return respond(message);
    };

    await decideAction(world.deps)(args);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.answers[0]?.message).toBeUndefined();
    expect(world.store.peek(request.id).decision).toEqual({ outcome: 'approved', by: APPROVER, at: world.clock.time });
    expect(world.queues.added).toEqual([{ queue: 'submit', requestId: request.id, dueAt: null }]);
    expect(submitJobsWhenReplaced).toEqual([1]);
    expect(answers.answers[1]?.message).toMatchObject({
      replace_original: true,
      text: `request ${request.id} approved`,
    });
    expect(world.activity.kinds()).toEqual(['decided']);
  });

  it('Reject: rejected, no submit job, the message replaced', async () => {
    const answers = await click(REJECT_ACTION, APPROVER);

    expect(world.store.peek(request.id).decision).toEqual({ outcome: 'rejected', by: APPROVER, at: world.clock.time });
    expect(world.queues.added).toEqual([]);
    expect(world.publisher.edits.map((e) => [e.via, e.request.status])).toEqual([['response_url', 'rejected']]);
    expect(answers.order()).toEqual(['ack', 'respond']);
  });

  it('Withdraw by the requester: withdrawn, no submit job, the message replaced', async () => {
    const answers = await click(WITHDRAW_ACTION, REQUESTER);

    expect(world.store.peek(request.id).decision).toEqual({
      outcome: 'withdrawn',
      by: REQUESTER,
      at: world.clock.time,
    });
    expect(world.queues.added).toEqual([]);
    expect(world.publisher.edits.map((e) => [e.via, e.request.status])).toEqual([['response_url', 'withdrawn']]);
    expect(world.activity.kinds()).toEqual(['decided']);
    expect(answers.order()).toEqual(['ack', 'respond']);
  });

  it('a member of an approver user group may decide, and the audit trail names the group', async () => {
    await click(APPROVE_ACTION, GROUP_APPROVER);

    expect(status()).toBe('approved');
    expect(world.activity.approverGroups).toEqual(['S0APPROVERS']);
  });

  it('an approver listed by their own ID decides through no group', async () => {
    await click(APPROVE_ACTION, APPROVER);

    expect(world.activity.approverGroups).toEqual([null]);
  });

  it('past its TTL the request is expired whatever the button, even before the expiry job ran', async () => {
    world.clock.time = request.expiresAt;

    const answers = await click(APPROVE_ACTION, APPROVER);

    expect(world.store.peek(request.id).decision).toEqual({ outcome: 'expired', by: null, at: request.expiresAt });
    expect(world.queues.added).toEqual([]);
    expect(world.publisher.edits.map((e) => e.request.status)).toEqual(['expired']);
    expect(answers.text()).toContain('Too late: this request expired');
  });
});

describe('decide: refusals', () => {
  it('someone who is not an approver: told so, nothing changes', async () => {
    const answers = await click(APPROVE_ACTION, REQUESTER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.answers[1]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answers.text()).toContain(
      'Only <@U0APPROVER> or <!subteam^S0APPROVERS> can approve this request, and you are not an hbr-bot approver.',
    );
    expect(status()).toBe('pending');
    expect(world.queues.added).toEqual([]);
    expect(world.publisher.edits).toEqual([]);
    expect(world.activity.accessRefusals).toEqual([
      {
        actor: REQUESTER,
        channel: expect.any(String),
        attempt: 'approve',
        reason: 'not_approver',
        requestId: request.id,
        instanceIds: [],
      },
    ]);
  });

  it('an approver may not approve their own request, and their Reject withdraws it', async () => {
    request = { ...request, requesterId: APPROVER };
    world.store.put(request);

    const approving = await click(APPROVE_ACTION, APPROVER);
    expect(approving.text()).toContain(
      'You cannot approve your own request: <!subteam^S0APPROVERS> can. To take it back, click *Withdraw*.',
    );
    expect(status()).toBe('pending');

    await click(REJECT_ACTION, APPROVER);
    expect(world.store.peek(request.id).decision).toEqual({ outcome: 'withdrawn', by: APPROVER, at: world.clock.time });
  });

  it('Withdraw by anyone but the requester: told who may, nothing changes', async () => {
    const answers = await click(WITHDRAW_ACTION, APPROVER);

    expect(answers.text()).toContain(
      `Only <@${REQUESTER}>, who made this request, can withdraw it. Nothing was changed.`,
    );
    expect(status()).toBe('pending');
    expect(world.publisher.edits).toEqual([]);
  });

  it('with HBR_ALLOW_SELF_APPROVAL=true an approver may approve their own request', async () => {
    world = fakeListenerWorld({ HBR_ALLOW_SELF_APPROVAL: 'true' });
    request = { ...request, requesterId: APPROVER };
    world.store.put(request);

    await click(APPROVE_ACTION, APPROVER);

    expect(status()).toBe('approved');
  });

  it('a button whose request sits on another message (a copied value) is refused as unknown', async () => {
    const answers = await click(APPROVE_ACTION, APPROVER, { messageTs: '1736933999.000100' });

    expect(answers.text()).toContain('hbr-bot does not know this request');
    expect(status()).toBe('pending');
  });

  it('a value that is no request id is refused without reading the store', async () => {
    const answers = await click(APPROVE_ACTION, APPROVER, { value: 'x'.repeat(3000) });

    expect(answers.text()).toContain('hbr-bot does not know this request');
    expect(world.store.recorder.calls).toEqual([]);
  });

  it('a second decision is told who decided first, and enqueues nothing more', async () => {
    await click(APPROVE_ACTION, APPROVER);
    const late = await click(REJECT_ACTION, GROUP_APPROVER);

    expect(late.text()).toContain(`This request was already approved by <@${APPROVER}>`);
    expect(status()).toBe('approved');
    expect(world.queues.jobsIn('submit')).toHaveLength(1);
    expect(world.activity.kinds()).toEqual(['decided']);
  });
});

describe('decide: failures', () => {
  it('Redis unavailable: "temporarily unavailable"', async () => {
    world.store.recorder.fail('get', new Error('Redis down'));

    const answers = await click(APPROVE_ACTION, APPROVER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.text()).toContain('temporarily unavailable');
  });

  it('anything else: "something went wrong" with a reference; the decision stays for the sweep to carry on', async () => {
    world.queues.recorder.fail('enqueueSubmit', new Error('Redis went away'));

    const answers = await click(APPROVE_ACTION, APPROVER);

    expect(answers.text()).toMatch(/Something went wrong in hbr-bot.*`err-[0-9a-f]{8}`/s);
    expect(status()).toBe('approved');
  });
});
