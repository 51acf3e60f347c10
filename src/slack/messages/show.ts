/**
 * The ephemeral answer to `show <request id>`: the request as Redis has it now, where it stands and
 * every instance's result so far.
 */

import type { HbrRequest } from '../../domain/request.js';
import type { Block, SlackMessage } from './blocks.js';
import { context, fields, header, LIMITS, section, slackMessage } from './blocks.js';
import { formatDuration } from './durations.js';
import { code, escapeMrkdwn, mentionChannel, mentionUser, slackDate } from './format.js';
import { requestSummary } from './outcome-text.js';
import {
  decisionLine,
  failureText,
  type RequestMessageContext,
  requestStatusSentence,
  requestTitle,
} from './request.js';
import { outcomeListBlocks } from './result.js';

export function requestDetailsMessage(request: HbrRequest, ctx: RequestMessageContext): SlackMessage {
  const sentence = requestStatusSentence(request, ctx);
  const summarized = requestSummary(request);
  const facts = [
    request.message === null ? null : `posted in ${mentionChannel(request.message.channel)}`,
    decisionLine(request),
    request.finishedAt === null ? null : `ended ${slackDate(request.finishedAt)}`,
  ].filter((x): x is string => x !== null);
  const status = request.status === 'failed' ? `:x: ${failureText(request)}` : `*Status:* ${sentence}`;
  const head: Block[] = [
    header(requestTitle(request)),
    fields([
      `*Request*\n${code(request.id, 60)}`,
      `*Requested by*\n${mentionUser(request.requesterId)}`,
      `*Region*\n${code(request.region, 60)}`,
      `*Created*\n${slackDate(request.createdAt)}`,
    ]),
    section(status),
    ...(request.failure !== null && request.status !== 'failed' ? [section(`:x: ${failureText(request)}`)] : []),
    ...(facts.length > 0 ? [context(facts.join(' · '))] : []),
  ];
  const listed = outcomeListBlocks(summarized, request.operation, LIMITS.blocks - head.length);
  return slackMessage(`Request ${escapeMrkdwn(request.id)} (${escapeMrkdwn(requestTitle(request))}): ${sentence}`, [
    ...head,
    ...listed,
  ]);
}

/** `retentionMs`: how long the store keeps a request after it ended. */
export function unknownRequestIdMessage(requestId: string, retentionMs: number): SlackMessage {
  return slackMessage(`hbr-bot knows no request ${escapeMrkdwn(requestId)}.`, [
    section(
      `hbr-bot knows no request ${code(requestId, 60)} — check the id in the request message. ` +
        `Requests are kept for ${formatDuration(retentionMs)} after they end.`,
    ),
  ]);
}
