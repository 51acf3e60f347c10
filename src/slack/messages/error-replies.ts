/**
 * Ephemeral replies that explain why hbr-bot did not do what a user asked.
 */

import {
  type Decision,
  type DecisionAction,
  type DecisionCheck,
  eligibleApprovers,
  type HbrRequest,
} from '../../domain/request.js';
import type { CommandProblem, ParsedCommand } from '../slash-command-parser.js';
import type { SlackMessage } from './blocks.js';
import { context, packLines, section, slackMessage } from './blocks.js';
import { approverList, code, escapeMrkdwn, listOr, mentionChannel, mentionUser, plural, slackDate } from './format.js';
import { type ApprovalRules, nobodyCanApprove } from './request.js';

function oneSection(text: string, fallback: string = text): SlackMessage {
  return slackMessage(fallback, [section(text)]);
}

/** Why a command was refused: every problem, with the token it is about in code. */
export function invalidCommandMessage(
  invalid: Extract<ParsedCommand, { kind: 'invalid' }>,
  command = '/hbr-install',
): SlackMessage {
  const { problems } = invalid;
  const about = (p: CommandProblem, token: (t: string) => string) =>
    `${p.token === null ? '' : `${token(p.token)} — `}${escapeMrkdwn(p.reason)}`;
  const lines = problems.map((p) => `• ${about(p, (t) => code(t, 80))}`);
  // A command that only looks something up requested nothing.
  const lookup = invalid.topic !== 'install' && invalid.topic !== 'uninstall';
  const nothing = lookup ? 'Nothing was looked up' : 'Nothing was requested';
  const intro =
    problems.length === 0
      ? `${nothing}: the command could not be read.`
      : `${nothing} — fix ${problems.length === 1 ? 'this' : 'these'} and send the command again:`;
  const texts = packLines([intro, ...lines]);
  const first = problems[0];
  const fallback = first
    ? `${nothing}: ${about(first, escapeMrkdwn)}${problems.length > 1 ? ` (and ${plural(problems.length - 1, 'more problem')})` : ''}`
    : `${nothing}: the command could not be read.`;
  return slackMessage(fallback, [...texts.map(section), context(`Type \`${escapeMrkdwn(command)} help\` for usage.`)]);
}

export function notAllowedInChannelMessage(allowedChannels: readonly string[]): SlackMessage {
  const shown = allowedChannels.slice(0, 20).map(mentionChannel);
  const more = allowedChannels.length - shown.length;
  const where = more > 0 ? `${shown.join(', ')} or ${plural(more, 'other channel')}` : listOr(shown);
  return oneSection(
    `hbr-bot does not take requests in this channel. Send the command in ${where}.`,
    'hbr-bot does not take requests in this channel.',
  );
}

/** `command` (any of its uses) from someone who is not a requester: the command, and who may use it. */
export function notARequesterMessage(command: string): SlackMessage {
  return oneSection(
    `You are not allowed to request or look anything up with \`${escapeMrkdwn(command)}\`: it is for hbr-bot requesters, and an hbr-bot admin can add you to HBR_REQUESTERS.`,
    `You are not allowed to request or look anything up with ${escapeMrkdwn(command)}.`,
  );
}

/** `/hbr-install audit` from someone who is not an approver: the command, and who may use it. */
export function auditForApproversMessage(command: string, approvers: readonly string[]): SlackMessage {
  return oneSection(
    `Only hbr-bot approvers (${approverList(approvers)}) can read the audit trail with \`${escapeMrkdwn(command)} audit\`, and you are not one.`,
    'Only hbr-bot approvers can read the audit trail.',
  );
}

/** A request's button refused to the user who clicked it: which button, and who may use it. */
export function decisionRefusedMessage(
  reason: Extract<DecisionCheck, { allowed: false }>['reason'],
  action: DecisionAction,
  request: Pick<HbrRequest, 'requesterId'>,
  rules: ApprovalRules,
): SlackMessage {
  const deciders = eligibleApprovers(request, rules.approvers, rules.allowSelfApproval);
  switch (reason) {
    case 'not_requester':
      return oneSection(
        `Only ${mentionUser(request.requesterId)}, who made this request, can withdraw it. Nothing was changed.`,
        'Only the requester can withdraw this request.',
      );
    case 'self_approval': {
      const others = deciders.length === 0 ? `, and ${nobodyCanApprove(true)}` : `: ${approverList(deciders)} can`;
      return oneSection(
        `You cannot approve your own request${others}. To take it back, click *Withdraw*.`,
        'You cannot approve your own request.',
      );
    }
    case 'not_approver': {
      const who = deciders.length === 0 ? 'an hbr-bot approver' : approverList(deciders);
      return oneSection(
        `Only ${who} can ${action} this request, and you are not an hbr-bot approver. Nothing was changed.`,
        `Only hbr-bot approvers can ${action} this request.`,
      );
    }
  }
}

/** A button pressed after someone (or the TTL) already decided. */
export function alreadyDecidedMessage(decision: Decision): SlackMessage {
  switch (decision.outcome) {
    case 'approved':
      return oneSection(
        `This request was already approved by ${mentionUser(decision.by)} at ${slackDate(decision.at)}. Nothing was changed.`,
        'This request was already approved.',
      );
    case 'rejected':
      return oneSection(
        `This request was already rejected by ${mentionUser(decision.by)} at ${slackDate(decision.at)}. Nothing was changed.`,
        'This request was already rejected.',
      );
    case 'withdrawn':
      return oneSection(
        `This request was already withdrawn by ${mentionUser(decision.by)} at ${slackDate(decision.at)}. Nothing was changed.`,
        'This request was already withdrawn.',
      );
    case 'expired':
      return oneSection(
        `Too late: this request expired at ${slackDate(decision.at)}, nobody decided in time. Nothing was changed; post a new request if it is still needed.`,
        'This request expired.',
      );
  }
}

/** A button whose request id is unknown: a stale message, or a tampered payload. */
export function unknownRequestMessage(): SlackMessage {
  return oneSection(
    'hbr-bot does not know this request — the message may be too old or was not posted by hbr-bot. Nothing was changed; post a new request if it is still needed.',
  );
}

/**
 * A command over the user's budget (HBR_COMMANDS_PER_USER_PER_MINUTE): why, and when to try again.
 * `retryAfterMs` is how long until the budget covers this command again.
 */
export function overBudgetMessage(retryAfterMs: number, perMinute: number): SlackMessage {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return oneSection(
    `You have used your share of hbr-bot's HBR and ECS calls for now (${perMinute} a minute per person, so that installs keep the account's API quota). Nothing was done — try again in ${plural(seconds, 'second')}.`,
    `Over your hbr-bot budget for now — try again in ${plural(seconds, 'second')}.`,
  );
}

export function temporarilyUnavailableMessage(): SlackMessage {
  return oneSection('hbr-bot is temporarily unavailable (cannot reach its database) — try again in a minute.');
}

/**
 * An unexpected error; `reference` lets an admin find it in the logs. `detail`, when given, is a
 * sentence saying what failed (e.g. "The request could not be posted: …") and replaces the default.
 */
export function somethingWentWrongMessage(reference: string, detail?: string): SlackMessage {
  const what =
    detail === undefined || detail.trim() === ''
      ? 'Something went wrong in hbr-bot and nothing was done.'
      : detail.trim();
  return oneSection(
    `${escapeMrkdwn(what)} If it happens again, give an hbr-bot admin this reference: ${code(reference, 120)}`,
    escapeMrkdwn(what),
  );
}
