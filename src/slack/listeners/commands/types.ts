/**
 * What the slash command handler (hbr-command.ts) and its subcommands (request, status, show,
 * audit) share. Each of them imports this module, and it imports none of them, so they never
 * import each other back.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';

/** What Bolt hands a slash command listener. */
export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** What came of a slash command: the `outcome` label of the commands metric. */
export type CommandOutcome =
  | 'help'
  | 'invalid'
  | 'refused'
  | 'posted'
  | 'post_failed'
  | 'status'
  | 'show'
  | 'audit'
  | 'unavailable'
  | 'error';
