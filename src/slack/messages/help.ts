import type { Operation } from '../../domain/operation.js';
import { HBR_REGIONS } from '../../domain/regions.js';
import { AUDIT_DEFAULT_COUNT, AUDIT_MAX_COUNT, type HelpTopic } from '../slash-command-parser.js';
import { SLASH_COMMANDS } from './action-ids.js';
import type { Block, SlackMessage } from './blocks.js';
import { context, header, section, slackMessage } from './blocks.js';
import { approverList, code, escapeMrkdwn } from './format.js';
import { capitalized, operationWords } from './operation-words.js';
import type { ApprovalRules } from './request.js';

export interface HelpContext extends ApprovalRules {
  /** The slash command typed, e.g. /hbr-install. */
  command: string;
  /** Which usage to show; default: the request usage of /hbr-install. */
  topic?: HelpTopic;
  defaultRegion: string;
  maxInstances: number;
}

const EXAMPLE_IDS = 'i-bp1a2b3c4d5e6f7g8h9j i-bp1k2l3m4n5o6p7q8r9s';

function idsSection(ctx: HelpContext, what: string): Block {
  return section(
    `Separate IDs with spaces, commas or new lines — pasting a column from a spreadsheet works. ` +
      `Up to *${ctx.maxInstances}* instances ${what}, all in one region (default ${code(ctx.defaultRegion)}).`,
  );
}

const idForm = (): Block =>
  context(
    `Instance IDs look like ${code('i-bp67acfmxazb4p3example')}: i- then 8–30 lowercase letters or digits. An ID exists in one region only.`,
  );

/** The other things the bot does, in one line each, for the foot of every usage. */
function otherCommands(): Block {
  return context(
    [
      `\`${SLASH_COMMANDS.install} <instance IDs>\` installs`,
      `\`${SLASH_COMMANDS.uninstall} <instance IDs>\` uninstalls`,
      `\`${SLASH_COMMANDS.status} <instance IDs>\` (or \`${SLASH_COMMANDS.install} status …\`) shows the clients' status`,
      `\`${SLASH_COMMANDS.install} show <request id>\` shows a request`,
      `\`${SLASH_COMMANDS.install} audit [request|user|instance …] [n]\` lists recent requests, decisions and refusals (approvers)`,
      '`help` after any of them explains it',
    ].join(' · '),
  );
}

function requestHelp(ctx: HelpContext, operation: Operation): SlackMessage {
  const words = operationWords(operation);
  const command = escapeMrkdwn(ctx.command);
  const uninstallNote =
    operation === 'uninstall' ? ' The instances are no longer backed up once the client is gone.' : '';
  return slackMessage(
    `How to use ${ctx.command}: ${ctx.command} i-… i-… [--region ${ctx.defaultRegion}] ${words.verb}s the HBR backup client after an approval.`,
    [
      header(`${capitalized(words.verb)} the HBR backup client ${words.preposition} ECS instances`),
      section(`*Usage:* \`${command} <instance IDs> [--region <region>]\``),
      idsSection(ctx, 'per request'),
      section(['*Example:*', `\`${command} ${EXAMPLE_IDS} --region cn-shanghai\``].join('\n')),
      section(
        `*What happens:* the request is posted in the channel with Approve, Reject and Withdraw buttons. Once ${approverList(ctx.approvers)} ` +
          `approves, hbr-bot asks HBR to ${words.verb} the client and reports progress in the thread. ` +
          `Nothing is ${words.pastTense} without an approval${ctx.allowSelfApproval ? '' : ', you cannot approve your own request'}, ` +
          `and you can withdraw it with Withdraw while it waits.${uninstallNote}`,
      ),
      context(`*Regions:* ${HBR_REGIONS.join(', ')}`),
      idForm(),
      otherCommands(),
    ],
  );
}

function statusHelp(ctx: HelpContext): SlackMessage {
  const usage = `\`${SLASH_COMMANDS.status} <instance IDs> [--region <region>]\` or \`${SLASH_COMMANDS.install} status <instance IDs> [--region <region>]\``;
  return slackMessage(
    `How to see the HBR backup client status: ${SLASH_COMMANDS.status} i-… [--region ${ctx.defaultRegion}]`,
    [
      header('HBR backup client status of ECS instances'),
      section(`*Usage:* ${usage}`),
      idsSection(ctx, 'at a time'),
      section(
        '*What you get:* only you see the answer, at once and without an approval: per instance whether its client is ' +
          'protected, installing or in trouble, its version and whether a newer one exists, when HBR last heard from it, and what to do about each problem.',
      ),
      idForm(),
      otherCommands(),
    ],
  );
}

function showHelp(ctx: HelpContext): SlackMessage {
  const command = escapeMrkdwn(ctx.command);
  return slackMessage(`How to look a request up: ${ctx.command} show <request id>`, [
    header('Look up a request'),
    section(
      `*Usage:* \`${command} show <request id>\` — the id is in the request message, e.g. ${code('rabcdefghijkm')}.`,
    ),
    section(
      "*What you get:* only you see the answer: the request, where it stands, and every instance's result so far.",
    ),
    otherCommands(),
  ]);
}

function auditHelp(ctx: HelpContext): SlackMessage {
  const command = escapeMrkdwn(ctx.command);
  return slackMessage(`How to read the audit trail: ${ctx.command} audit [request|user|instance …] [n]`, [
    header('Read the audit trail'),
    section(
      `*Usage:* \`${command} audit [n]\` — the newest ${AUDIT_DEFAULT_COUNT} events, or the newest n (at most ${AUDIT_MAX_COUNT}).\n` +
        `\`${command} audit request <request id> [n]\`, \`${command} audit user @someone [n]\`, \`${command} audit instance i-… [n]\` — only the events of that request, by that person, or about that instance.`,
    ),
    section(
      `*What you get:* only you see the answer: who asked for what on which instances, who approved or rejected it (and through which approver group), what HBR was asked and what came of it, and every refused attempt, newest first. Only ${approverList(ctx.approvers)} may read it.`,
    ),
    otherCommands(),
  ]);
}

/** Usage of a command or subcommand: syntax, an example, limits, who approves, the regions. */
export function helpMessage(ctx: HelpContext): SlackMessage {
  const topic = ctx.topic ?? 'install';
  switch (topic) {
    case 'install':
    case 'uninstall':
      return requestHelp(ctx, topic);
    case 'status':
      return statusHelp(ctx);
    case 'show':
      return showHelp(ctx);
    case 'audit':
      return auditHelp(ctx);
  }
}
