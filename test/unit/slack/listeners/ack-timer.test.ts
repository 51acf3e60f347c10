/**
 * The ack timer (src/slack/listeners/ack-timer.ts) around a listener: one observation per delivery,
 * from the listener's call to its first ack, and the ack still reaches Bolt.
 */
import { describe, expect, it } from 'vitest';
import { ackTimer } from '../../../../src/slack/listeners/ack-timer.js';
import type { CommandArgs } from '../../../../src/slack/listeners/commands/types.js';
import { FakeSlackAnswers, slashCommand } from '../../../support/fakes/bolt-arguments.js';
import { REQUESTER } from '../../../support/request-fixtures.js';

describe('ack timer', () => {
  it('observes the first ack once, with its kind, and passes every ack on', async () => {
    const observed: Array<{ kind: string; seconds: number }> = [];
    const timed = ackTimer((kind, seconds) => observed.push({ kind, seconds }));
    const answers = new FakeSlackAnswers();
    const listener = async ({ ack }: CommandArgs) => {
      await ack();
      await ack('again');
    };

    await timed('command', listener)(slashCommand(answers, 'help', { command: '/hbr-install', user_id: REQUESTER }));

    expect(observed).toHaveLength(1);
    expect(observed[0]?.kind).toBe('command');
    expect(observed[0]?.seconds).toBeGreaterThanOrEqual(0);
    expect(answers.answers).toEqual([
      { via: 'ack', message: undefined },
      { via: 'ack', message: 'again' },
    ]);
  });

  it('observes nothing for a listener that never acks', async () => {
    const observed: string[] = [];
    const timed = ackTimer((kind) => observed.push(kind));

    await timed('action', async (_args: CommandArgs) => {})(
      slashCommand(new FakeSlackAnswers(), '', { command: '/hbr-install', user_id: REQUESTER }),
    );

    expect(observed).toEqual([]);
  });
});
