/**
 * What the slash command handler (hbr-command.ts) and its subcommands (request, status, show,
 * audit) share. Each of them imports this module, and it imports none of them, so they never
 * import each other back.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';

/** What Bolt hands a slash command listener. */
export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
