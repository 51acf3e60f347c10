/** The audit trail as an ephemeral message, newest first. Pure. */
import type { AuditRecord } from '../../domain/audit-event.js';
import type { Decision } from '../../domain/request.js';
import { AUDIT_MAX_COUNT } from '../slash-command-parser.js';
import type { SlackMessage } from './blocks.js';
import { context, header, packLines, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, mentionChannel, mentionUser, plural, slackDate } from './format.js';
import { operationWords } from './operation-words.js';

/** What a person did to a request, as a verb in the past. */
const DECISION_VERBS: Readonly<Record<Exclude<Decision['outcome'], 'expired'>, string>> = {
  approved: 'approved',
  rejected: 'rejected',
  withdrawn: 'withdrew',
};

function describe(record: AuditRecord): string {
  const id = code(record.requestId, 20);
  switch (record.type) {
    case 'request.created': {
      const words = operationWords(record.operation);
      return `${mentionUser(record.actor)} asked to ${words.verb} the HBR backup client ${words.preposition} ${plural(record.instances, 'instance')} in ${code(record.region, 40)} (${id}, ${mentionChannel(record.channel)})`;
    }
    case 'request.decided':
      return record.outcome === 'expired'
        ? `${id} expired without a decision`
        : `${mentionUser(record.actor)} ${DECISION_VERBS[record.outcome]} ${id}`;
    case 'request.submitted':
      return `${id} sent to HBR: ${plural(record.taskIds.length, 'task')} started${record.refused > 0 ? `, ${record.refused} refused by HBR` : ''} · RequestId ${record.hbrRequestIds.map((r) => code(r, 60)).join(', ') || '—'}`;
    case 'request.refused':
      return `${id} was not sent to HBR: ${record.actor === null ? 'its record holds no approval' : `its record says ${mentionUser(record.actor)} approved it, ${record.reason === 'self_approval' ? 'who requested it' : 'who is not an approver'}`}`;
    case 'request.finished':
      return `${id} ${escapeMrkdwn(record.status)}: ${escapeMrkdwn(record.summary)}${record.failureCode === null ? '' : ` (${code(record.failureCode, 60)})`}`;
  }
}

function moreHint(shown: number, asked: number, command: string): string {
  if (shown < asked) return 'That is everything the trail holds.';
  if (asked >= AUDIT_MAX_COUNT) return `Newest first · ${AUDIT_MAX_COUNT} events are the most one answer shows.`;
  return `Newest first · \`${escapeMrkdwn(command)} audit ${Math.min(asked * 2, AUDIT_MAX_COUNT)}\` shows more.`;
}

/** `command`: the slash command typed, named in the hint to ask for more. */
export function auditMessage(records: readonly AuditRecord[], asked: number, command: string): SlackMessage {
  if (records.length === 0) {
    return slackMessage('The audit trail is empty.', [
      section('The audit trail is empty: no request has been made yet (or the stream was trimmed).'),
    ]);
  }
  const lines = records.map((record) => `• ${slackDate(record.at)} — ${describe(record)}`);
  return slackMessage(`The last ${plural(records.length, 'audit event')}, newest first.`, [
    header(`hbr-bot audit trail: the last ${plural(records.length, 'event')}`),
    ...packLines(lines).map((text) => section(text)),
    context(moreHint(records.length, asked, command)),
  ]);
}
