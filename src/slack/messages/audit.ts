/** The audit trail as an ephemeral message, newest first. Pure. */
import type { AuditRecord } from '../../domain/audit-event.js';
import type { SlackMessage } from './blocks.js';
import { context, header, packLines, section, slackMessage } from './blocks.js';
import { code, escapeMrkdwn, mentionChannel, mentionUser, plural, slackDate } from './format.js';
import { operationWords } from './operation-words.js';

function describe(record: AuditRecord): string {
  const id = code(record.requestId, 20);
  switch (record.type) {
    case 'request.created':
      return `${mentionUser(record.actor)} asked to ${operationWords(record.operation).verb} on ${plural(record.instances, 'instance')} in ${code(record.region, 40)} (${id}, ${mentionChannel(record.channel)})`;
    case 'request.decided':
      return record.outcome === 'expired'
        ? `${id} expired without a decision`
        : `${mentionUser(record.actor)} ${record.outcome} ${id}`;
    case 'request.submitted':
      return `HBR accepted ${id}: ${plural(record.taskIds.length, 'task')}${record.refused > 0 ? `, ${record.refused} refused at once` : ''} · RequestId ${record.hbrRequestIds.map((r) => code(r, 60)).join(', ') || '—'}`;
    case 'request.refused':
      return `${id} was not sent to HBR: ${record.actor === null ? 'its record holds no approval' : `its record says ${mentionUser(record.actor)} approved it, ${record.reason === 'self_approval' ? 'who requested it' : 'who is not an approver'}`}`;
    case 'request.finished':
      return `${id} ended ${record.status}: ${escapeMrkdwn(record.summary)}${record.failureCode === null ? '' : ` (${code(record.failureCode, 60)})`}`;
  }
}

export function auditMessage(records: readonly AuditRecord[], asked: number): SlackMessage {
  if (records.length === 0) {
    return slackMessage('The audit trail is empty.', [
      section('The audit trail is empty: no request has been made yet (or the stream was trimmed).'),
    ]);
  }
  const lines = records.map((record) => `• ${slackDate(record.at)} — ${describe(record)}`);
  return slackMessage(`The last ${plural(records.length, 'audit event')}, newest first.`, [
    header(`hbr-bot audit trail: the last ${plural(records.length, 'event')}`),
    ...packLines(lines).map((text) => section(text)),
    context(
      records.length < asked
        ? 'That is everything the trail holds.'
        : `Newest first · \`audit ${Math.min(asked * 2, 100)}\` shows more.`,
    ),
  ]);
}
