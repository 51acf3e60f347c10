import type { Operation } from './operation.js';
import type { InstanceOutcomeKind } from './outcome.js';
import type { Decision } from './request.js';

/** What the audit trail records: who asked for what, who decided, what HBR was asked, what came of it. */

export type AuditEvent =
  | {
      type: 'request.created';
      requestId: string;
      operation: Operation;
      actor: string;
      channel: string;
      region: string;
      instances: number;
    }
  | {
      type: 'request.decided';
      requestId: string;
      operation: Operation;
      actor: string | null;
      outcome: Decision['outcome'];
    }
  | {
      type: 'request.submitted';
      requestId: string;
      operation: Operation;
      taskIds: string[];
      hbrRequestIds: string[];
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
      failureCode: string | null;
      hbrRequestIds: string[];
    };

export type AuditRecord = AuditEvent & { at: number };
