/**
 * What the slash command handler (hbr-command.ts) and its subcommands (request, status, show,
 * audit) share. Each of them imports this module, and it imports none of them, so they never
 * import each other back.
 */
import type { SlackCommandMiddlewareArgs, SlashCommand } from '@slack/bolt';

/** What the slash command listener reads of the arguments Bolt hands it. */
export interface CommandArgs extends Pick<SlackCommandMiddlewareArgs, 'ack' | 'respond'> {
  command: Pick<SlashCommand, 'command' | 'text' | 'user_id' | 'channel_id'>;
}

/** What came of a slash command: the `outcome` label of the commands metric. */
export type CommandOutcome =
  | 'help'
  | 'invalid'
  | 'refused'
  | 'rate_limited'
  | 'posted'
  | 'post_failed'
  | 'status'
  | 'show'
  | 'audit'
  | 'unavailable'
  | 'error';
