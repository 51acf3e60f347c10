import type { Operation } from './operation.js';
import type { InstanceOutcomeKind } from './outcome.js';
import type { Decision } from './request.js';

/**
 * What the audit trail records: who asked for what, who decided (and through which approver group),
 * what HBR was asked, what came of it, and every attempt that was refused. Events name instances by
 * their IDs, so the trail answers "who touched i-…" long after the request records are gone.
 */

/** Why someone's attempt was refused. */
export type RefusalReason = 'not_approver' | 'self_approval' | 'not_requester' | 'channel_not_allowed';

export type AuditEvent =
  | {
      type: 'request.created';
      requestId: string;
      operation: Operation;
      actor: string;
      channel: string;
      region: string;
      instances: number;
      instanceIds: string[];
    }
  | {
      type: 'request.decided';
      requestId: string;
      operation: Operation;
      actor: string | null;
      outcome: Decision['outcome'];
      /** The user group through which the decider is an approver; null when listed by their own ID (or no approver decided). */
      approverGroup: string | null;
    }
  | {
      type: 'request.submitted';
      requestId: string;
      operation: Operation;
      taskIds: string[];
      hbrRequestIds: string[];
      /** The instances of this call (at most 20). */
      instanceIds: string[];
      refused: number;
    }
  | {
      /** The submit job refused the approval in the record (written by hand, approver removed since): nothing went to HBR. */
      type: 'request.refused';
      requestId: string;
      operation: Operation;
      /** Who the record says approved, if anyone. */
      actor: string | null;
      reason: 'no_approval' | 'not_approver' | 'self_approval';
    }
  | {
      type: 'request.finished';
      requestId: string;
      operation: Operation;
      status: string;
      /** The request's headline, as its messages show it. */
      summary: string;
      /** How many instances came to each kind of outcome (kinds with none left out): they add up to the request's instances. */
      outcomes: Partial<Record<InstanceOutcomeKind, number>>;
      /** The instances that did not end as asked (failed, refused, unknown, …). */
      failedInstanceIds: string[];
      failureCode: string | null;
      hbrRequestIds: string[];
    }
  | {
      /** Someone was refused at a command or a button: who, where, what, and why. */
      type: 'access.refused';
      actor: string;
      channel: string;
      /** What was attempted: approve, reject, withdraw, install, uninstall, status, show, audit. */
      attempt: string;
      reason: RefusalReason;
      /** The request it was about (a button's, or the one `show` asked for); null otherwise. */
      requestId: string | null;
      /** The instances a refused command named (none for a button or a look-up by request id). */
      instanceIds: string[];
    };

export type AuditRecord = AuditEvent & { at: number };

/** A refused attempt, as the listeners report it. */
export type RefusedAttempt = Omit<Extract<AuditEvent, { type: 'access.refused' }>, 'type'>;

/** Which events `/hbr-install audit` shows: those of a request, those a user did, those about an instance. */
export type AuditFilter =
  | { by: 'request'; requestId: string }
  | { by: 'user'; userId: string }
  | { by: 'instance'; instanceId: string };

/** The instances an event names (events written before IDs were recorded name none). */
function instancesNamed(record: AuditRecord): readonly string[] {
  switch (record.type) {
    case 'request.finished':
      return record.failedInstanceIds ?? [];
    case 'request.decided':
    case 'request.refused':
      return [];
    default:
      return record.instanceIds ?? [];
  }
}

function requestOf(record: AuditRecord): string | null {
  return 'requestId' in record ? record.requestId : null;
}

/**
 * The records `filter` selects, in their order. For an instance: every event naming it, and every
 * event of a request that named it (a decision names only its request).
 */
export function filterAudit(records: readonly AuditRecord[], filter: AuditFilter): AuditRecord[] {
  switch (filter.by) {
    case 'request':
      return records.filter((r) => requestOf(r) === filter.requestId);
    case 'user':
      return records.filter((r) => 'actor' in r && r.actor === filter.userId);
    case 'instance': {
      const named = (r: AuditRecord) => instancesNamed(r).includes(filter.instanceId);
      const requests = new Set(records.filter(named).map(requestOf));
      requests.delete(null);
      return records.filter((r) => named(r) || requests.has(requestOf(r)));
    }
  }
}
