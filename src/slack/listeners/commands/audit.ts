/**
 * After the ack of `audit [request <id> | user <@user> | instance <i-…>] [n]`: approvers read the
 * newest audit events, all or those of a request, a user or an instance, ephemerally. The trail
 * names who asked and who approved what, so only approvers may read it; anyone else's attempt is
 * itself an audit event.
 */
import type { Logger } from 'pino';
import { auditMessage } from '../../messages/audit.js';
import { auditForApproversMessage, temporarilyUnavailableMessage } from '../../messages/error-replies.js';
import type { ParsedCommand } from '../../slash-command-parser.js';
import { ephemeral, type ListenerDeps } from '../deps.js';
import type { CommandArgs, CommandOutcome } from './types.js';

export async function answerAudit(
  deps: ListenerDeps,
  { count, filter }: Extract<ParsedCommand, { kind: 'audit' }>,
  command: CommandArgs['command'],
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  const { approvers } = deps.config.access;
  if (!(await deps.directory.isListed(command.user_id, approvers))) {
    log.info('refused: audit is for approvers');
    await respond(ephemeral(auditForApproversMessage(command.command, approvers)));
    await deps.activity.accessRefused({
      actor: command.user_id,
      channel: command.channel_id,
      attempt: 'audit',
      reason: 'not_approver',
      requestId: null,
      instanceIds: [],
    });
    return 'refused';
  }
  let records: Awaited<ReturnType<ListenerDeps['auditTrail']['recent']>>;
  try {
    records = await deps.auditTrail.recent(count, filter);
  } catch (error) {
    log.error({ err: error }, 'audit stream unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return 'unavailable';
  }
  await respond(ephemeral(auditMessage(records, count, command.command, filter)));
  return 'audit';
}
