/**
 * Ephemeral replies that explain why hbr-bot did not do what a user asked.
 */

import type { Decision } from '../../domain/request.js';
import type { CommandProblem } from '../slash-command-parser.js';
import type { SlackMessage } from './blocks.js';
import { context, packLines, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, listOr, mentionChannel, mentionUser, plural, slackDate } from './format.js';

function oneSection(text: string, fallback: string = text): SlackMessage {
  return slackMessage(fallback, [section(text)]);
}

/** Why a command was refused: every problem's token in code with its reason. */
export function invalidCommandMessage(problems: readonly CommandProblem[], command = '/hbr-install'): SlackMessage {
  const lines = problems.map((p) => `• ${code(p.token, 80)} — ${escapeMrkdwn(p.reason)}`);
  const counted = problems.filter((p) => p.token !== '…').length;
  const intro =
    problems.length === 0
      ? 'Nothing was requested: the command could not be read.'
      : `Nothing was requested — fix ${counted === 1 && problems.length === 1 ? 'this' : 'these'} and send the command again:`;
  const texts = packLines([intro, ...lines]);
  const first = problems[0];
  const fallback = first
    ? `Nothing was requested: ${escapeMrkdwn(first.token)} — ${escapeMrkdwn(first.reason)}${problems.length > 1 ? ` (and ${plural(problems.length - 1, 'more problem')})` : ''}`
    : 'Nothing was requested: the command could not be read.';
  return slackMessage(fallback, [...texts.map(section), context(`Type \`${escapeMrkdwn(command)} help\` for usage.`)]);
}

export function notAllowedInChannelMessage(allowedChannels: readonly string[]): SlackMessage {
  if (allowedChannels.length === 0) {
    return oneSection('hbr-bot does not take requests in any channel yet — ask an hbr-bot admin to set one up.');
  }
  const shown = allowedChannels.slice(0, 20).map(mentionChannel);
  const more = allowedChannels.length - shown.length;
  const where = more > 0 ? `${shown.join(', ')} or ${plural(more, 'other channel')}` : listOr(shown);
  return oneSection(
    `hbr-bot does not take requests in this channel. Send the command in ${where}.`,
    'hbr-bot does not take requests in this channel.',
  );
}

export function notARequesterMessage(): SlackMessage {
  return oneSection(
    'You are not allowed to request HBR client installs or uninstalls, or to look clients and requests up — ask an hbr-bot admin to add you to the requesters.',
  );
}

export function notAnApproverMessage(): SlackMessage {
  return oneSection('Sorry, you are not an approver for hbr-bot, so this button is not for you. Nothing was changed.');
}

export function selfApprovalMessage(): SlackMessage {
  return oneSection(
    'You cannot approve your own request: another approver has to. You can still reject it to withdraw it.',
  );
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
