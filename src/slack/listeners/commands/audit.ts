/**
 * After the ack of `audit [n]`: approvers read the newest audit events, ephemerally. The trail
 * names who asked and who approved what, so only approvers may read it.
 */
import type { Logger } from 'pino';
import { auditMessage } from '../../messages/audit.js';
import { auditForApproversMessage, temporarilyUnavailableMessage } from '../../messages/error-replies.js';
import { ephemeral, type ListenerDeps } from '../deps.js';
import type { CommandArgs, CommandOutcome } from './types.js';

export async function answerAudit(
  deps: ListenerDeps,
  count: number,
  command: CommandArgs['command'],
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  const { approvers } = deps.config.access;
  if (!(await deps.directory.isListed(command.user_id, approvers))) {
    log.info('refused: audit is for approvers');
    await respond(ephemeral(auditForApproversMessage(command.command, approvers)));
    return 'refused';
  }
  let records: Awaited<ReturnType<ListenerDeps['auditTrail']['recent']>>;
  try {
    records = await deps.auditTrail.recent(count);
  } catch (error) {
    log.error({ err: error }, 'audit stream unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return 'unavailable';
  }
  await respond(ephemeral(auditMessage(records, count, command.command)));
  return 'audit';
}
