/**
 * After the ack of `show <request id>`: read the request from Redis and answer only the user with
 * where it stands and every instance's result so far. Read-only.
 */
import type { Logger } from 'pino';
import { REQUEST_RETENTION_MS } from '../../../domain/request.js';
import { temporarilyUnavailableMessage } from '../../messages/error-replies.js';
import { requestDetailsMessage, unknownRequestIdMessage } from '../../messages/show.js';
import { ephemeral, type ListenerDeps } from '../deps.js';
import type { CommandArgs, CommandOutcome } from './types.js';

export async function answerShow(
  deps: ListenerDeps,
  requestId: string,
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  let request: Awaited<ReturnType<ListenerDeps['store']['get']>>;
  try {
    request = await deps.store.get(requestId);
  } catch (error) {
    log.error({ err: error, requestId }, 'request store unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return 'unavailable';
  }
  if (request === null) {
    log.info({ requestId }, 'show: no such request');
    await respond(ephemeral(unknownRequestIdMessage(requestId, REQUEST_RETENTION_MS)));
    return 'show';
  }
  await respond(ephemeral(requestDetailsMessage(request, { ...deps.config.access, now: deps.now() })));
  return 'show';
}
