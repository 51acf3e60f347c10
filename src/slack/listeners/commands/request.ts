/**
 * After the ack of a request (`/hbr-install i-…`, `/hbr-uninstall i-…`): create the request in
 * Redis, schedule its expiry and post it for approval. The same for every operation.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type HbrRequest, newRequest } from '../../../domain/request.js';
import { UnconfirmedWriteError } from '../../../redis/write-guard.js';
import { somethingWentWrongMessage, temporarilyUnavailableMessage } from '../../messages/error-replies.js';
import { explainSlackError } from '../../messages/failure-words.js';
import { operationWords } from '../../messages/operation-words.js';
import { requestPostedMessage } from '../../messages/request.js';
import type { ParsedCommand } from '../../slash-command-parser.js';
import { isSlackApiError, slackErrorCode } from '../../web-api-errors.js';
import { ephemeral, type ListenerDeps } from '../deps.js';
import type { CommandArgs, CommandOutcome } from './types.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `r` + 12 random base32 characters (60 bits): unguessable enough for a button value. */
function newRequestId(): string {
  return `r${[...randomBytes(12)].map((byte) => BASE32[byte % 32]).join('')}`;
}

export async function requestOperation(
  deps: ListenerDeps,
  parsed: Extract<ParsedCommand, { kind: 'request' }>,
  command: CommandArgs['command'],
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  const request = newRequest({
    id: newRequestId(),
    operation: parsed.operation,
    requesterId: command.user_id,
    originChannel: command.channel_id,
    region: parsed.region,
    instanceIds: parsed.instanceIds,
    now: deps.now(),
    approvalTtlMs: deps.config.approvalTtlMs,
  });
  return createAndPost(deps, request, parsed.duplicates, respond, log);
}

async function createAndPost(
  deps: ListenerDeps,
  request: HbrRequest,
  duplicates: number,
  respond: CommandArgs['respond'],
  log: Logger,
): Promise<CommandOutcome> {
  const rlog = log.child({ requestId: request.id, operation: request.operation });
  try {
    await deps.store.create(request);
    await deps.queues.scheduleExpiry(request.id, request.expiresAt, deps.now());
  } catch (error) {
    rlog.error({ err: error }, 'request store unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return 'unavailable';
  }

  const channel = deps.publisher.requestChannel(request);
  let message: Awaited<ReturnType<ListenerDeps['publisher']['postRequest']>>;
  try {
    message = await deps.publisher.postRequest(request);
  } catch (error) {
    if (error instanceof UnconfirmedWriteError) {
      // Redis could not confirm the mark that comes before the post (a failover under way): nothing posted.
      rlog.error({ err: error }, 'request store unavailable before posting');
      await deps.store
        .fail(request.id, { code: 'RedisUnavailable', explanation: error.message, hbrRequestId: null }, deps.now())
        .catch(() => undefined);
      await respond(ephemeral(temporarilyUnavailableMessage()));
      return 'unavailable';
    }
    if (!isSlackApiError(error)) {
      // Not Slack's answer but a fault of ours: end the request and let the caller report it.
      await deps.store.fail(
        request.id,
        { code: 'InternalError', explanation: 'the request message could not be built', hbrRequestId: null },
        deps.now(),
      );
      throw error;
    }
    const reason = explainSlackError(slackErrorCode(error));
    rlog.warn({ err: error, postChannel: channel }, `could not post the request message: ${reason}`);
    await deps.store.fail(
      request.id,
      { code: slackErrorCode(error) ?? 'SlackUnreachable', explanation: reason, hbrRequestId: null },
      deps.now(),
    );
    const nothing = `Nothing was ${operationWords(request.operation).pastTense}.`;
    await respond(
      ephemeral(somethingWentWrongMessage(request.id, `The request could not be posted: ${reason}. ${nothing}`)),
    );
    return 'post_failed';
  }
  rlog.info(
    { instances: request.instanceIds.length, region: request.region, postChannel: message.channel, ts: message.ts },
    'request posted',
  );
  // Only now, with the message posted, may the pre-flight job edit it; it never holds up the request.
  if (deps.config.preflight.enabled) {
    await deps.queues.enqueuePreflight(request.id).catch((error: unknown) => {
      rlog.warn({ err: error }, 'could not enqueue the pre-flight look-up; the request goes on without it');
    });
  }
  await deps.activity.requestCreated(request);

  const permalink =
    deps.config.access.approvalChannel === null
      ? null
      : await deps.publisher.permalink(message).catch((error: unknown) => {
          rlog.warn({ err: error }, 'could not fetch the request permalink');
          return null;
        });
  await respond(ephemeral(requestPostedMessage(request, { ...deps.config.access, permalink, duplicates })));
  return 'posted';
}
