/**
 * The status command (`/hbr-status i-…`, `/hbr-install status i-…`; src/slack/listeners/commands/
 * status.ts), called as Bolt calls it, with fakes: the ack first, one DescribeBackupClients, the
 * answer in words only the user sees, no request and no job.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { hbrError } from '../../../../support/fakes/hbr-client.js';
import { fakeListenerWorld } from '../../../../support/fakes/listener-deps.js';
import { instanceIds, REQUESTER } from '../../../../support/request-fixtures.js';

const [PROTECTED = '', WITHOUT_CLIENT = ''] = instanceIds(2);

let world: ReturnType<typeof fakeListenerWorld>;

beforeEach(() => {
  world = fakeListenerWorld();
  world.hbr.backupClients = [
    {
      clientId: 'c-protected',
      instanceId: PROTECTED,
      instanceName: 'web-01',
      status: 'ACTIVATED',
      clientVersion: '2.1.0',
      maxClientVersion: '2.1.0',
      lastHeartBeatTime: world.clock.time - 3 * 60_000,
    },
  ];
});

describe('status', () => {
  it.each([
    ['status', `${PROTECTED} ${WITHOUT_CLIENT} --region cn-shanghai`],
    ['install', `status ${PROTECTED} ${WITHOUT_CLIENT} --region cn-shanghai`],
  ] as const)(
    '/%s … acks, asks HBR once and answers per instance, in words, only to the user',
    async (meaning, text) => {
      const answers = await world.deliverCommand(meaning, text, REQUESTER);

      expect(answers.order()).toEqual(['ack', 'respond']);
      expect(answers.answers[0]?.message).toBeUndefined();
      expect(answers.answers[1]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(world.hbr.describeBackupClientsCalls).toEqual([
        { instanceIds: [PROTECTED, WITHOUT_CLIENT], region: 'cn-shanghai' },
      ]);
      const said = answers.text();
      expect(said).toContain('*HBR backup client status* in `cn-shanghai` (2 instances)');
      expect(said).toMatch(new RegExp(`${PROTECTED}.*protected.*last heartbeat 3 minutes ago`));
      expect(said).toMatch(new RegExp(`${WITHOUT_CLIENT}.*no backup client`));
      expect(world.activity.commands.map((c) => c.outcome)).toEqual(['status']);
    },
  );

  it('costs its DescribeBackupClients pages; past the budget it says when to try again and asks HBR nothing', async () => {
    world = fakeListenerWorld({ HBR_COMMANDS_PER_USER_PER_MINUTE: '3' });
    await world.deliverCommand('status', instanceIds(200).join(' '), REQUESTER);
    expect(world.commandBudget.charges).toEqual([{ userId: REQUESTER, cost: 3 }]);
    expect(world.hbr.describeBackupClientsCalls).toHaveLength(1);

    const refused = await world.deliverCommand('status', PROTECTED, REQUESTER);
    expect(refused.order()).toEqual(['ack', 'respond']);
    expect(refused.text()).toContain(
      "You have used your share of hbr-bot's HBR and ECS calls for now (3 a minute per person, so that installs keep the account's API quota). Nothing was done — try again in 15 seconds.",
    );
    expect(world.hbr.describeBackupClientsCalls).toHaveLength(1);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['status', 'rate_limited']);
  });

  it('changes nothing: no request, no job', async () => {
    await world.deliverCommand('status', PROTECTED, REQUESTER);

    expect(world.store.recorder.calls).toEqual([]);
    expect(world.queues.added).toEqual([]);
  });

  it('an HBR error is explained with its code and RequestId', async () => {
    world.hbr.backupClients = hbrError('Forbidden.RAM', 'DescribeBackupClients');

    const answers = await world.deliverCommand('status', PROTECTED, REQUESTER);

    expect(answers.text()).toContain('Could not read the HBR backup client status');
    expect(answers.text()).toContain('code `Forbidden.RAM`, HBR RequestId `HBR-Forbidden.RAM`');
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['status']);
  });

  it('a failure that is not HBR’s: "something went wrong" with a reference', async () => {
    world.hbr.describeBackupClients = async () => {
      throw new Error('a bug of ours');
    };

    const answers = await world.deliverCommand('status', PROTECTED, REQUESTER);

    expect(answers.text()).toMatch(/Something went wrong in hbr-bot.*`err-[0-9a-f]{8}`/s);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['error']);
  });
});
