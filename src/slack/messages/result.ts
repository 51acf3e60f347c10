/**
 * The final reply in the request's thread, posted once: the requester is mentioned, the summary
 * line, then every instance for a small request, or counts and every instance that did not
 * succeed for a large one.
 */

import type { Operation } from '../../domain/operation.js';
import type { InstanceOutcomeKind, OutcomeSummary } from '../../domain/outcome.js';
import type { HbrRequest } from '../../domain/request.js';
import type { Block, Piece, SlackMessage } from './blocks.js';
import { context, fitPieces, LIMITS, packPieces, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, idGroupPieces, mentionUser, plural, slackDate } from './format.js';
import { operationWords } from './operation-words.js';
import { countsLine, outcomeGroups, outcomeLine, type RequestSummary, requestSummary } from './outcome-text.js';
import { failureText } from './request.js';

/** Up to this many instances, each gets its own line; more are grouped by what happened. */
const LIST_EVERY_INSTANCE_UP_TO = 20;

/**
 * The instances' outcomes in at most `budget` blocks: each on its own line for a small request,
 * else the counts and every instance that did not succeed, grouped by what happened.
 */
export function outcomeListBlocks(
  { outcomes, summary, names }: RequestSummary,
  operation: Operation,
  budget: number,
): Block[] {
  let pieces: Piece[];
  const middle: Block[] = [];
  if (outcomes.length <= LIST_EVERY_INSTANCE_UP_TO) {
    pieces = packPieces(outcomes.map((o) => ({ text: outcomeLine(o, operation, names), count: 1 })));
  } else {
    middle.push(context(countsLine(summary, operation)));
    const unsuccessful = outcomes.filter((o) => o.kind !== 'succeeded');
    pieces = packPieces(idGroupPieces(outcomeGroups(unsuccessful, operation), { inlineUpTo: 5, names }));
  }
  const { kept, omitted } = fitPieces(pieces, budget - middle.length);
  const listed: Block[] = kept.map((p) => section(p.text));
  if (omitted > 0) listed.push(context(`…and ${plural(omitted, 'more instance')} not listed: the message is full.`));
  return [...middle, ...listed];
}

/** "the refused and failed instances": the kinds present among `kinds`, named. */
function instancesOfKinds(summary: OutcomeSummary, kinds: Readonly<Partial<Record<InstanceOutcomeKind, string>>>) {
  const present = summary.tally.filter(({ kind }) => kinds[kind] !== undefined);
  const count = present.reduce((sum, { count }) => sum + count, 0);
  const words = present.map(({ kind }) => kinds[kind] ?? '');
  const named = words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
  return { count, text: `the ${named} ${count === 1 ? 'instance' : 'instances'}`, them: count === 1 ? 'it' : 'them' };
}

/** What to do next, fitting the outcomes: retry what HBR refused or failed, check what nobody can tell. */
function nextSteps(summary: OutcomeSummary): string[] {
  const retry = instancesOfKinds(summary, { refused: 'refused', failed: 'failed', not_submitted: 'unsent' });
  const check = instancesOfKinds(summary, { unknown: 'unknown', timed_out: 'timed-out' });
  return [
    ...(retry.count > 0 ? [`to retry ${retry.text}, fix the cause and send a new request for ${retry.them}`] : []),
    ...(check.count > 0 ? [`check ${check.text} with \`/hbr-status\` before requesting ${check.them} again`] : []),
  ];
}

export function finalResultMessage(request: HbrRequest): SlackMessage {
  const { verb } = operationWords(request.operation);
  const summarized = requestSummary(request);
  const { summary, line } = summarized;
  const requester = mentionUser(request.requesterId);
  const where = `request ${code(request.id, 60)} in ${code(request.region, 60)}`;
  const failed = request.status === 'failed';

  const head: Block[] = failed
    ? [
        section(`${requester} :x: *The ${verb} request failed* (${where}).\n${failureText(request)}`),
        ...(request.submissions.length > 0 ? [section(`*${line}*`)] : []),
      ]
    : [
        section(
          `${requester} ${summary.succeeded === summary.total ? ':white_check_mark:' : ':warning:'} *${line}* — HBR backup client ${verb}, ${where}.`,
        ),
        // A failure after some tasks started (a later chunk refused, polling given up) is explained here too.
        ...(request.failure === null ? [] : [section(`:x: ${failureText(request)}`)]),
      ];

  const footerParts: string[] = [];
  if (request.decision?.outcome === 'approved') {
    footerParts.push(`Approved by ${mentionUser(request.decision.by)}`);
  }
  if (request.finishedAt !== null) footerParts.push(`finished ${slackDate(request.finishedAt)}`);
  footerParts.push(...nextSteps(summary));
  const footer: Block[] = footerParts.length > 0 ? [context(footerParts.join(' · '))] : [];

  const listed = outcomeListBlocks(summarized, request.operation, LIMITS.blocks - head.length - footer.length);

  const text = failed
    ? `${requester} HBR ${verb} request ${escapeMrkdwn(request.id)} failed: ${escapeMrkdwn(request.failure?.explanation ?? 'no reason given')}`
    : `${requester} HBR ${verb} request ${escapeMrkdwn(request.id)} finished: ${line}`;
  return slackMessage(text, [...head, ...listed, ...footer]);
}
