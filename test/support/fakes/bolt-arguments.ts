/**
 * The arguments Bolt hands a listener, reduced to what the listeners read (CommandArgs,
 * ButtonArgs), with an `ack` and a `respond` that record what they were given, in order.
 */
import type { AckFn, RespondArguments, RespondFn } from '@slack/bolt';
import type { ButtonArgs } from '../../../src/slack/listeners/actions/decide.js';
import type { CommandArgs } from '../../../src/slack/listeners/commands/types.js';
import { messageText } from '../message-text.js';

/** One answer to Slack: the ack (with or without a message) or a post to the response_url. */
export interface SlackAnswer {
  via: 'ack' | 'respond';
  message: string | RespondArguments | undefined;
}

/** Bolt's ack and respond for one delivery. */
export class FakeSlackAnswers {
  readonly answers: SlackAnswer[] = [];
  /** Set to make respond fail, as an expired response_url does. */
  respondFailure: Error | null = null;

  readonly ack: AckFn<string | RespondArguments> = async (message) => {
    this.answers.push({ via: 'ack', message });
  };

  readonly respond: RespondFn = async (message) => {
    if (this.respondFailure !== null) throw this.respondFailure;
    this.answers.push({ via: 'respond', message });
    return new Response(null, { status: 200 });
  };

  /** `ack` and `respond`, in the order they were called. */
  order(): SlackAnswer['via'][] {
    return this.answers.map((answer) => answer.via);
  }

  /** What the user reads in every answer that carried a message, joined. */
  text(): string {
    return this.answers
      .filter((answer) => answer.message !== undefined)
      .map((answer) => messageText(answer.message))
      .join('\n');
  }

  /** The answers that carried a message. */
  messages(): Array<string | RespondArguments> {
    return this.answers.flatMap((answer) => (answer.message === undefined ? [] : [answer.message]));
  }
}

export const COMMAND_CHANNEL = 'C0CHANNEL';

/** A slash command as Bolt delivers it: `/hbr-install <text>` by `user` in COMMAND_CHANNEL unless told otherwise. */
export function slashCommand(
  answers: FakeSlackAnswers,
  text: string,
  command: Partial<CommandArgs['command']> & Pick<CommandArgs['command'], 'user_id'>,
): CommandArgs {
  return {
    command: { command: '/hbr-install', channel_id: COMMAND_CHANNEL, text, ...command },
    ack: answers.ack,
    respond: answers.respond,
  };
}

/** A click on a request message's button (`actionId`, with the request id as value) by `userId`. */
export function buttonClick(
  answers: FakeSlackAnswers,
  click: { actionId: string; value: string; userId: string; messageTs: string | undefined },
): ButtonArgs {
  return {
    action: { action_id: click.actionId, value: click.value },
    body: {
      user: { id: click.userId },
      ...(click.messageTs === undefined ? {} : { message: { ts: click.messageTs } }),
    },
    ack: () => answers.ack(),
    respond: answers.respond,
  };
}
