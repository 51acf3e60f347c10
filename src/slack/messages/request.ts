/**
 * The request message in the channel (edited in place as the request moves on), and the ephemeral
 * note telling the requester it was posted. Worded by the request's operation (operation.ts).
 */

import {
  type InstanceFacts,
  instanceReadiness,
  type PreflightCounts,
  type PreflightResult,
  preflightCounts,
  type Readiness,
  type ReadinessLevel,
} from '../../domain/preflight.js';
import { eligibleApprovers, type HbrRequest, type RequestFailure } from '../../domain/request.js';
import { APPROVE_ACTION, DECISION_BLOCK_ID, REJECT_ACTION, WITHDRAW_ACTION } from './action-ids.js';
import type { Block, Piece, SlackMessage } from './blocks.js';
import {
  actions,
  button,
  context,
  fields,
  fitPieces,
  header,
  LIMITS,
  packPieces,
  section,
  slackMessage,
} from './blocks.js';
import { formatDuration } from './durations.js';
import {
  approverList,
  code,
  codeListPieces,
  ecsText,
  escapeMrkdwn,
  instanceLabel,
  mentionUser,
  plural,
  slackDate,
} from './format.js';
import { capitalized, type OperationWords, operationWords } from './operation-words.js';
import { requestSummary } from './outcome-text.js';

/** Up to this many instances are listed inline; more go in a code block. */
const INLINE_INSTANCES_UP_TO = 20;

/** Who may approve, as configured: HBR_APPROVERS and HBR_ALLOW_SELF_APPROVAL (config.access fits it). */
export interface ApprovalRules {
  /** Slack user (U…/W…) or user group (S…) ids. */
  approvers: readonly string[];
  allowSelfApproval: boolean;
}

export interface RequestMessageContext extends ApprovalRules {
  /** When given, a pending request past its expiry renders as expired, without buttons. */
  now?: number;
}

/** That nobody may approve a request, why, and who can change that; said to its requester or of them. */
export function nobodyCanApprove(toRequester: boolean): string {
  const who = toRequester ? 'you are' : 'its requester is';
  return `no one can approve it: ${who} the only hbr-bot approver, and an hbr-bot admin can add another to HBR_APPROVERS`;
}

/**
 * "waiting for approval by <@A> or <@B>", naming only those who may decide this request; when
 * nobody may, says so, to the channel or (`toRequester`) to the requester.
 */
function awaitingApproval(request: HbrRequest, rules: ApprovalRules, toRequester: boolean): string {
  const deciders = eligibleApprovers(request, rules.approvers, rules.allowSelfApproval);
  return deciders.length > 0 ? `waiting for approval by ${approverList(deciders)}` : nobodyCanApprove(toRequester);
}

function instancesNoun(n: number): string {
  return plural(n, 'instance');
}

/** The instance list: inline code when few, else code blocks; as many sections as needed. */
function instanceListPieces(ids: readonly string[]): Piece[] {
  if (ids.length === 0) return [{ text: '*Instances:* none', count: 0 }];
  if (ids.length <= INLINE_INSTANCES_UP_TO) {
    return [{ text: `*Instances:* ${ids.map((id) => code(id, 40)).join(', ')}`, count: ids.length }];
  }
  return codeListPieces(ids, { heading: `*Instances (${ids.length}):*`, separator: '\n' });
}

// --- pre-flight details (what ECS said before the decision) --------------------------------

/** Up to this many instances get one line of details each; above it, the ready ones go in a code block. */
const DETAILED_INSTANCES_UP_TO = INLINE_INSTANCES_UP_TO;

const LEVEL_ICONS: Readonly<Record<ReadinessLevel, string>> = {
  refused: ':warning:',
  check: ':grey_question:',
  ready: ':large_green_circle:',
};

/** Flagged instances first (will be refused, then to check), then the ready ones; request order within each. */
const LEVEL_ORDER: readonly ReadinessLevel[] = ['refused', 'check', 'ready'];

/**
 * A verdict in a few words, as mrkdwn: "ready", "stopped — will be refused", "not found in
 * cn-hangzhou — will be refused", …; a state ECS names outside the known ones is shown as literal text.
 */
export function readinessWords(readiness: Readiness, facts: InstanceFacts, region: string): string {
  switch (readiness.verdict) {
    case 'ready':
      return 'ready';
    case 'not_found':
      return `not found in ${region} — will be refused`;
    case 'stopped':
      return `${facts.status.toLowerCase()} — will be refused`;
    case 'starting':
      return `${facts.status.toLowerCase()} — refused unless it is running when approved`;
    case 'unknown_state':
      return `state ${facts.status === '' ? 'unknown' : ecsText(facts.status, 40)} — HBR needs it running`;
    case 'cloud_assistant_unknown':
      return 'Cloud Assistant state unknown — HBR needs it running';
    case 'no_cloud_assistant':
      return 'Cloud Assistant not running — will be refused';
  }
}

/** "18 of 20 ready, 2 will be refused", "3 of 3 ready", "0 of 1 ready, 1 to check". */
export function preflightCountLine(counts: PreflightCounts): string {
  const total = counts.ready + counts.refused + counts.check;
  const parts = [`${counts.ready} of ${total} ready`];
  if (counts.refused > 0) parts.push(`${counts.refused} will be refused`);
  if (counts.check > 0) parts.push(`${counts.check} to check`);
  return parts.join(', ');
}

/** "`Alibaba Cloud Linux 3` · `Running` · Cloud Assistant `2.2.3` running · `app=web`": what ECS said, without the name or verdict. */
function describedFacts(facts: InstanceFacts): string {
  const agent =
    facts.cloudAssistant === null
      ? null
      : facts.cloudAssistant.running
        ? `Cloud Assistant ${facts.cloudAssistant.version === '' ? 'running' : `${ecsText(facts.cloudAssistant.version, 40)} running`}`
        : 'Cloud Assistant not running';
  const tags = facts.tags.slice(0, 3).map((t) => ecsText(`${t.key}=${t.value}`, 60));
  const shown = (value: string, max: number) => (value === '' ? null : ecsText(value, max));
  return [
    shown(facts.osName || facts.osType, 80),
    shown(facts.status, 40),
    agent,
    tags.length === 0 ? null : tags.join(', '),
  ]
    .filter((part): part is string => part !== null)
    .join(' · ');
}

function detailLine(facts: InstanceFacts, readiness: Readiness, region: string): string {
  const described = facts.found ? describedFacts(facts) : '';
  const verdict = readiness.level === 'ready' ? '' : ` — *${readinessWords(readiness, facts, region)}*`;
  const label = instanceLabel(facts.instanceId, facts.instanceName);
  return `${LEVEL_ICONS[readiness.level]} ${label}${described === '' ? '' : ` · ${described}`}${verdict}`;
}

/** The instance list with what ECS said about each instance, flagged ones first. */
function preflightPieces(request: HbrRequest, preflight: Extract<PreflightResult, { outcome: 'checked' }>): Piece[] {
  const judged = preflight.instances.map((facts) => ({ facts, readiness: instanceReadiness(facts) }));
  const counts = preflightCounts(preflight.instances);
  const agentNote =
    preflight.cloudAssistantUnavailable === null
      ? ''
      : ` · Cloud Assistant states unavailable: ${escapeMrkdwn(preflight.cloudAssistantUnavailable)}`;
  const pieces: Piece[] = [
    { text: `*Pre-flight (ECS, before approval):* ${preflightCountLine(counts)}${agentNote}`, count: 0 },
  ];
  const detailed = judged.length <= DETAILED_INSTANCES_UP_TO;
  for (const level of LEVEL_ORDER) {
    const group = judged.filter((j) => j.readiness.level === level);
    if (group.length === 0) continue;
    if (level === 'ready' && !detailed) {
      const items = group.map(({ facts }) =>
        facts.instanceName === '' ? facts.instanceId : `${facts.instanceId}  ${facts.instanceName}`,
      );
      pieces.push(
        ...codeListPieces(items, { heading: `${LEVEL_ICONS.ready} *Ready (${group.length}):*`, separator: '\n' }),
      );
      continue;
    }
    pieces.push(
      ...group.map(({ facts, readiness }) => ({ text: detailLine(facts, readiness, request.region), count: 1 })),
    );
  }
  return pieces;
}

/** The instances part of the request message: with the pre-flight details once ECS answered, else the plain list. */
function instancePieces(request: HbrRequest): Piece[] {
  const preflight = request.preflight;
  if (preflight === null) return instanceListPieces(request.instanceIds);
  if (preflight.outcome === 'checked') return preflightPieces(request, preflight);
  return [
    ...instanceListPieces(request.instanceIds),
    { text: `:grey_question: ECS details unavailable: ${escapeMrkdwn(preflight.reason)}`, count: 0 },
  ];
}

/** "Pre-flight: 1 will be refused." for the notification text and the confirm dialog; '' when nothing is flagged or nothing is known. */
function preflightWarning(request: HbrRequest): string {
  if (request.preflight?.outcome !== 'checked') return '';
  const counts = preflightCounts(request.preflight.instances);
  if (counts.refused === 0 && counts.check === 0) return '';
  return `Pre-flight: ${preflightCountLine(counts)}.`;
}

export function decisionLine(request: HbrRequest): string | null {
  const d = request.decision;
  if (d === null) return null;
  switch (d.outcome) {
    case 'approved':
      return `Approved by ${mentionUser(d.by)} at ${slackDate(d.at)}`;
    case 'rejected':
      return `Rejected by ${mentionUser(d.by)} at ${slackDate(d.at)}`;
    case 'withdrawn':
      return `Withdrawn by ${mentionUser(d.by)} at ${slackDate(d.at)}`;
    case 'expired':
      return `Expired at ${slackDate(d.at)}`;
  }
}

/** "<explanation> (code `X`, HBR RequestId `Y`)": a failure in words, with what support needs. */
export function explainedFailure(f: RequestFailure): string {
  const refs = [
    f.code === '' ? null : `code ${code(f.code, 80)}`,
    f.hbrRequestId ? `HBR RequestId ${code(f.hbrRequestId, 80)}` : null,
  ]
    .filter((x): x is string => x !== null)
    .join(', ');
  return `${escapeMrkdwn(f.explanation)}${refs === '' ? '' : ` (${refs})`}`;
}

/** "*Failed:* <explanation> (code `X`, HBR RequestId `Y`)". */
export function failureText(request: HbrRequest): string {
  if (request.failure === null) return '*Failed.* hbr-bot gave no reason; the logs have the details.';
  return `*Failed:* ${explainedFailure(request.failure)}`;
}

/** "HBR backup client install: 3 instances in cn-hangzhou". */
export function requestTitle(request: HbrRequest): string {
  return `HBR backup client ${operationWords(request.operation).verb}: ${instancesNoun(request.instanceIds.length)} in ${request.region}`;
}

/** How the request's current status reads: a phrase for the notification text, and blocks. */
interface StatusView {
  /** For the top-level text (plain words, mentions allowed). */
  sentence: string;
  blocks: Block[];
}

/**
 * The buttons of a pending request: Approve (with a confirm dialog naming what it does), Reject,
 * and Withdraw, which everyone sees and only the requester may use.
 */
function decisionButtons(request: HbrRequest, words: OperationWords) {
  const count = request.instanceIds.length;
  const what = `${capitalized(words.verb)} the HBR backup client ${words.preposition} ${instancesNoun(count)} in ${request.region}?`;
  const confirmText = [what, words.consequence(count), preflightWarning(request)]
    .filter((part) => part !== '')
    .join(' ');
  // Red is for the button that does damage: Approve for an uninstall, otherwise Reject.
  const rejectStyle = words.approveStyle === 'danger' ? {} : { style: 'danger' as const };
  return actions(
    DECISION_BLOCK_ID,
    button({
      actionId: APPROVE_ACTION,
      text: 'Approve',
      value: request.id,
      style: words.approveStyle,
      confirm: {
        title: `Approve the ${words.verb}?`,
        text: confirmText,
        confirm: 'Approve',
        deny: 'Cancel',
        style: words.approveStyle,
      },
    }),
    button({ actionId: REJECT_ACTION, text: 'Reject', value: request.id, ...rejectStyle }),
    button({ actionId: WITHDRAW_ACTION, text: 'Withdraw', value: request.id }),
  );
}

function statusView(request: HbrRequest, ctx: RequestMessageContext): StatusView {
  const words = operationWords(request.operation);
  const decided = decisionLine(request);
  const ttl = formatDuration(request.expiresAt - request.createdAt);
  const nothingDone = `Nothing was ${words.pastTense}.`;
  const progressSummary = (): string => requestSummary(request).line;

  switch (request.status) {
    case 'pending': {
      if (ctx.now !== undefined && ctx.now >= request.expiresAt) {
        return {
          sentence: `expired: nobody decided within ${ttl}`,
          blocks: [section(`:hourglass: Expired: nobody decided within ${ttl}. ${nothingDone}`)],
        };
      }
      const waiting = awaitingApproval(request, ctx, false);
      return {
        sentence: waiting,
        blocks: [
          section(`:raised_hand: *Pending:* ${waiting}. Expires ${slackDate(request.expiresAt)}.`),
          decisionButtons(request, words),
        ],
      };
    }
    case 'approved':
      return {
        sentence: `approved, starting the ${words.verb}`,
        blocks: [
          context(decided ?? 'Approved'),
          section(`:gear: *Status:* approved — hbr-bot is starting the ${words.verb}; progress follows in the thread.`),
        ],
      };
    case 'submitting':
      return {
        sentence: `approved, sending the ${words.verb} to HBR`,
        blocks: [
          context(decided ?? 'Approved'),
          section(`:gear: *Status:* sending the ${words.verb} to HBR; progress follows in the thread.`),
        ],
      };
    case 'polling': {
      const line = progressSummary();
      return {
        sentence: line,
        blocks: [
          context(decided ?? 'Approved'),
          section(`:hourglass_flowing_sand: *Status:* ${line} — progress in the thread.`),
        ],
      };
    }
    case 'rejected':
      return {
        sentence: `rejected, nothing was ${words.pastTense}`,
        blocks: [section(`:no_entry: ${decided ?? 'Rejected'}. ${nothingDone}`)],
      };
    case 'withdrawn':
      return {
        sentence: `withdrawn by its requester, nothing was ${words.pastTense}`,
        blocks: [section(`:leftwards_arrow_with_hook: ${decided ?? 'Withdrawn'}. ${nothingDone}`)],
      };
    case 'expired': {
      const at = request.decision?.at ?? request.expiresAt;
      return {
        sentence: `expired: nobody decided within ${ttl}`,
        blocks: [section(`:hourglass: Expired: nobody decided within ${ttl} (at ${slackDate(at)}). ${nothingDone}`)],
      };
    }
    case 'finished': {
      const { summary, line } = requestSummary(request);
      const icon = summary.succeeded === summary.total ? ':white_check_mark:' : ':warning:';
      return {
        sentence: line,
        blocks: [section(`${icon} ${decided ?? 'Approved'} · *${line}* — details in the thread.`)],
      };
    }
    case 'failed': {
      const parts = [decided, request.submissions.length > 0 ? progressSummary() : null].filter(
        (x): x is string => x !== null,
      );
      const explanation = request.failure?.explanation ?? 'the request failed';
      return {
        sentence: `failed: ${escapeMrkdwn(explanation)}`,
        blocks: [...(parts.length > 0 ? [context(parts.join(' · '))] : []), section(`:x: ${failureText(request)}`)],
      };
    }
  }
}

/** Where the request stands, in a phrase: "waiting for approval by …", "Installed on all 3", … */
export function requestStatusSentence(request: HbrRequest, ctx: RequestMessageContext): string {
  return statusView(request, ctx).sentence;
}

/** The request message: who asks what, then buttons or the decision and status. */
export function requestMessage(request: HbrRequest, ctx: RequestMessageContext): SlackMessage {
  const count = request.instanceIds.length;
  const words = operationWords(request.operation);
  const status = statusView(request, ctx);
  const top: Block[] = [
    header(requestTitle(request)),
    fields([
      `*Requested by*\n${mentionUser(request.requesterId)}`,
      `*Region*\n${code(request.region, 60)}`,
      `*Instances*\n${count}`,
      `*Request*\n${code(request.id, 60)}`,
    ]),
  ];
  const budget = LIMITS.blocks - top.length - status.blocks.length;
  const { kept, omitted } = fitPieces(packPieces(instancePieces(request)), budget);
  const list: Block[] = kept.map((p) => section(p.text));
  if (omitted > 0) list.push(context(`…and ${instancesNoun(omitted)} more not shown.`));
  const text =
    `${mentionUser(request.requesterId)} asks to ${words.verb} the HBR backup client ${words.preposition} ${instancesNoun(count)} in ` +
    `${escapeMrkdwn(request.region)} (request ${escapeMrkdwn(request.id)}): ${status.sentence}` +
    (request.status === 'pending' && preflightWarning(request) !== '' ? ` ${preflightWarning(request)}` : '');
  return slackMessage(text, [...top, ...list, ...status.blocks]);
}

export interface RequestPostedContext extends ApprovalRules {
  /** Link to the request message when it was posted in another channel. */
  permalink?: string | null;
  /** Repeated IDs that were dropped from the command. */
  duplicates?: number;
}

/** Ephemeral note for the requester: posted, who approves, where to find it. */
export function requestPostedMessage(request: HbrRequest, ctx: RequestPostedContext): SlackMessage {
  const link =
    ctx.permalink && /^https:\/\/[^\s<>|]+$/.test(ctx.permalink) ? ` <${ctx.permalink}|Open the request>.` : '';
  const duplicates =
    ctx.duplicates && ctx.duplicates > 0
      ? ` ${plural(ctx.duplicates, 'repeated ID was', 'repeated IDs were')} ignored.`
      : '';
  const waiting = awaitingApproval(request, ctx, true);
  const text =
    `Request ${code(request.id, 60)} posted (${instancesNoun(request.instanceIds.length)} in ${code(request.region, 60)}), ` +
    `${waiting}.${duplicates}${link}`;
  return slackMessage(`Request ${escapeMrkdwn(request.id)} posted, ${waiting}.`, [section(text)]);
}
