/**
 * `/hbr-install audit [n]` (src/slack/listeners/commands/audit.ts), called as Bolt calls it, with
 * fakes: approvers only (directly or through a user group), the newest n events, only for the user.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../../src/domain/audit-event.js';
import { fakeListenerWorld, GROUP_APPROVER } from '../../../../support/fakes/listener-deps.js';
import { APPROVER, REQUESTER, T0 } from '../../../../support/request-fixtures.js';

/** Newest first, as the trail is read. */
const RECORDS: AuditRecord[] = [
  {
    type: 'request.decided',
    requestId: 'rbbbbbbbbbbbb',
    operation: 'install',
    actor: APPROVER,
    outcome: 'approved',
    approverGroup: null,
    at: T0 + 2000,
  },
  {
    type: 'request.created',
    requestId: 'raaaaaaaaaaaa',
    operation: 'uninstall',
    actor: REQUESTER,
    channel: 'C0CHANNEL',
    region: 'cn-shanghai',
    instances: 4,
    instanceIds: ['i-bp1auditaudit000001', 'i-bp1auditaudit000002', 'i-bp1auditaudit000003', 'i-bp1auditaudit000004'],
    at: T0 + 1000,
  },
  {
    type: 'request.decided',
    requestId: 'raaaaaaaaaaaa',
    operation: 'install',
    actor: null,
    outcome: 'expired',
    approverGroup: null,
    at: T0,
  },
];

let world: ReturnType<typeof fakeListenerWorld>;

beforeEach(() => {
  world = fakeListenerWorld();
  world.auditTrail.records.push(...RECORDS);
});

describe('audit', () => {
  it('an approver gets the newest n events, newest first, only for them', async () => {
    const answers = await world.deliverCommand('install', 'audit 2', APPROVER);

    expect(answers.order()).toEqual(['ack', 'respond']);
    expect(answers.answers[1]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const said = answers.text();
    expect(said).toContain('the last 2 events');
    expect(said.indexOf(`<@${APPROVER}> approved`)).toBeLessThan(said.indexOf(`<@${REQUESTER}> asked to uninstall`));
    expect(said).not.toContain('expired');
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['audit']);
  });

  it('an approver through a user group may read it too', async () => {
    const answers = await world.deliverCommand('install', 'audit', GROUP_APPROVER);

    expect(answers.text()).toContain('the last 3 events');
  });

  it('anyone else is refused, and the trail is not read', async () => {
    const answers = await world.deliverCommand('install', 'audit', REQUESTER);

    expect(answers.text()).toContain(
      'Only hbr-bot approvers (<@U0APPROVER> or <!subteam^S0APPROVERS>) can read the audit trail with `/hbr-install audit`, and you are not one.',
    );
    expect(world.auditTrail.recorder.calls).toEqual([]);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['refused']);
    // The refusal is itself on the record.
    expect(world.activity.accessRefusals).toEqual([
      {
        actor: REQUESTER,
        channel: expect.any(String),
        attempt: 'audit',
        reason: 'not_approver',
        requestId: null,
        instanceIds: [],
      },
    ]);
  });

  it('shows only the events of an instance, a request or a user when asked', async () => {
    const byInstance = await world.deliverCommand('install', 'audit instance i-bp1auditaudit000003', APPROVER);
    expect(byInstance.text()).toContain('Events about `i-bp1auditaudit000003`');
    expect(byInstance.text()).toContain(`<@${REQUESTER}> asked to uninstall`);
    expect(byInstance.text()).toContain('expired without a decision');
    expect(byInstance.text()).not.toContain(`<@${APPROVER}> approved`);

    const byUser = await world.deliverCommand('install', `audit user <@${APPROVER}|lee>`, APPROVER);
    expect(byUser.text()).toContain(`<@${APPROVER}> approved`);
    expect(byUser.text()).not.toContain('asked to uninstall');
    expect(byUser.text()).toContain('That is everything the trail holds.');
  });

  it('the trail unreadable: "temporarily unavailable"', async () => {
    world.auditTrail.recorder.fail('recent', new Error('Redis down'));

    const answers = await world.deliverCommand('install', 'audit', APPROVER);

    expect(answers.text()).toContain('temporarily unavailable');
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['unavailable']);
  });
});
