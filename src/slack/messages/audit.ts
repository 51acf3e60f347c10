/** The audit trail as an ephemeral message, newest first, all of it or what a filter selects. Pure. */
import type { AuditFilter, AuditRecord, RefusalReason } from '../../domain/audit-event.js';
import type { Decision } from '../../domain/request.js';
import { AUDIT_MAX_COUNT } from '../slash-command-parser.js';
import type { SlackMessage } from './blocks.js';
import { context, header, packLines, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, mentionApprover, mentionChannel, mentionUser, plural, slackDate } from './format.js';
import { operationWords } from './operation-words.js';

/** What a person did to a request, as a verb in the past. */
const DECISION_VERBS: Readonly<Record<Exclude<Decision['outcome'], 'expired'>, string>> = {
  approved: 'approved',
  rejected: 'rejected',
  withdrawn: 'withdrew',
};

const REFUSAL_WORDS: Readonly<Record<RefusalReason, string>> = {
  not_approver: 'not an approver',
  self_approval: 'their own request',
  not_requester: 'not a requester',
  channel_not_allowed: 'a channel hbr-bot does not take requests in',
};

/** Instance IDs named in a line, at most this many; the rest are counted. */
const IDS_SHOWN = 3;

/** "`i-a`, `i-b`, `i-c` and 17 more"; '' for none (or an event written before IDs were recorded). */
function someIds(ids: readonly string[] | undefined): string {
  if (ids === undefined || ids.length === 0) return '';
  const shown = ids.slice(0, IDS_SHOWN).map((id) => code(id, 40));
  return ids.length > IDS_SHOWN ? `${shown.join(', ')} and ${ids.length - IDS_SHOWN} more` : shown.join(', ');
}

function describe(record: AuditRecord): string {
  if (record.type === 'access.refused') {
    const about = [record.requestId === null ? '' : code(record.requestId, 20), someIds(record.instanceIds)]
      .filter((part) => part !== '')
      .join(', ');
    return `:no_entry_sign: ${mentionUser(record.actor)} was refused ${escapeMrkdwn(record.attempt)}${about === '' ? '' : ` (${about})`} in ${mentionChannel(record.channel)}: ${REFUSAL_WORDS[record.reason] ?? escapeMrkdwn(record.reason)}`;
  }
  const id = code(record.requestId, 20);
  switch (record.type) {
    case 'request.created': {
      const words = operationWords(record.operation);
      const ids = someIds(record.instanceIds);
      return `${mentionUser(record.actor)} asked to ${words.verb} the HBR backup client ${words.preposition} ${plural(record.instances, 'instance')}${ids === '' ? '' : ` (${ids})`} in ${code(record.region, 40)} (${id}, ${mentionChannel(record.channel)})`;
    }
    case 'request.decided': {
      if (record.outcome === 'expired') return `${id} expired without a decision`;
      const group = record.approverGroup
        ? ` (an approver as a member of ${mentionApprover(record.approverGroup)})`
        : '';
      return `${mentionUser(record.actor)} ${DECISION_VERBS[record.outcome]} ${id}${group}`;
    }
    case 'request.submitted': {
      const ids = someIds(record.instanceIds);
      return `${id} sent to HBR${ids === '' ? '' : ` for ${ids}`}: ${plural(record.taskIds.length, 'task')} started${record.refused > 0 ? `, ${record.refused} refused by HBR` : ''} · RequestId ${record.hbrRequestIds.map((r) => code(r, 60)).join(', ') || '—'}`;
    }
    case 'request.refused':
      return `${id} was not sent to HBR: ${record.actor === null ? 'its record holds no approval' : `its record says ${mentionUser(record.actor)} approved it, ${record.reason === 'self_approval' ? 'who requested it' : 'who is not an approver'}`}`;
    case 'request.finished': {
      const notDone = someIds(record.failedInstanceIds);
      return `${id} ${escapeMrkdwn(record.status)}: ${escapeMrkdwn(record.summary)}${notDone === '' ? '' : ` — not done: ${notDone}`}${record.failureCode === null ? '' : ` (${code(record.failureCode, 60)})`}`;
    }
  }
}

/** "of request `r…`", "by <@U…>", "about `i-…`". */
function filterWords(filter: AuditFilter): string {
  switch (filter.by) {
    case 'request':
      return `of request ${code(filter.requestId, 20)}`;
    case 'user':
      return `by ${mentionUser(filter.userId)}`;
    case 'instance':
      return `about ${code(filter.instanceId, 40)}`;
  }
}

/** How to ask for the same events again, more of them: `audit`, `audit instance i-…`, … */
function askedFor(filter: AuditFilter | null): string {
  if (filter === null) return 'audit';
  switch (filter.by) {
    case 'request':
      return `audit request ${filter.requestId}`;
    case 'user':
      return `audit user <@${filter.userId}>`;
    case 'instance':
      return `audit instance ${filter.instanceId}`;
  }
}

function moreHint(shown: number, asked: number, command: string, filter: AuditFilter | null): string {
  if (shown < asked) return 'That is everything the trail holds.';
  if (asked >= AUDIT_MAX_COUNT) return `Newest first · ${AUDIT_MAX_COUNT} events are the most one answer shows.`;
  return `Newest first · \`${escapeMrkdwn(`${command} ${askedFor(filter)} ${Math.min(asked * 2, AUDIT_MAX_COUNT)}`)}\` shows more.`;
}

/** `command`: the slash command typed, named in the hint to ask for more; `filter`: what was asked for, null for all. */
export function auditMessage(
  records: readonly AuditRecord[],
  asked: number,
  command: string,
  filter: AuditFilter | null,
): SlackMessage {
  const which = filter === null ? '' : ` ${filterWords(filter)}`;
  if (records.length === 0) {
    const empty =
      filter === null
        ? 'The audit trail is empty: no request has been made yet (or the stream was trimmed).'
        : `The audit trail holds no event${which} (older events may have been trimmed).`;
    return slackMessage(empty, [section(empty)]);
  }
  const lines = records.map((record) => `• ${slackDate(record.at)} — ${describe(record)}`);
  return slackMessage(`The last ${plural(records.length, 'audit event')}${which}, newest first.`, [
    header(`hbr-bot audit trail: the last ${plural(records.length, 'event')}`),
    ...(filter === null ? [] : [context(`Events${which}`)]),
    ...packLines(lines).map((text) => section(text)),
    context(moreHint(records.length, asked, command, filter)),
  ]);
}
