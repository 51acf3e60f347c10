import type { App, BlockButtonAction } from '@slack/bolt';
import { APPROVE_ACTION, REJECT_ACTION } from '../messages/action-ids.js';
import { decideAction } from './actions/decide.js';
import { HBR_INSTALL_COMMAND, hbrInstallCommand } from './commands/hbr-install.js';
import type { ListenerDeps } from './deps.js';

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command(HBR_INSTALL_COMMAND, hbrInstallCommand(deps));
  const decide = decideAction(deps);
  app.action<BlockButtonAction>(APPROVE_ACTION, decide);
  app.action<BlockButtonAction>(REJECT_ACTION, decide);
}
