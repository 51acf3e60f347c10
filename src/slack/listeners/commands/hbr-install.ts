/**
 * `/hbr-install`: parse, check who and where, then create the request and post it for approval.
 * Everything before the ack is pure and local; Redis, Slack and group look-ups happen after it.
 */
import { randomBytes } from 'node:crypto';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseCommand } from '../../../domain/instance-ids.js';
import { newRequest, type InstallRequest } from '../../../domain/request.js';
import { SlackDirectory } from '../../directory.js';
import { helpMessage } from '../../messages/help.js';
import {
  invalidCommandMessage,
  notAllowedInChannelMessage,
  notARequesterMessage,
  somethingWentWrongMessage,
  temporarilyUnavailableMessage,
} from '../../messages/errors.js';
import { requestPostedMessage } from '../../messages/request.js';
import { explainSlackError, slackErrorCode } from '../../slack-errors.js';
import { ephemeral, errorReference, type ListenerDeps } from '../deps.js';

export const HBR_INSTALL_COMMAND = '/hbr-install';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `r` + 12 random base32 characters (60 bits): unguessable enough for a button value. */
export function newRequestId(): string {
  return `r${[...randomBytes(12)].map((byte) => BASE32[byte % 32]).join('')}`;
}

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function hbrInstallCommand(deps: ListenerDeps) {
  const { config } = deps;
  return async ({ command, ack, respond }: CommandArgs): Promise<void> => {
    const log = deps.logger.child({ command: command.command, user: command.user_id, channel: command.channel_id });
    const parsed = parseCommand(command.text, { maxInstances: config.maxInstances, defaultRegion: config.hbr.defaultRegion });
    if (parsed.kind === 'help') {
      await ack(ephemeral(helpMessage({ command: HBR_INSTALL_COMMAND, defaultRegion: config.hbr.defaultRegion, maxInstances: config.maxInstances, approvers: config.access.approvers })));
      return;
    }
    if (config.access.allowedChannels.length > 0 && !config.access.allowedChannels.includes(command.channel_id)) {
      log.info('refused: channel not allowed');
      await ack(ephemeral(notAllowedInChannelMessage(config.access.allowedChannels)));
      return;
    }
    if (parsed.kind === 'invalid') {
      log.info({ problems: parsed.problems.length }, 'refused: invalid input');
      await ack(ephemeral(invalidCommandMessage(parsed.problems)));
      return;
    }
    const requesters = config.access.requesters;
    if (requesters.length > 0 && SlackDirectory.isLocal(requesters) && !requesters.includes(command.user_id)) {
      log.info('refused: not a requester');
      await ack(ephemeral(notARequesterMessage()));
      return;
    }
    await ack();

    try {
      if (requesters.length > 0 && !(await deps.directory.isListed(command.user_id, requesters))) {
        log.info('refused: not a requester');
        await respond(ephemeral(notARequesterMessage()));
        return;
      }
      const request = newRequest({
        id: newRequestId(),
        requesterId: command.user_id,
        originChannel: command.channel_id,
        region: parsed.region,
        instanceIds: parsed.instanceIds,
        now: deps.now(),
        approvalTtlMs: config.approvalTtlMs,
      });
      await createAndPost(deps, request, respond, log);
    } catch (error) {
      const reference = errorReference();
      log.error({ err: error, reference }, 'hbr-install failed');
      await respond(ephemeral(somethingWentWrongMessage(reference))).catch((respondError: unknown) =>
        log.error({ err: respondError, reference }, 'could not tell the user about the failure'),
      );
    }
  };
}

async function createAndPost(
  deps: ListenerDeps,
  request: InstallRequest,
  respond: CommandArgs['respond'],
  log: ListenerDeps['logger'],
): Promise<void> {
  const rlog = log.child({ requestId: request.id });
  try {
    await deps.store.create(request);
    await deps.queues.scheduleExpiry(request.id, request.expiresAt, deps.now());
  } catch (error) {
    rlog.error({ err: error }, 'request store unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return;
  }

  const channel = deps.config.access.approvalChannel ?? request.originChannel;
  let message;
  try {
    message = await deps.publisher.postRequest(request, channel);
  } catch (error) {
    const reason = explainSlackError(slackErrorCode(error));
    rlog.warn({ err: error, postChannel: channel }, `could not post the request message: ${reason}`);
    await deps.store.fail(request.id, { code: slackErrorCode(error) ?? 'SlackUnreachable', explanation: reason, hbrRequestId: null }, deps.now());
    await respond(ephemeral(somethingWentWrongMessage(request.id, `The request could not be posted: ${reason}. Nothing was installed.`)));
    return;
  }
  rlog.info({ instances: request.instanceIds.length, region: request.region, postChannel: message.channel, ts: message.ts }, 'request posted');

  const permalink =
    deps.config.access.approvalChannel === null
      ? null
      : await deps.publisher.permalink(message).catch((error: unknown) => {
          rlog.warn({ err: error }, 'could not fetch the request permalink');
          return null;
        });
  await respond(ephemeral(requestPostedMessage(request, { approvers: deps.config.access.approvers, permalink })));
}
