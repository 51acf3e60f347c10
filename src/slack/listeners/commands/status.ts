/**
 * After the ack of a status command (`/hbr-status i-…`, `/hbr-install status i-…`): ask HBR for the
 * instances' backup clients (DescribeBackupClients, every page) and answer only the user. No
 * approval: it changes nothing.
 */
import type { Logger } from 'pino';
import { HbrError } from '../../../hbr/errors.js';
import { explainApiFailure } from '../../messages/failure-words.js';
import { clientStatuses, clientStatusFailedMessage, clientStatusMessage } from '../../messages/status.js';
import type { ParsedCommand } from '../../slash-command-parser.js';
import { ephemeral, type ListenerDeps } from '../deps.js';
import type { CommandArgs, CommandOutcome } from './types.js';

export async function answerStatus(
  deps: ListenerDeps,
  parsed: Extract<ParsedCommand, { kind: 'status' }>,
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  const { instanceIds, region } = parsed;
  let clients: Awaited<ReturnType<ListenerDeps['hbr']['describeBackupClients']>>;
  try {
    clients = await deps.hbr.describeBackupClients(instanceIds, region);
  } catch (error) {
    if (!(error instanceof HbrError)) throw error;
    const explanation = explainApiFailure(error);
    log.warn(
      { code: error.code, hbrRequestId: error.requestId, region },
      `DescribeBackupClients failed: ${explanation}`,
    );
    const failure = { code: error.code, explanation, hbrRequestId: error.requestId };
    await respond(ephemeral(clientStatusFailedMessage(failure, region)));
    return 'status';
  }
  const statuses = clientStatuses(instanceIds, clients, deps.now());
  log.info({ instances: instanceIds.length, clients: clients.length, region }, 'status answered');
  await respond(ephemeral(clientStatusMessage(statuses, region)));
  return 'status';
}
