/**
 * The slash commands `/hbr-install`, `/hbr-uninstall` and `/hbr-status`: one handler, told what
 * plain instance IDs mean after its command. It parses, checks where and who, acks, and only then
 * does what the text asks (post a request, ask HBR for the clients' status, read a request from
 * Redis). Everything before the ack is pure and local.
 */

import type { Config } from '../../../config.js';
import type { RefusalReason, RefusedAttempt } from '../../../domain/audit-event.js';
import { preflightCalls } from '../../../ecs/client.js';
import { describeBackupClientsCalls } from '../../../hbr/client.js';
import { SlackDirectory } from '../../directory.js';
import {
  invalidCommandMessage,
  notAllowedInChannelMessage,
  notARequesterMessage,
  overBudgetMessage,
  somethingWentWrongMessage,
  temporarilyUnavailableMessage,
} from '../../messages/error-replies.js';
import { helpMessage } from '../../messages/help.js';
import { type CommandName, type ParsedCommand, parseCommand } from '../../slash-command-parser.js';
import { ephemeral, errorReference, type ListenerDeps } from '../deps.js';
import { answerAudit } from './audit.js';
import { requestOperation } from './request.js';
import { answerShow } from './show.js';
import { answerStatus } from './status.js';
import type { CommandArgs, CommandOutcome } from './types.js';

/** `meaning`: what plain instance IDs ask for after this command. */
export function hbrCommand(deps: ListenerDeps, meaning: CommandName) {
  const { config } = deps;
  return async ({ command, ack, respond }: CommandArgs): Promise<void> => {
    const log = deps.logger.child({ command: command.command, user: command.user_id, channel: command.channel_id });
    const count = (outcome: CommandOutcome) => deps.activity.command(command.command, outcome);
    const parsed = parseCommand(command.text, {
      maxInstances: config.maxInstances,
      defaultRegion: config.hbr.defaultRegion,
      command: meaning,
    });
    if (parsed.kind === 'help') {
      await ack(
        ephemeral(
          helpMessage({
            command: command.command,
            topic: parsed.topic,
            defaultRegion: config.hbr.defaultRegion,
            maxInstances: config.maxInstances,
            approvers: config.access.approvers,
            allowSelfApproval: config.access.allowSelfApproval,
          }),
        ),
      );
      count('help');
      return;
    }
    const refused = (reason: RefusalReason) =>
      deps.activity.accessRefused(refusedAttempt(command, parsed, meaning, reason));
    const channels = config.access.allowedChannels;
    if (channels !== '*' && !channels.includes(command.channel_id)) {
      log.info('refused: channel not allowed');
      await ack(ephemeral(notAllowedInChannelMessage(channels)));
      count('refused');
      await refused('channel_not_allowed');
      return;
    }
    if (parsed.kind === 'invalid') {
      log.info({ problems: parsed.problems.length }, 'refused: invalid input');
      await ack(ephemeral(invalidCommandMessage(parsed, command.command)));
      count('invalid');
      return;
    }
    const requesters = config.access.requesters;
    if (requesters !== '*' && SlackDirectory.isLocal(requesters) && !requesters.includes(command.user_id)) {
      log.info('refused: not a requester');
      await ack(ephemeral(notARequesterMessage(command.command)));
      count('refused');
      await refused('not_requester');
      return;
    }
    await ack();

    try {
      if (requesters !== '*' && !(await deps.directory.isListed(command.user_id, requesters))) {
        log.info('refused: not a requester');
        await respond(ephemeral(notARequesterMessage(command.command)));
        count('refused');
        await refused('not_requester');
        return;
      }
      const overBudget = await chargeBudget(deps, parsed, command.user_id, respond, log);
      count(overBudget ?? (await answer(deps, parsed, command, respond, log)));
    } catch (error) {
      count('error');
      const reference = errorReference();
      log.error({ err: error, reference }, `${command.command} failed`);
      await respond(ephemeral(somethingWentWrongMessage(reference))).catch((respondError: unknown) =>
        log.error({ err: respondError, reference }, 'could not tell the user about the failure'),
      );
    }
  };
}

type Answerable = Exclude<ParsedCommand, { kind: 'help' | 'invalid' }>;

/** A refused command as the audit trail records it: what was attempted, and on which instances or request. */
function refusedAttempt(
  command: CommandArgs['command'],
  parsed: ParsedCommand,
  meaning: CommandName,
  reason: RefusalReason,
): RefusedAttempt {
  const attempt =
    parsed.kind === 'request'
      ? parsed.operation
      : parsed.kind === 'help' || parsed.kind === 'invalid'
        ? meaning
        : parsed.kind;
  return {
    actor: command.user_id,
    channel: command.channel_id,
    attempt,
    reason,
    requestId: parsed.kind === 'show' ? parsed.requestId : null,
    instanceIds: parsed.kind === 'request' || parsed.kind === 'status' ? parsed.instanceIds : [],
  };
}

/**
 * What a command costs from the user's budget: the HBR and ECS calls it makes the bot make (a
 * request's pre-flight look-up, a status look-up's DescribeBackupClients pages), at least 1. An
 * install or uninstall call waits for an approver, so it is not the requester's to pay.
 */
function commandCost(parsed: Answerable, config: Pick<Config, 'preflight'>): number {
  switch (parsed.kind) {
    case 'request':
      return config.preflight.enabled ? Math.max(1, preflightCalls(parsed.instanceIds.length)) : 1;
    case 'status':
      return describeBackupClientsCalls(parsed.instanceIds.length);
    case 'show':
    case 'audit':
      return 1;
  }
}

/** Takes the command's cost from the user's budget; when it is spent, tells them when to try again. */
async function chargeBudget(
  deps: ListenerDeps,
  parsed: Answerable,
  userId: string,
  respond: CommandArgs['respond'],
  log: ListenerDeps['logger'],
): Promise<CommandOutcome | null> {
  const cost = commandCost(parsed, deps.config);
  let charged: Awaited<ReturnType<ListenerDeps['commandBudget']['take']>>;
  try {
    charged = await deps.commandBudget.take(userId, cost);
  } catch (error) {
    log.error({ err: error }, 'command budget unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return 'unavailable';
  }
  if (charged.taken) return null;
  log.info({ cost, retryAfterMs: charged.retryAfterMs }, 'refused: over the command budget');
  await respond(ephemeral(overBudgetMessage(charged.retryAfterMs, deps.config.commandsPerUserPerMinute)));
  return 'rate_limited';
}

/** What the text asks for, once the ack is sent and the user may use the bot. */
function answer(
  deps: ListenerDeps,
  parsed: Answerable,
  command: CommandArgs['command'],
  respond: CommandArgs['respond'],
  log: ListenerDeps['logger'],
): Promise<CommandOutcome> {
  switch (parsed.kind) {
    case 'request':
      return requestOperation(deps, parsed, command, respond, log);
    case 'status':
      return answerStatus(deps, parsed, respond, log);
    case 'show':
      return answerShow(deps, parsed.requestId, respond, log);
    case 'audit':
      return answerAudit(deps, parsed, command, respond, log);
  }
}
