import type { App, BlockButtonAction } from '@slack/bolt';
import { APPROVE_ACTION, REJECT_ACTION, SLASH_COMMANDS, WITHDRAW_ACTION } from '../messages/action-ids.js';
import type { AckTimer } from './ack-timer.js';
import { decideAction } from './actions/decide.js';
import { hbrCommand } from './commands/hbr-command.js';
import type { ListenerDeps } from './deps.js';

export function registerListeners(app: App, deps: ListenerDeps, timed: AckTimer): void {
  for (const meaning of ['install', 'uninstall', 'status'] as const) {
    app.command(SLASH_COMMANDS[meaning], timed('command', hbrCommand(deps, meaning)));
  }
  const decide = timed('action', decideAction(deps));
  app.action<BlockButtonAction>(APPROVE_ACTION, decide);
  app.action<BlockButtonAction>(REJECT_ACTION, decide);
  app.action<BlockButtonAction>(WITHDRAW_ACTION, decide);
}
