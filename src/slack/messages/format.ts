/**
 * mrkdwn text helpers shared by the message builders: escaping, code, mentions, dates, lists.
 */

import type { Piece } from './blocks.js';
import { clamp, LIMITS } from './blocks.js';

/** Escapes the three characters Slack's mrkdwn gives meaning to. Use on anything a user typed. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Control characters and line breaks as one visible space: they would break a code span. */
function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
}

/** Inline code: escaped, on one line, backticks swapped for a look-alike so the span holds. */
export function code(s: string, max = 100): string {
  const body = escapeMrkdwn(clamp(oneLine(s), max)).replace(/`/g, 'ˋ');
  return `\`${body === '' || body.trim() === '' ? '(empty)' : body}\``;
}

/** A code block around lines already fit for display (escaped here). */
function codeBlock(body: string): string {
  return `\`\`\`\n${escapeMrkdwn(body).replace(/```/g, 'ˋˋˋ')}\n\`\`\``;
}

/** Instance names by instance ID, where known (the pre-flight's ECS look-up, DescribeBackupClients). */
export type InstanceNames = ReadonlyMap<string, string>;

/**
 * Text ECS hands over (an instance's name, OS, state, tags), also when HBR relays it: whoever may
 * edit an instance chose it, so it is shown as literal text, in a code span, where Slack makes no
 * bold, link, mention or emoji of it — never as mrkdwn that could add a "ready" line or a link.
 */
export function ecsText(value: string, max: number): string {
  return code(value, max);
}

/** "`web-01` `i-bp1…`" when the instance's name is known (as literal text), else "`i-bp1…`". */
export function instanceLabel(instanceId: string, name = ''): string {
  const shown = oneLine(name).trim();
  return shown === '' ? code(instanceId, 40) : `${ecsText(shown, 80)} ${code(instanceId, 40)}`;
}

const USER_ID = /^[UW][A-Z0-9]+$/;
const GROUP_ID = /^S[A-Z0-9]+$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]+$/;

/** <@U…> for a Slack user id; anything else is shown as escaped text. */
export function mentionUser(id: string | null): string {
  if (id === null || id === '') return 'someone';
  return USER_ID.test(id) ? `<@${id}>` : escapeMrkdwn(id);
}

/** An approver is a user (<@U…>/<@W…>) or a user group (<!subteam^S…>). */
export function mentionApprover(id: string): string {
  if (GROUP_ID.test(id)) return `<!subteam^${id}>`;
  return mentionUser(id);
}

export function mentionChannel(id: string): string {
  return CHANNEL_ID.test(id) ? `<#${id}>` : `#${escapeMrkdwn(id)}`;
}

/** "a", "a or b", "a, b or c". */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/**
 * Who can approve: "<@A>, <!subteam^S> or <@B>" (any one of them is enough), at most `max` named,
 * then "or one of N others".
 */
export function approverList(approvers: readonly string[], max = 15): string {
  if (approvers.length === 0) return 'an hbr-bot approver';
  const named = approvers.slice(0, max).map(mentionApprover);
  const rest = approvers.length - named.length;
  return rest > 0 ? `${named.join(', ')} or one of ${rest} other${rest === 1 ? '' : 's'}` : listOr(named);
}

export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}

const MAX_DATE_MS = 8.64e15;

/** "2024-05-01 10:00 UTC", the fallback inside a date token and in plain text. */
function utcText(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return 'an unknown time';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A Slack date token, shown in each reader's time zone: <!date^UNIX^{date_short_pretty} {time}|fallback>. */
export function slackDate(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return 'an unknown time';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${utcText(ms)}>`;
}

export interface CodeListOptions {
  /** mrkdwn line above the code block, repeated with "(continued)" on later sections. */
  heading?: string;
  /** Between items inside the block: '\n' for a column, ' ' for a paragraph a user can copy back. */
  separator?: string;
  max?: number;
}

/**
 * Items (instance IDs) as code blocks under an optional heading, split into as many pieces as
 * needed so each is at most `max` characters. Never drops an item.
 */
export function codeListPieces(items: readonly string[], options: CodeListOptions = {}): Piece[] {
  const separator = options.separator ?? '\n';
  const max = options.max ?? LIMITS.sectionText;
  const heading = options.heading === undefined ? undefined : clamp(options.heading, Math.floor(max / 3));
  const headingLine = (first: boolean): string =>
    heading === undefined ? '' : `${first ? heading : `${heading} _(continued)_`}\n`;
  const fence = '```\n'.length + '\n```'.length;
  const pieces: Piece[] = [];
  let batch: string[] = [];
  let batchLength = 0;
  const flush = (): void => {
    pieces.push({
      text: `${headingLine(pieces.length === 0)}${codeBlock(batch.join(separator))}`,
      count: batch.length,
    });
    batch = [];
    batchLength = 0;
  };
  for (const raw of items) {
    const item = clamp(oneLine(raw), 200);
    // Escaping can lengthen an item, so measure it escaped.
    const size = escapeMrkdwn(item).length;
    const budget = max - headingLine(pieces.length === 0).length - fence;
    if (batch.length > 0 && batchLength + separator.length + size > budget) flush();
    batchLength = batch.length === 0 ? size : batchLength + separator.length + size;
    batch.push(item);
  }
  if (batch.length > 0) flush();
  return pieces;
}

export interface IdGroup {
  /** mrkdwn: what the instances of this group have in common. */
  heading: string;
  ids: readonly string[];
}

export interface IdGroupOptions {
  /** Groups of at most this many instances are listed inline. */
  inlineUpTo: number;
  /** Names shown beside the IDs listed inline. */
  names?: InstanceNames;
  max?: number;
}

/**
 * Groups of instance IDs: a small group on one line with its instances named inline, a larger one
 * as a heading over a space-separated code block of bare IDs (easy to copy into a new command).
 */
export function idGroupPieces(groups: readonly IdGroup[], options: IdGroupOptions): Piece[] {
  const { inlineUpTo, names, max = LIMITS.sectionText } = options;
  const pieces: Piece[] = [];
  for (const group of groups) {
    if (group.ids.length === 0) continue;
    if (group.ids.length <= inlineUpTo) {
      const line = `${group.heading}: ${group.ids.map((id) => instanceLabel(id, names?.get(id))).join(', ')}`;
      if (line.length <= max) {
        pieces.push({ text: line, count: group.ids.length });
        continue;
      }
    }
    pieces.push(...codeListPieces(group.ids, { heading: group.heading, separator: ' ', max }));
  }
  return pieces;
}
