/**
 * `help` after any command (src/slack/listeners/commands/hbr-command.ts), called as Bolt calls it,
 * with fakes: the usage in the ack itself, in any channel, with nothing else done.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandName } from '../../../../../src/slack/slash-command-parser.js';
import { fakeListenerWorld } from '../../../../support/fakes/listener-deps.js';
import { APPROVER, REQUESTER } from '../../../../support/request-fixtures.js';

let world: ReturnType<typeof fakeListenerWorld>;

beforeEach(() => {
  world = fakeListenerWorld({ HBR_ALLOWED_CHANNELS: 'C0OPS', HBR_MAX_INSTANCES: '50' });
});

describe('help', () => {
  it.each<[CommandName, string, string]>([
    ['install', 'help', 'Usage:* `/hbr-install <instance IDs> [--region <region>]`'],
    ['install', '', 'Usage:* `/hbr-install <instance IDs> [--region <region>]`'],
    ['uninstall', 'help', 'Usage:* `/hbr-uninstall <instance IDs> [--region <region>]`'],
    ['status', 'help', 'Usage:* `/hbr-status <instance IDs> [--region <region>]`'],
    ['install', 'status help', 'Usage:* `/hbr-status <instance IDs> [--region <region>]`'],
    ['install', 'show help', 'Usage:* `/hbr-install show <request id>`'],
    ['install', 'audit help', 'Usage:* `/hbr-install audit [n]`'],
  ])('%s "%s": the usage in the ack, even outside the allowed channels', async (meaning, text, usage) => {
    const answers = await world.deliverCommand(meaning, text, REQUESTER, 'C0ELSEWHERE');

    expect(answers.order()).toEqual(['ack']);
    expect(answers.answers[0]?.message).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answers.text()).toContain(usage);
    expect(world.store.recorder.calls).toEqual([]);
    expect(world.activity.commands.map((c) => c.outcome)).toEqual(['help']);
  });

  it('names the limits and approvers this bot is configured with', async () => {
    const answers = await world.deliverCommand('install', 'help', REQUESTER);

    expect(answers.text()).toContain('Up to *50* instances');
    expect(answers.text()).toContain(`<@${APPROVER}>`);
  });
});
