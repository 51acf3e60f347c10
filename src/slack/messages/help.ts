import { HBR_REGIONS } from '../../domain/regions.js';
import { context, header, section, slackMessage } from './blocks.js';
import type { SlackMessage } from './blocks.js';
import { approverList, code, escapeMrkdwn } from './format.js';

export interface HelpContext {
  /** The slash command as configured, e.g. /hbr-install. */
  command: string;
  defaultRegion: string;
  maxInstances: number;
  /** Slack user (U…/W…) or user group (S…) ids. */
  approvers: readonly string[];
}

/** Usage of the install command: syntax, an example, limits, who approves, the regions. */
export function helpMessage(ctx: HelpContext): SlackMessage {
  const command = escapeMrkdwn(ctx.command);
  const region = code(ctx.defaultRegion);
  return slackMessage(
    `How to use ${ctx.command}: ${ctx.command} i-… i-… [--region ${ctx.defaultRegion}] installs the HBR backup client after an approval.`,
    [
      header('Install the HBR backup client on ECS instances'),
      section(
        [
          `*Usage:* \`${command} <instance IDs> [--region <region>]\``,
          `Separate IDs with spaces, commas or new lines — pasting a column from a spreadsheet works. ` +
            `Up to *${ctx.maxInstances}* instances per request, all in one region (default ${region}).`,
        ].join('\n'),
      ),
      section(
        [
          '*Example:*',
          `\`${command} i-bp1a2b3c4d5e6f7g8h9j i-bp1k2l3m4n5o6p7q8r9s --region cn-shanghai\``,
        ].join('\n'),
      ),
      section(
        `*What happens:* the request is posted in the channel with Approve and Reject buttons. Once ${approverList(ctx.approvers)} ` +
          'approves, hbr-bot asks HBR to install the client and reports progress in the thread. ' +
          'Nothing is installed without an approval, and you cannot approve your own request.',
      ),
      context(`*Regions:* ${HBR_REGIONS.join(', ')}`),
      context(`Instance IDs look like ${code('i-bp67acfmxazb4p3example')}: i- then 8–30 lowercase letters or digits. An ID exists in one region only.`),
    ],
  );
}
